"""``smm-tracker alerts --undelivered``: the alerts a webhook or notify target
has not taken (tried again, or given up). For scripts, every column as ever,
the last error whole (a cut at the default 100 said on stderr; the notes,
the one offering ``alerts --resend`` too, counting every undelivered alert
of the window, not only the rows shown);
on a terminal, its times short and the message and last error whole. A
``--since`` reaching before a prune's cutoff says so, as ``alerts --since``
does: prune deletes the alerts given up on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from tracker.cli import pruned
from tracker.cli.render import cut_text, safe_text, table, to_json
from tracker.cli.screen import MINUTE, Columns, Screen, fitted, short_time, stdout_screen
from tracker.clock import iso
from tracker.config.model import AlertsConfig
from tracker.rules.redelivery import UNREAD, never_sent, undelivered_notes
from tracker.store.orders import Store
from tracker.store.outbox import waiting

_COLUMNS = ["id", "at", "kind", "target", "failures", "state", "error", "message"]
_HEADERS = ["ID", "AT", "KIND", "TARGET", "FAILURES", "TRY", "LAST ERROR", "MESSAGE"]
# On a terminal the message, then its last error, are one free text: wrapped, never cut;
# when the other columns would pass the screen, a notify target's name over its
# scheme, a date over its clock, then a long kind broken after a '_'. Beside its
# row only with 40 columns for it: at 80 the others leave it 20, where a message
# with its error took a dozen lines a word or two wide; under its row, three.
_SCREEN_COLUMNS = [*_COLUMNS[:6], "about"]
_SCREEN_HEADERS = [*_HEADERS[:6], "MESSAGE (LAST ERROR)"]
_ON_SCREEN = Columns(
    times={"at": MINUTE}, wrap="about", fold=("target", "at"), names=("kind",), narrowest=40
)


def list_undelivered(
    store: Store,
    panel: str | None,
    start: datetime | None,
    limit: int,
    as_json: bool,
    cut: dict[str, Any] | None = None,
    notes: Screen | None = None,
    targets: bool | None = None,
    where: Where | None = None,
    kept: bool = True,
    limited: bool = False,
) -> None:
    """List the alerts no target took of ``panel`` (None: every panel) since
    ``start``, the newest ``limit``, oldest first; as JSON with ``as_json``.
    ``cut``: the prune whose cutoff the window reaches before (None: none);
    ``notes``: stderr's terminal, its notes wrapped to its width (None: a line each);
    ``targets``: whether the config sends alerts anywhere (None: no config read);
    ``where``: the targets the daemon sends to and the notify places it never
    sends to (:func:`where_sent`; None: not known), its rows of the others said
    as doctor says them (the ``never_sent`` field, the notes); ``kept``:
    whether the daemon sends alerts again (``alerts.redeliver_for`` above 0);
    ``limited``: ``--limit`` given (else a listing cut at its default says so,
    as ``alerts`` does)."""
    since = iso(start) if start is not None else ""
    rows = [
        r for r in waiting(store) if (panel is None or r["panel"] == panel) and r["at"] >= since
    ]
    more = len(rows) > limit and not limited  # cut at the default: said, as alerts says it
    every, rows = rows, rows[-limit:]  # the newest ones, oldest first as listed
    cut_note = fitted(f"(the newest {limit} shown; --limit N for more)", notes) if more else None
    sending, unread = where if where is not None else (None, set[str]())
    for row in rows:
        row["never_sent"] = never_sent(row["target"], sending, unread)
    if as_json:
        click.echo(to_json({"undelivered": rows, "pruned": pruned.field(cut)}))
        if cut_note:
            click.echo(cut_note, err=True)
        return
    if not rows and where is not None and unread and not sending:  # only URLs not understood
        none = (
            f"no alert is sent anywhere: {', '.join(sorted(unread))}: {UNREAD}, and no other "
            "target in [alerts] (alerts are stored and logged only)"
        )
        click.echo(fitted(none, notes), err=True)
    elif not rows and targets is False:  # nothing to deliver: no target configured
        none = (
            "no alert is sent anywhere: [alerts] has no webhook_url, webhook_url_file, "
            "notify or notify_file (alerts are stored and logged only)"
        )
        click.echo(fitted(none, notes), err=True)
    elif not rows:
        none = "every alert was delivered (or none was kept: alerts.redeliver_for)"
        click.echo(fitted(none, notes), err=True)
    else:
        screen = stdout_screen()
        click.echo(_table(rows) if screen is None else _screen_table(rows, screen))
        # doctor's words and counts: of every row of the window, not only those shown
        for line in undelivered_notes(every, sending, unread, kept):
            click.echo(fitted(line, notes), err=True)
        offered = sending != set() and kept  # else `alerts --resend` refuses
        # of every row of the window too: one given up behind the rows shown
        if offered and any(row["gave_up_at"] for row in every):
            click.echo(fitted("(alerts --resend ID sends one given up again)", notes), err=True)
    if cut_note:
        click.echo(cut_note, err=True)
    pruned.note(cut, screen=notes)


# The targets the daemon sends to, and the notify places it never sends to.
Where = tuple[set[str], set[str]]


def where_sent(alerts: AlertsConfig) -> Where | None:
    """Given ``[alerts]``, return the targets the daemon sends to (their
    ``alert_deliveries.target`` names) and the notify places whose URL Apprise
    does not understand; None when not known (a ``webhook_url_file`` or
    ``notify_file`` a read command does not read). Apprise is imported only
    when notify URLs are configured; nothing is sent."""
    if alerts.unread_targets:
        return None
    made: list[str] = []
    placed: set[str] = set()
    if alerts.notify:
        from tracker.alerts.notify import target_name, understood

        made = understood(alerts.notify, timeout=alerts.webhook_timeout)
        placed = {target_name(i, url) for i, url in enumerate(alerts.notify)}
    return {*made, *(["webhook"] if alerts.webhook_url else [])}, placed - set(made)


def _table(rows: list[dict[str, Any]]) -> str:
    for row in rows:
        then = f"gave up {row['gave_up_at']}" if row["gave_up_at"] else f"next {row['next_at']}"
        row["state"] = then
        # Whole, as `alerts` piped has a message (500 at most) and
        # automation its REASON: what a script reads to know what to fix, the
        # error the tracker's own words (up to 300 characters stored); the
        # table escapes each cell once.
        row["message"] = cut_text(str(row["message"]), 500)
    return table(rows, _COLUMNS, _HEADERS, uncut=("error", "message"))


def _screen_table(rows: list[dict[str, Any]], screen: Screen) -> str:
    """The table on a terminal: "next 16:14", "gave up Dec 03 22:17" (UTC, as
    the AT header says), the message and its last error wrapped whole."""
    for row in rows:
        then = "gave up" if row["gave_up_at"] else "next"
        row["state"] = f"{then} {short_time(row['gave_up_at'] or row['next_at'] or '', screen.now)}"
        error = f" (last error: {row['error']})" if row["error"] else ""
        row["about"] = safe_text(f"{row['message']}{error}", 500)
    return table(rows, _SCREEN_COLUMNS, _SCREEN_HEADERS, screen=screen, spec=_ON_SCREEN)
