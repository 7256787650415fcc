"""``smm-tracker report``: the service scorecard in the terminal (and as JSON)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from tracker.cli import pruned
from tracker.cli.database import check_named_database, database_option, no_daemon_behind
from tracker.cli.main import Context, handle_errors, main, pass_ctx
from tracker.cli.panels import stored_panel, unknown_panel
from tracker.cli.render import safe_text, table, to_json
from tracker.cli.report_cells import Uncharged, Unknown, shown_row
from tracker.cli.scorecard import FIGURES, scorecard_text
from tracker.cli.scorecard import HEADERS as FIGURE_HEADERS
from tracker.cli.screen import Screen, fitted, moment, stderr_screen, stdout_screen
from tracker.cli.since import since_seconds, since_text
from tracker.cli.unreadable import Unreadable
from tracker.clock import iso, utcnow
from tracker.rules.money import ranked_currencies
from tracker.store.orders import Store
from tracker.store.refills import has_services
from tracker.store.reports import (
    bytes_currency,
    order_panels,
    scorecard,
    uncharged,
    unknown_charges,
)


def database_path(ctx: Context, database: Path | None, panel: str | None) -> tuple[Path, Any]:
    """Given --database and --panel, return the database file and the panel name to
    filter on (None: every panel). Without --database the config names both;
    with it, check_panel() tells an unknown panel. No database: exit 1, as for
    every read command."""
    if database is None:
        config = ctx.config(keys=False)
        if panel is None:
            return config.database.path, None
        opened: list[Store] = []

        def store() -> Store:
            opened.append(open_database(config.database.path))
            return opened[-1]

        try:  # configured, or with orders in the database (left out of the config)
            return config.database.path, stored_panel(config, panel, store)
        finally:
            for each in opened:
                each.close()
    check_named_database(database)  # StoreError: one line, exit 1 (handle_errors)
    return database, panel


def check_panel(store: Store, panel: str) -> None:
    """With --database there is no config to know the panels by: a panel with
    no order in the database is a typo (exit 2), as an unconfigured one is."""
    known = order_panels(store)
    if panel not in known:
        unknown_panel(store.path, panel, known)


def open_database(path: Path) -> Store:
    """Open the tracker's database to read it: read-only, unless its schema is
    older and the file writable (then it is migrated, which brings the views)."""
    return Store(path, read_only=True, before_migrating=no_daemon_behind(path))


# Who (one line of its own on a terminal: tracker.cli.scorecard), then the
# figures scorecard.FIGURES names, the spend with its currency in one cell.
COLUMNS = ["panel", "service", "service_name", "orders", "open", *FIGURES[:-2], "spend_text"]
HEADERS = ["PANEL", "SERVICE", "NAME", "ORDERS", "OPEN", *FIGURE_HEADERS[:-1]]


@main.command()
@click.option(
    "--since",
    default="30d",
    show_default=True,
    metavar="DURATION",
    help="Orders first seen this recently (24h, 7d, 2w, 90d).",
)
@click.option("--panel", metavar="NAME", help="Only this panel.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
@pass_ctx
@handle_errors
def report(
    ctx: Context, since: str, panel: str | None, as_json: bool, database: Path | None
) -> None:
    """Which services deliver: the scorecard per panel and service, highest spend first.

    Shares are of the orders first seen in the window (not one the panel never
    answered for and no longer tracked: untracked before its first poll, or
    lost); MEDIAN and P90 are the times from first seen to Completed; REFILLS
    are asked/accepted/completed; REFILLED is the share of Completed orders
    that needed a refill; SPEND is one figure per currency, never a sum of two
    ("12.30 USD, 4.00 EUR"). Services spending in several currencies are
    ranked a currency at a time, A to Z, highest spend first in each; so are
    those in one beside spends in no currency said (these after it).
    """
    window = since_seconds(since)
    path, name = database_path(ctx, database, panel)
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(seconds=window)
    store = open_database(path)
    try:
        if database is not None and name is not None:
            check_panel(store, name)
        rows = scorecard(store, start, name)
        unknown = unknown_charges(store, start, name)  # charges no spend adds up
        none_yet = uncharged(store, start, name)  # services no charge is said of yet
        _tell_bytes(*bytes_currency(store, start, name))  # one line on stderr
        currencies = ranked_currencies(rows)  # in several: each apart, never 61 RUB above 60 USD
        cut = pruned.reached(store, name, start)  # a window reaching before a prune's cutoff
        unnamed = {(r["panel"], r["service"]) for r in rows if not r["service_name"]}
        why = {at: _unnamed(store, *at) for at in unnamed if at[1] is not None}
    finally:
        store.close()
    if as_json:
        data = {"since": iso(start), "until": iso(now), "panel": name, "services": rows}
        click.echo(to_json({**data, "pruned": pruned.field(cut)}))
        return
    where = f" on {name}" if name else ""
    notes = stderr_screen()  # on stderr, wrapped on a terminal
    if not rows:
        none = f"no orders first seen in the last {since_text(since)}{where}"
        click.echo(fitted(none, notes), err=True)
    else:
        screen = stdout_screen()
        since_at = moment(iso(start), screen)  # "Nov 04 15:45 UTC" on a terminal
        head = f"orders first seen since {since_at} ({since_text(since)}){where}"
        named = [safe_text(currency) for currency in currencies]  # "RUB, then USD"
        ranked = f" in each currency: {', '.join(named[:-1])}, then {named[-1]}" if named else ""
        if len(named) == 1:  # one, beside spends in none said: those after it
            ranked = f" in {named[0]}, then those in no currency said"
        elif named and any(_unsaid_first(row) for row in rows):  # ranked after them all
            ranked += ", then those in no currency said"
        # One write: `report | head -1` ends 0, as a listing that fits the pipe does.
        click.echo(
            fitted(f"{head}, highest spend first{ranked}", screen)
            + "\n"
            + _table(rows, screen, why, unknown, none_yet)
        )
    pruned.note(cut, screen=notes)


def _unsaid_first(row: dict[str, Any]) -> bool:
    """Whether a service is ranked by a spend in no currency the panel said."""
    figures = row["spend_by_currency"]
    return bool(figures) and figures[0]["currency"] is None


def _tell_bytes(first: dict[str, Any] | None, orders: int) -> None:
    """Name an order whose currency is bytes (a hand edit), and how many more
    the report reads so, in one line on stderr: its charge is counted as
    one whose currency the panel did not say."""
    if first is not None:
        more = f" (and {orders - 1} more orders so)" if orders > 1 else ""
        Unreadable().say(
            f"order {first['panel']} #{first['order_id']}",
            "orders.currency",
            first["currency_bytes"],
            f"not text: read as unknown, its charge in no currency{more}",
        )


def _table(
    rows: list[dict[str, Any]],
    screen: Screen | None,
    why: dict[Any, str] | None = None,
    unknown: Unknown | None = None,
    uncharged: Uncharged = frozenset(),
) -> str:
    """The scorecard's table: for scripts (``screen`` None), one line per service
    as ever, its name cut at 32 characters; on a terminal, each service's
    name whole on its own line, its figures under it (:mod:`tracker.cli.scorecard`),
    a service with no name said why (``why``, by panel and service: :func:`_unnamed`)."""
    if screen is None:
        shown = [shown_row(r, unknown or {}, True, uncharged) for r in rows]
        return table(shown, COLUMNS, HEADERS)
    said = why or {}
    return scorecard_text(
        [
            {
                **shown_row(r, unknown or {}, False, uncharged),
                "service_name": said.get((r["panel"], r["service"]), r["service_name"]),
            }
            for r in rows
        ],
        screen,
    )


def _unnamed(store: Store, panel: str, service: int) -> str:
    """Why a service has no name: the panel's catalogue synced without it,
    listed with none, or no catalogue of the panel synced yet."""
    if store.rows("SELECT 1 FROM services WHERE panel = ? AND service = ?", [panel, service]):
        return "(listed with no name)"
    if has_services(store, panel):
        return "(not in the synced catalogue)"
    return "(services not synced yet: services --refresh)"
