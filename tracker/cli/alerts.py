"""The ``alerts`` command: alerts, oldest first, the episodes still open, redelivery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from tracker.cli import pruned
from tracker.cli.bounds import POSITIVE
from tracker.cli.database import database_option
from tracker.cli.main import (
    Context,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.output import OneWrite
from tracker.cli.panels import read_panel, shown_ids
from tracker.cli.render import piped_text, safe_text, table, to_json
from tracker.cli.screen import (
    MINUTE,
    Columns,
    Screen,
    fitted,
    moment,
    moments,
    stderr_screen,
    stdout_screen,
)
from tracker.cli.since import since_start, since_text
from tracker.cli.stops import end_if_stopped, held
from tracker.cli.store_open import open_store
from tracker.cli.undelivered import list_undelivered, where_sent
from tracker.cli.unreadable import Unreadable
from tracker.clock import utcnow
from tracker.errors import TrackerError
from tracker.store.alerts import alerts_since, open_episodes
from tracker.store.orders import Store
from tracker.store.outbox import resend

DEFAULT = ParameterSource.DEFAULT


@main.command()
@click.option("--since", metavar="DURATION", help="Only alerts this recent (90m, 24h, 7d, 2w).")
@click.option("--panel", metavar="NAME", help="Only this panel.")
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=POSITIVE,
    help="At most this many alerts (the newest ones).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--undelivered",
    is_flag=True,
    help="List the alerts a webhook or notify target has not taken (tried again, or given up).",
)
@click.option(
    "--resend",
    "resend_ids",
    multiple=True,
    type=POSITIVE,
    metavar="ID",
    help="Have the daemon send alert ID again (repeatable).",
)
@database_option
@pass_ctx
@handle_errors
def alerts(
    ctx: Context,
    since: str | None,
    panel: str | None,
    limit: int,
    as_json: bool,
    undelivered: bool,
    resend_ids: tuple[int, ...],
    database: Path | None,
) -> None:
    """List alerts, oldest first, and the episodes still open."""
    # --limit has a default: refused only when given (a 100 would be one too)
    limited = click.get_current_context().get_parameter_source("limit") != DEFAULT
    if resend_ids and database is not None:  # the daemon would never look there
        raise click.UsageError(
            "--resend sets alerts to go again from the daemon's database (database.path): "
            "it takes no --database"
        )
    if resend_ids and (undelivered or as_json or since or panel or limited):
        given = [n for n, v in (("--undelivered", undelivered), ("--json", as_json)) if v]
        given += [n for n, v in (("--since", since), ("--panel", panel)) if v is not None]
        given += ["--limit"] * limited
        raise click.UsageError(
            f"--resend names alerts by ID: it takes no {', '.join(given)} (list them first)"
        )
    start = since_start(since)
    config = ctx.config(keys=False, database=database)
    if resend_ids:
        if config.alerts.redeliver_for <= 0:  # the daemon never looks for them
            raise TrackerError(
                "alerts.redeliver_for is 0: the daemon sends no alert again "
                "(set it, then reload the daemon, to resend one)"
            )
        if not config.alerts.has_targets:  # the daemon has no sink to send from
            raise TrackerError(
                "no webhook_url, webhook_url_file, notify or notify_file in [alerts]: "
                "nowhere to send an alert (set one, then reload the daemon, to resend one)"
            )
        where = where_sent(config.alerts)
        if where is not None and where[1] and not where[0]:  # the daemon makes no target
            raise TrackerError(
                f"{', '.join(sorted(where[1]))}: a URL Apprise does not understand, and no "
                "other target in [alerts]: nowhere to send an alert (fix the URL, then "
                "reload the daemon, to resend one)"
            )
        _resend(open_store(config, existing=True), resend_ids, config.database.path)
        return
    name, store = read_panel(config, panel)  # a panel left out of the config too
    cut = pruned.reached(store, name, start) if start is not None else None  # --since's window
    notes = stderr_screen()  # the notes on stderr wrapped on a terminal
    if undelivered:
        targets = config.alerts.has_targets if config.path is not None else None
        where = where_sent(config.alerts) if config.path is not None else None
        kept = config.alerts.redeliver_for > 0  # 0: those kept before, given up at start
        list_undelivered(
            store, name, start, limit, as_json, cut, notes, targets, where, kept, limited
        )
        return
    # The default's one more: a listing cut by it says so, as orders and refills do.
    rows = alerts_since(store, start, panel=name, limit=limit + (not limited))
    more = len(rows) > limit
    rows = rows[len(rows) - limit :] if more else rows  # the newest, oldest first
    cut_note = f"(the newest {limit} shown; --limit N for more)" if more else None
    configured = {p.name for p in config.panels}
    still = [
        {**e, "configured": e["panel"] in configured}
        for e in open_episodes(store)
        if name is None or e["panel"] == name
    ]
    if as_json:
        Unreadable().alert_data(rows)  # data edited to no JSON object: {}, named once
        click.echo(to_json({"alerts": rows, "open": still, "pruned": pruned.field(cut)}))
        if cut_note:
            click.echo(fitted(cut_note, notes), err=True)
        return
    if not rows:
        none = "no alerts" + (f" in the last {since_text(since)}" if since else "")
        click.echo(fitted(none, notes), err=True)
    screen, said = stdout_screen(), OneWrite()  # one write: `alerts | head -1` ends 0
    if rows and screen is not None:  # times short, each message wrapped whole
        # A moment in a message as the rest of the screen says it: "held until Nov 02 13:00 UTC".
        shown = [
            {**row, "message": moments(safe_text(row["message"], 500), screen)} for row in rows
        ]
        said(table(shown, _ALERT_COLUMNS, _ALERT_HEADERS, screen=screen, spec=ALERT_SCREEN))
    elif rows:
        # A header as every other listing has, the columns under it (KIND as
        # wide as its longest, automation_currency_held's 24: MESSAGE in line).
        kinds = max(20, *(len(piped_text(r["kind"])) for r in rows))
        at = len(rows[0]["at"])
        said(_alert_line("AT", "SEVERITY", "KIND", "MESSAGE", width=at, kinds=kinds))
        for row in rows:
            message = piped_text(row["message"], 500)
            said(_alert_line(row["at"], row["severity"], row["kind"], message, kinds=kinds))
    if still:
        # With no config (--database alone) no panel is left out of one.
        texts = (_open_text(e, config.path is not None, screen) for e in still)
        said(fitted("open: " + ", ".join(texts), screen, 6))
    said.out()
    if cut_note:
        click.echo(fitted(cut_note, notes), err=True)
    pruned.note(cut, screen=notes)


_ALERT_COLUMNS = ["at", "severity", "kind", "message"]
_ALERT_HEADERS = ["AT", "SEVERITY", "KIND", "MESSAGE"]
ALERT_SCREEN = Columns(times={"at": MINUTE}, wrap="message")


def _open_text(episode: dict[str, Any], with_config: bool, screen: Screen | None = None) -> str:
    """One open episode, and why it never ends when its panel is not in the
    config (removed or renamed: nothing runs for it any more); ``with_config``
    False: none was read (``--database`` alone), so no panel is left out."""
    text = f"{episode['panel']} {episode['kind']} since {moment(episode['since'], screen)}"
    if with_config and not episode["configured"]:
        text += (
            f" ({episode['panel']}: not in the config; ends only with the panel back "
            "under that name)"
        )
    return safe_text(text)


def _alert_line(
    at: str, severity: str, kind: str, message: str, width: int = 0, kinds: int = 20
) -> str:
    at, severity, kind = (piped_text(cell) for cell in (at, severity, kind))  # as in the table
    return f"{at:<{width}}  {severity:<8}  {kind:<{kinds}}  {message}"


def _resend(store: Store, ids: tuple[int, ...], database: Path) -> None:
    from tracker.service.lock_seen import holding

    when = "sent again at the daemon's next look (within 30s)"
    if holding(database) is None:  # no run holds the database: nothing looks now
        when = "sent again by the next run (no daemon runs now: start it, or run --once)"
    missing: list[int] = []
    try:
        for alert_id in dict.fromkeys(ids):
            with held() as hold:  # a stop waits for the reset to be said: one said is one done
                if resend(store, alert_id, utcnow()) == 0:
                    missing.append(alert_id)
                else:
                    click.echo(f"alert {alert_id}: {when}")
            end_if_stopped(hold)
    except KeyboardInterrupt:  # the IDs found missing before the stop are said too
        if missing:
            click.echo(f"smm-tracker: {_missing(store, missing)}", err=True)
        raise
    if missing:
        raise TrackerError(_missing(store, missing))


def _missing(store: Store, missing: list[int]) -> str:
    """The line for alert IDs the file does not hold: those below its newest
    were there and are gone (prune keeps the newest, so no ID is given twice)."""
    from tracker.store.pruned import newest_alert

    newest = newest_alert(store)
    gone = [i for i in missing if newest is not None and i < newest]
    never = [i for i in missing if i not in gone]
    parts = []
    if gone:
        these = f"alert {gone[0]} is" if len(gone) == 1 else f"alerts {shown_ids(gone)} are"
        parts.append(
            f"{these} not in {store.path} any more (older than its newest, {newest}): "
            "deleted by `smm-tracker prune`, probably"
        )
    if never:
        parts.append(f"no alert {shown_ids(never)} in {store.path}")
    return "; ".join(parts)
