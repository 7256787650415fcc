"""Alert commands: balance (current, recent history, runway) and alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from tracker.cli import pruned
from tracker.cli.bounds import POSITIVE
from tracker.cli.database import database_option
from tracker.cli.listing import NOT_ANSWERING
from tracker.cli.main import (
    Context,
    handle_errors,
    main,
    open_store,
    pass_ctx,
)
from tracker.cli.panels import panel_names, read_panel, shown_ids
from tracker.cli.render import CELL_WIDTH, safe_text, table, to_json
from tracker.cli.screen import MINUTE, Columns, Screen, fitted, moment, stderr_screen, stdout_screen
from tracker.cli.since import since_start, since_text
from tracker.cli.undelivered import list_undelivered
from tracker.clock import read_iso, utcnow
from tracker.config.model import Config
from tracker.errors import TrackerError
from tracker.rules.balance import (
    RUNWAY_WINDOW,
    estimate_runway,
    in_currency,
    recover_level,
    same_currency,
)
from tracker.rules.money import money
from tracker.store.alerts import alerts_since, balance_history, latest_balance, open_episodes
from tracker.store.listing import failing_panels
from tracker.store.orders import Store
from tracker.store.outbox import resend

SHOWN_HISTORY = 8  # balance checks listed per panel in text output; --json has the day


def panel_balance(store: Store, config: Config, name: str) -> dict[str, Any] | None:
    """Given a panel, return its last balance, threshold, state, runway and the day
    of history before it; None if its balance was never fetched."""
    last = latest_balance(store, name)
    if last is None:
        return None
    # The window ends at the last check, not now: a stopped daemon's history
    # still gives the rate it saw. Its time unreadable (a file edited by
    # hand): that check alone.
    start = _window_start(last)
    history = [last] if start is None else balance_history(store, name, start)
    # As the balance job reads it: the checks in the last one's currency only.
    spent = in_currency(history, last["currency"])
    points = [(t, float(r["balance"])) for r in spent if (t := read_iso(r["at"]))]
    runway = estimate_runway(points, float(last["balance"]))
    configured = {p.name: p for p in config.panels}.get(name)
    low = config.balance_low(configured) if configured else Decimal(0)  # left out: no threshold
    state = [e for e in open_episodes(store) if e["panel"] == name and e["kind"] == "balance_low"]
    return {
        "panel": name,
        "configured": configured is not None,
        "balance": last["balance"],
        "currency": last["currency"],
        "at": last["at"],
        # Numbers, as balance is: every money field of --json is a number.
        "low": float(low) if low > 0 else None,
        "recover_above": float(recover_level(low, config.balance.recover_margin)) if low else None,
        "low_since": state[0]["since"] if state else None,
        "runway": {
            "spend_per_day": runway.rate_per_day,
            "seconds_left": runway.seconds_left,
            "based_on_seconds": runway.span,
            "text": runway.describe(),
        },
        "history": history,
    }


_CHECKS = (["at", "balance"], ["CHECKED", "BALANCE"])


def _state(info: dict[str, Any], screen: Screen | None = None, no_config: bool = False) -> str:
    if info["low"] is None and not info.get("configured", True):  # --database and no config: none
        why = "no config read: no threshold" if no_config else "the panel is not in the config"
        return f"no low-balance alert ({why})"
    if info["low"] is None:
        return "no low-balance alert (balance.low = 0)"
    if info["low_since"]:
        above = money(Decimal(str(info["recover_above"])))
        return f"LOW since {moment(info['low_since'], screen)} (recovers above {above})"
    return f"ok (alert below {money(Decimal(str(info['low'])))})"


def _window_start(check: dict[str, Any]) -> datetime | None:
    """Where the day of history before a check starts; None: its time unreadable."""
    at = read_iso(check["at"])
    return None if at is None else at - timedelta(seconds=RUNWAY_WINDOW)


def _amount(row: dict[str, Any], currency: str | None) -> str:
    """A check's balance, with its currency when not the last check's (a panel
    that changed currency: 5000.00 RUB above 6.00 USD read as one currency)."""
    if row["currency"] and not same_currency(row["currency"], currency):
        return f"{money(row['balance'])} {safe_text(row['currency'], CELL_WIDTH)}"
    return money(row["balance"])


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--panel", metavar="NAME", help="Only this panel.")
@database_option
@pass_ctx
@handle_errors
def balance(ctx: Context, as_json: bool, panel: str | None, database: Path | None) -> None:
    """Show each panel's last balance, its recent history and the runway to zero."""
    config = ctx.config(keys=False, database=database)
    # --panel: configured, or with orders in the database (left out of the config).
    name, store = read_panel(config, panel)
    names = [name] if name else panel_names(config, store, named=database is not None)
    found = {name: panel_balance(store, config, name) for name in names}
    # Its history is the day before its last check: a prune's cutoff after that, cut.
    cuts = {
        name: pruned.reached(store, name, _window_start(info))
        for name, info in found.items()
        if info
    }
    if as_json:
        listed = [
            {**info, "pruned": pruned.field(cuts[name])} for name, info in found.items() if info
        ]
        click.echo(to_json({"panels": listed}))
        return
    failing_now = failing_panels(store, name)
    screen, notes = stdout_screen(), stderr_screen()  # notes: on stderr, wrapped on a terminal
    for name, info in found.items():
        if info is None:
            # On stderr, like every "nothing to list" note; --json leaves the panel out.
            kind, since = failing_now.get(name, ("", ""))
            why = "the daemon checks it on its schedule"
            if kind in NOT_ANSWERING:  # no schedule fetches it while the key is refused
                since = moment(since, screen)  # "15:44 UTC" on a terminal
                why = f"{NOT_ANSWERING[kind]} since {since}; smm-tracker doctor says why"
            click.echo(
                fitted(safe_text(f"{name}: no balance fetched yet ({why})"), notes), err=True
            )
            continue
        currency = f" {info['currency']}" if info["currency"] else ""
        amount = safe_text(f"{money(info['balance'])}{currency}", CELL_WIDTH)
        click.echo(fitted(f"{name}: {amount}  (checked {moment(info['at'], screen)})", screen))
        click.echo(fitted(f"  state:  {_state(info, screen, config.path is None)}", screen, 10))
        # describe() is written to stand alone in alerts ("runway unknown (...)").
        runway = info["runway"]["text"].removeprefix("runway ")
        click.echo(fitted(f"  runway: {runway}", screen, 10))
        recent = [
            {"at": r["at"], "balance": _amount(r, info["currency"])}
            for r in info["history"][-SHOWN_HISTORY:]
        ]
        shown = table(recent, *_CHECKS, screen=screen, spec=Columns(times={"at": MINUTE}))
        lines = shown.splitlines()
        click.echo("\n".join("  " + line for line in lines))
        pruned.note(cuts[name], name, notes)
    for failing, (kind, since) in failing_now.items():
        if found.get(failing) and kind in NOT_ANSWERING:  # status_failing: polls only
            since = moment(since, screen)
            why = f"{NOT_ANSWERING[kind]} since {since}: its balance is the last it gave"
            said = safe_text(f"({failing}: {why}; smm-tracker doctor says why)")
            click.echo(fitted(said, notes), err=True)


