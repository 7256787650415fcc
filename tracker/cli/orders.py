"""Order commands: orders (history is in :mod:`tracker.cli.history`, add in
:mod:`tracker.cli.add`, track in :mod:`tracker.cli.track`; the order IDs and
``--panel`` options commands take, in :mod:`tracker.cli.order_args`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.cli import pruned
from tracker.cli.bounds import POSITIVE
from tracker.cli.database import database_option
from tracker.cli.filters import ORDER_FILTERS, UnknownStatus, order_filter
from tracker.cli.listing import (
    Unsized,
    json_array,
    key_places,
    order_rows,
    stale_notes,
    table_chunks,
    with_delivered,
    with_untracked,
)
from tracker.cli.main import EXIT_USAGE, Context, fail, handle_errors, main, pass_ctx
from tracker.cli.order_args import listing_panel
from tracker.cli.output import echo_streamed
from tracker.cli.panels import read_panel
from tracker.cli.render import safe_text
from tracker.cli.screen import (
    DAY,
    Columns,
    fitted,
    stderr_screen,
    stdout_screen,
)
from tracker.cli.since import since_start, since_text
from tracker.cli.unit_notes import refused_key_fix  # the unit files: read if it is said
from tracker.cli.unreadable import Unreadable
from tracker.clock import iso
from tracker.errors import StoreError
from tracker.store.listing import failing_calls, failing_panels, not_answering, order_statuses
from tracker.store.readings import open_counts_of, panels_in_database
from tracker.store.watch_listing import order_listing

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.store.orders import Store

# The table is for reading: past a screenful, --limit N or --all say how much.
TABLE_LIMIT = 100


@main.command()
@click.option(
    "--status",
    "status_filter",
    metavar="S",
    help=f"Only this status, any case ({', '.join(ORDER_FILTERS)} for none yet, "
    "or a panel's own word seen in the database); untracked: stopped by untrack; "
    "lost: given up as unknown to the panel.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every match unless --limit).")
@click.option(
    "--ids",
    "ids_only",
    is_flag=True,
    help="Print only the order IDs, one per line (every match unless --limit), "
    "for `track -`, `untrack -` or `cancel -`.",
)
@click.option(
    "--limit",
    type=POSITIVE,
    help=f"At most this many rows (the table's default: {TABLE_LIMIT}).",
)
@click.option("--all", "show_all", is_flag=True, help="Every matching order, in the table too.")
@click.option("--stalled", is_flag=True, help="Only stalled orders, longest stalled first.")
@click.option(
    "--since",
    metavar="DURATION",
    help="Only orders first seen this recently (placed by add, or given to track; "
    "as report counts them): 90m, 24h, 7d, 2w.",
)
@listing_panel
@database_option
@pass_ctx
@handle_errors
def orders(
    ctx: Context,
    status_filter: str | None,
    as_json: bool,
    ids_only: bool,
    limit: int | None,
    show_all: bool,
    stalled: bool,
    since: str | None,
    panel: str | None,
    database: Path | None,
) -> None:
    """List tracked orders, newest first (the table: the newest 100 unless --limit/--all)."""
    if limit is not None and show_all:
        fail("--limit and --all do not go together", EXIT_USAGE)
    if ids_only and as_json:
        fail("--ids and --json do not go together", EXIT_USAGE)
    start = since_start(since)  # a bad duration: one line, exit 2, before the database
    config = ctx.config(keys=False, logs=False, database=database)
    name, store = read_panel(config, panel)  # configured, or with orders in the database
    status = None
    if status_filter is not None:
        try:
            status = order_filter(status_filter, lambda: order_statuses(store))
        except UnknownStatus as exc:
            fail(f"--status: {exc}", EXIT_USAGE)
    first_seen = iso(start) if start is not None else None  # as created_at is stored
    listed = Unreadable().listing(  # a number edited to text: null, its row named once
        partial(order_listing, store, panel=name, status=status, stalled=stalled, since=first_seen)
    )
    if ids_only:  # `orders --status lost --panel P --ids | smm-tracker track --panel P -`
        echo_streamed(f"\n{row['order_id']}"[not n :] for n, row in enumerate(listed(limit)))
        return
    if as_json:
        from tracker.store.children import with_children  # --json alone needs it

        # Streamed: scripts get every match without the whole list in memory.
        echo_streamed(json_array(with_children(store, with_untracked(listed(limit)))))
        return
    capped = limit is None and not show_all
    # When capped, one row more than is shown tells whether any were left out.
    rows = with_untracked(listed(TABLE_LIMIT + 1 if capped else limit), in_status=True)
    printed = False
    unsized = Unsized()  # DELIVERED unknown: no quantity stored (said under the table)
    unchecked = Unchecked()  # never polled yet: every column but PANEL ORDER blank (said)
    shown = unchecked.counted(
        with_delivered(islice(rows, TABLE_LIMIT) if capped else rows, unsized)
    )
    screen, notes = stdout_screen(), stderr_screen()
    # A longer listing on a terminal is read twice: its layout, then its rows.
    again = partial(order_rows, listed, limit)
    for piece in table_chunks(
        shown, ORDER_COLUMNS, ORDER_HEADERS, screen=screen, spec=ORDER_SCREEN, again=again
    ):
        click.echo(piece)
        printed = True
    lines = []  # notes for people, on stderr: stdout holds the rows alone (`| wc -l`)
    unfiltered = not printed and status is None and not stalled and since is None
    emptied = pruned.emptied(store, name) if unfiltered else None  # a prune left none
    if unfiltered and emptied is None:
        lines.append(_none_tracked(config, name))  # none ever tracked (none pruned): how to
    elif emptied is not None:
        lines.append(emptied)
    elif not printed:
        lines.append(
            f"no {'stalled ' * stalled}orders"
            + (f" with status {status}" if status else "")
            + (f" first seen in the last {since_text(since)}" if since is not None else "")
        )
    elif capped and next(rows, None) is not None:
        lines.append(f"(the newest {TABLE_LIMIT} shown; --limit N or --all for more)")
    if (unknown := unsized.note([p.name for p in config.panels], screen)) is not None:
        lines.append(unknown)
    failing = failing_panels(store, name)
    calls = failing_calls(store, name)  # every call failing, panel_unreachable not open yet
    left_out = _left_out(config, store, name)
    keys = key_places(config, failing)  # a refused key: where to fix it
    episodes = not_answering(store, name)
    fix = partial(refused_key_fix, database=config.database.path)  # what runs its daemon
    lines += stale_notes(failing, left_out, screen, calls, episodes, keys, fix)
    # Polled by the next run: not a panel whose polls fail, nor one left out (said above).
    if (never := unchecked.note(config, skip={*failing, *calls})) is not None:
        lines.append(never)
    for line in lines:  # on a terminal, wrapped at its words to its width
        click.echo(fitted(line, notes), err=True)
    if start is not None:  # --since reaching before a prune of orders: said, as alerts says it
        pruned.note(pruned.reached_orders(store, name, start), screen=notes)


class Unchecked:
    """The orders a table showed that no poll has checked yet (just given to
    ``track``): their status, figures and times are blank, said under the
    table with what checks them."""

    NAMED = 3

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}  # by panel
        self.ids: list[tuple[str, int]] = []  # the first few of each panel, in the table's order

    def counted(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Yield ``rows`` as they are, counting those never checked (still
        polled, no status nor check stored)."""
        for row in rows:
            if (
                row.get("stopped_by") is None
                and row["status"] is None
                and not row.get("last_checked_at")
            ):
                panel = str(row["panel"])
                self.counts[panel] = self.counts.get(panel, 0) + 1
                if self.counts[panel] <= self.NAMED:
                    self.ids.append((panel, row["order_id"]))
            yield row

    def note(self, config: Config, skip: Collection[str] = ()) -> str | None:
        """Return the note on stderr (None when every order shown was checked):
        which are not checked yet, and what checks them (``run --once`` now,
        the daemon within ``schedule.status_every``; a run holding the
        database: :func:`tracker.cli.checks_note.who_checks`). Only of the
        panels configured (a database read without its config, a panel left
        out: nothing polls them) and not in ``skip`` (their polls fail: said apart)."""
        polled = {p.name for p in config.panels if p.name not in skip} if config.path else set()
        counts = {panel: n for panel, n in self.counts.items() if panel in polled}
        count = sum(counts.values())
        if not count:
            return None
        one = count == 1
        named = [str(oid) for panel, oid in self.ids if panel in polled][: self.NAMED]
        ids = ", ".join(named) + (f" and {count - len(named)} more" if count > len(named) else "")
        from tracker.cli.checks_note import who_checks

        return safe_text(
            f"(order{'s' * (not one)} {ids} not checked on the panel yet, so "
            f"{'its' if one else 'their'} status is blank: {who_checks(config, counts)})"
        )


def _none_tracked(config: Config, name: str | None) -> str:
    """The note of ``orders`` (of ``--panel`` ``name``) on a database holding
    no order, none deleted by a prune: what tracks one, as the commands that
    need a database say it. ``--panel`` named when several panels are set."""
    flag = f" --panel {name}" if name else " --panel NAME" * (len(config.panels) != 1)
    on = f" on {name}" if name else ""
    return safe_text(
        f"no orders tracked yet{on}: `smm-tracker track{flag} ID` tracks an order placed "
        f"on the panel, `smm-tracker add{flag} --service ID --link URL --quantity N` "
        "places one and tracks it"
    )


def _left_out(config: Config, store: Store, name: str | None) -> dict[str, int]:
    """Given the config, the database and ``--panel`` (None: every panel),
    return the open orders of each panel the database holds that the config
    does not (removed, or renamed): nobody polls them. None without a config
    (``--database`` alone: no panel is configured, none is left out)."""
    if config.path is None:
        return {}
    configured = {p.name for p in config.panels}
    try:  # one index seek per panel; only the left-out ones' open orders counted
        left_out = [p for p in panels_in_database(store) if p not in configured]
        return open_counts_of(store, [p for p in left_out if name in (None, p)])
    except StoreError:
        return {}


ORDER_COLUMNS = [
    "panel",
    "order_id",
    "status",
    "delivered",
    "remains",
    "charge",
    "currency",
    "last_checked_at",
    "eta",
    "error",
]
ORDER_HEADERS = [
    "PANEL",
    "ORDER",
    "STATUS",
    "DELIVERED",
    "REMAINS",
    "CHARGE",
    "CUR",
    "CHECKED",
    "ETA",
    "ERROR",
]

# On a terminal: the times short, ERROR (the panel's words) wrapped, never
# cut; a stalled ETA ("Dec 05 (stalled)") and a long STATUS (a panel
# script's own words) too, within their columns, the ETA first; when that
# is not enough, a long panel name broken after its '-', then the status's
# words too (CJK, a character at a time).
ORDER_SCREEN = Columns(
    {"last_checked_at": DAY, "eta": DAY},
    "error",
    {"currency": "charge"},
    fold=("eta", "status", "currency"),
    names=("panel",),
)