@main.command()
@click.option("--since", metavar="DURATION", help="Only alerts this recent (90m, 24h, 7d).")
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
    if resend_ids and (undelivered or as_json or since or panel):
        given = [n for n, v in (("--undelivered", undelivered), ("--json", as_json)) if v]
        given += [n for n, v in (("--since", since), ("--panel", panel)) if v is not None]
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
        _resend(open_store(config, existing=True), resend_ids)
        return
    name, store = read_panel(config, panel)  # a panel left out of the config too
    cut = pruned.reached(store, name, start) if start is not None else None  # --since's window
    notes = stderr_screen()  # the notes on stderr wrapped on a terminal
    if undelivered:
        list_undelivered(store, name, start, limit, as_json, cut, notes)
        return
    rows = alerts_since(store, start, panel=name, limit=limit)
    configured = {p.name for p in config.panels}
    still = [
        {**e, "configured": e["panel"] in configured}
        for e in open_episodes(store)
        if name is None or e["panel"] == name
    ]
    if as_json:
        click.echo(to_json({"alerts": rows, "open": still, "pruned": pruned.field(cut)}))
        return
    if not rows:
        none = "no alerts" + (f" in the last {since_text(since)}" if since else "")
        click.echo(fitted(none, notes), err=True)
    screen = stdout_screen()
    if rows and screen is not None:  # times short, each message wrapped whole
        shown = [{**row, "message": safe_text(row["message"], 500)} for row in rows]
        click.echo(table(shown, _ALERT_COLUMNS, _ALERT_HEADERS, screen=screen, spec=ALERT_SCREEN))
    elif rows:
        # A header as every other listing has, the columns under it.
        click.echo(_alert_line("AT", "SEVERITY", "KIND", "MESSAGE", width=len(rows[0]["at"])))
    for row in rows if screen is None else ():
        message = safe_text(row["message"], 500)
        click.echo(_alert_line(row["at"], row["severity"], row["kind"], message))
    if still:
        # With no config (--database alone) no panel is left out of one.
        texts = (_open_text(e, config.path is not None, screen) for e in still)
        click.echo(fitted("open: " + ", ".join(texts), screen, 6))
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


def _alert_line(at: str, severity: str, kind: str, message: str, width: int = 0) -> str:
    at, severity, kind = (safe_text(cell) for cell in (at, severity, kind))  # as in the table
    return f"{at:<{width}}  {severity:<8}  {kind:<20}  {message}"


def _resend(store: Store, ids: tuple[int, ...]) -> None:
    missing = [i for i in dict.fromkeys(ids) if resend(store, i, utcnow()) == 0]
    for alert_id in dict.fromkeys(ids):
        if alert_id not in missing:
            click.echo(f"alert {alert_id}: sent again at the daemon's next look (within 30s)")
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
