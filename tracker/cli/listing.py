"""Streamed rendering of long listings: rows in, text out, a chunk at a time.

Pure, like :mod:`tracker.cli.render`, whose formats it keeps: a million orders
are printed without ever being held in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from tracker.cli.render import layout_of, row_in_list, safe_text, table, with_reason
from tracker.cli.screen import Columns, Screen, moment
from tracker.rules.delivery import DELIVERING, delivered, total_quantity
from tracker.rules.money import charge_or_none
from tracker.rules.not_answering import NOT_ANSWERING, key_fix, key_place, not_answering_said
from tracker.store.listing import BY_PANEL, BY_USER

if TYPE_CHECKING:
    from tracker.config.model import Config


def json_array(rows: Iterable[dict[str, Any]], *, chunk: int = 500) -> Iterator[str]:
    """Given rows, yield pieces of the text ``to_json(list(rows))`` would return."""
    items = iter(rows)
    first = True
    while block := list(islice(items, chunk)):
        # Each item as to_json indents it inside a list: two more spaces.
        text = ",\n".join("  " + row_in_list(row) for row in block)
        yield ("[\n" if first else ",\n") + text
        first = False
    yield "[]" if first else "\n]"


def table_chunks(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str],
    *,
    chunk: int = 1000,
    screen: Screen | None = None,
    spec: Columns | None = None,
    again: Callable[[], Iterable[dict[str, Any]]] | None = None,
) -> Iterator[str]:
    """Given rows, yield an aligned text table ``chunk`` rows at a time.

    The header comes once; each chunk is aligned on its own, so a long
    listing starts printing at once (one chunk is the whole table when the
    rows fit in it, as with the default limit). On a ``screen``, as
    :func:`~tracker.cli.render.table` shows it: the free text under its row
    in every chunk, whatever its widths, when there is more than one chunk;
    and the columns and units of the whole listing, read first from the
    rows ``again`` yields anew (without it, every column), so that each
    chunk fits the header printed once.
    """
    items = iter(rows)
    first = True
    whole = True
    layout = None
    while block := list(islice(items, chunk)):
        if first and screen is not None:  # one more row: is this block the whole table?
            more = list(islice(items, 1))
            whole, items = not more, chain(more, items)
            if not whole and again is not None:
                layout = layout_of(again(), columns, spec or Columns())
        yield table(
            block,
            columns,
            headers,
            screen=screen,
            spec=spec,
            whole=whole,
            layout=layout,
            headed=first,
        )
        first = False


def with_untracked(
    rows: Iterable[dict[str, Any]], *, in_status: bool = False
) -> Iterator[dict[str, Any]]:
    """Mark the orders `untrack` stopped, ``"untracked": true``, and those
    given up as unknown to the panel, ``"lost": true``; with ``in_status``
    their status reads "In progress (untracked: reason)" or "(lost: reason)"."""
    for row in rows:
        row["untracked"] = row.get("stopped_by") == BY_USER
        row["lost"] = row.get("stopped_by") == BY_PANEL
        if in_status and (row["untracked"] or row["lost"]):
            why = f": {row['stop_reason']}" if row.get("stop_reason") else ""
            word = "untracked" if row["untracked"] else "lost"
            row["stored_status"] = row["status"]  # what DELIVERED is worked out from
            row["status"] = f"{row['status'] or '-'} ({word}{why})"
        yield row


class Unsized:
    """The orders a table showed whose delivery started but whose quantity
    the database lacks (tracked without ``--quantity``: a panel's status
    never says it), so DELIVERED cannot be worked out: counted, the first
    few named, for the note saying why and what fills it in."""

    NAMED = 3

    def __init__(self) -> None:
        self.count = 0
        self.ids: list[int] = []
        self.panels: set[str] = set()
        self.figures = False  # any row with a DELIVERED figure: the column is shown

    def add(self, row: dict[str, Any]) -> None:
        """Count ``row`` (an order row as :func:`with_delivered` reads it,
        delivering, its DELIVERED unknown) if its quantity is unknown."""
        if total_quantity(row["quantity"], row.get("runs")) is not None:
            return  # a remains that is no delivery figure: not the quantity's fault
        self.count += 1
        self.panels.add(str(row["panel"]))
        if len(self.ids) < self.NAMED:
            self.ids.append(row["order_id"])

    def note(self, configured: Sequence[str], screen: Screen | None = None) -> str | None:
        """Return the note on stderr (None when every such order had its
        quantity); ``--panel`` named unless the one ``configured`` panel
        holds them all, as ``track`` then needs it. On a ``screen`` whose
        table left DELIVERED out (no row had a figure), said without it."""
        if not self.count:
            return None
        one = self.count == 1
        more = f" and {self.count - len(self.ids)} more" if self.count > len(self.ids) else ""
        ids = ", ".join(map(str, self.ids)) + more
        panel = next(iter(self.panels)) if len(self.panels) == 1 else "NAME"
        flag = "" if [panel] == list(configured) else f" --panel {panel}"
        order = str(self.ids[0]) if one else "ID"
        shown = screen is None or self.figures  # else no DELIVERED column to name
        what = "DELIVERED" if shown else "how much was delivered is"
        return safe_text(
            f"({what} unknown for order{'s' * (not one)} {ids}: tracked without "
            f"{'its' if one else 'their'} quantity, which a panel's status never says; "
            f"smm-tracker track{flag} {order} --quantity Q fills it in)"
        )


def with_delivered(
    rows: Iterable[dict[str, Any]], unsized: Unsized | None = None
) -> Iterator[dict[str, Any]]:
    """Given order rows as :func:`with_untracked` marks them, yield each as the
    table shows it: DELIVERED worked out, the charge as money, a stalled
    ETA marked "(stalled)", the status with the panel's reason. ``unsized``
    counts those whose delivery started but whose quantity is unknown."""
    for row in rows:
        # Only once delivery started, of the whole order (drip-feed: runs x quantity).
        status = row.get("stored_status", row["status"])  # "In progress (untracked: ...)"
        done = delivered(status, row["quantity"], row.get("runs"), row["remains"])
        if done is not None:
            if unsized is not None:
                unsized.figures = True
            row["delivered"] = f"{done}/{total_quantity(row['quantity'], row.get('runs'))}"
        elif unsized is not None and status in DELIVERING and row["remains"] is not None:
            unsized.add(row)  # counted if its quantity is what is missing
        row["charge"] = charge_or_none(row["charge"])  # 12345.67, not 12345.7 (%.6g)
        if row.get("stalled_at"):
            row["eta"] = f"{row['eta'] or '-'} (stalled)"
        if not (row.get("untracked") or row.get("lost")):  # "In progress (lost: ...)"
            row["status"] = with_reason(row["status"], row.get("raw_status"))
        yield row


def order_rows(
    listed: Callable[[int | None], Iterable[dict[str, Any]]], limit: int | None
) -> Iterator[dict[str, Any]]:
    """Given ``orders``' listing and its ``--limit``, yield the rows its table shows."""
    return with_delivered(with_untracked(listed(limit), in_status=True))


def stop_note(row: dict[str, Any], screen: Screen | None = None) -> str | None:
    """Given an order row, return the line saying why it is no longer polled
    (untracked or lost), or None while it is polled or once it finished; on a
    ``screen`` (a terminal) its time short ("since 15:44 UTC")."""
    if row.get("stopped_by") is None:
        return None
    who = (
        "untracked by you" if row["stopped_by"] == BY_USER else "lost: the panel called it unknown"
    )
    why = f" ({safe_text(row['stop_reason'], 200)})" if row.get("stop_reason") else ""
    since = moment(row["stopped_at"], screen)
    # Its panel named: `track ID` tracks ID on the one panel configured, which
    # need not be this order's (a panel left out of the config, renamed).
    resume = f"track --panel {safe_text(row['panel'])} {row['order_id']}"
    return f"not polled since {since}: {who}{why}; {resume} resumes"


def stale_notes(
    failing: Mapping[str, tuple[str, str]],
    left_out: Mapping[str, int],
    screen: Screen | None,
    calls: Mapping[str, tuple[str, str]] | None = None,
    open_now: Mapping[str, Mapping[str, str | None]] | None = None,
    keys: Mapping[str, str | None] | None = None,
    fix_key: Callable[[str | None], str] = key_fix,
) -> list[str]:
    """Given the panels whose polls fail now ({panel: (alert kind, since)}),
    those the config leaves out ({panel: open orders}) and those whose every
    call fails, ``panel_unreachable`` not open yet ({panel: (since, last)}:
    :func:`tracker.store.listing.failing_calls`), return the notes ``orders``
    prints on stderr: their listed statuses are the last they gave; the
    moments as ``screen`` (stdout's) shows them. ``open_now`` ({panel:
    {kind: since}}: :func:`tracker.store.listing.not_answering`) lets a
    panel's note name both its key refused and every call failing. A
    panel of ``keys`` ({panel: where its key is set, as
    :func:`~tracker.rules.not_answering.key_place` says it; None: not
    known}) whose key is refused is told what fixes it, as ``doctor`` says
    it (``fix_key``: the place into its words, what has the daemon take it
    fitting the installed unit: :mod:`tracker.cli.unit_notes`); any other,
    where to read why."""
    lines = []
    calls = calls or {}
    open_now = open_now or {}
    for failing_panel in sorted({*failing, *calls}):  # not an order's failure
        kind, since = failing.get(failing_panel, ("", ""))
        run = calls.get(failing_panel) if kind not in NOT_ANSWERING else None
        if run is not None:  # every call, polls or not: said as balance says it
            why = calls_failed(run, screen)
            if kind and since and since < run[0]:  # its polls failed before the rest
                why = f"{why}; its polls since {moment(since, screen)}"
            said = f"({failing_panel}: {why}: its statuses are the last it gave; "
            lines.append(safe_text(f"{said}smm-tracker doctor says why)"))
            continue
        why, first = f"polls have failed since {moment(since, screen)}", ""
        if kind in NOT_ANSWERING:  # both open: both said, the key first
            why, first = not_answering_words(kind, since, open_now.get(failing_panel, {}), screen)
        fix = "smm-tracker doctor, or the log's status_failed lines, say why"
        if kind == "auth_failed" and keys is not None and failing_panel in keys:
            fix = fix_key(keys[failing_panel])  # the key, where it is set: as doctor says
        said = f"({failing_panel}: {why}: its statuses are the last it gave; {first}{fix})"
        lines.append(safe_text(said))
    for left, count in left_out.items():
        one = count == 1  # "its status ... untrack it", not "their statuses"
        said = "its status is" if one else "their statuses are"
        them, ids = ("it", "ID") if one else ("them", "ID...")
        lines.append(
            safe_text(
                f"({left}: {count} open order{'s' * (not one)} not polled: not in the config; "
                f"{said} the last it gave; add the panel back, or untrack {them}: "
                f"smm-tracker untrack --panel {left} {ids})"
            )
        )
    return lines


def not_answering_words(
    kind: str, since: str, open_now: Mapping[str, str | None], screen: Screen | None
) -> tuple[str, str]:
    """Given the episode a panel's note names (``kind`` since ``since``: of
    :func:`~tracker.store.listing.failing_panels`, ``auth_failed`` first)
    and the panel's episodes open now ({kind: since}), return what the note
    says of them ("the API key is refused since 15:44 UTC") and what it
    says before where to read why: both open, both said, the key first, the
    cause to fix first (as ``balance --json`` gives both). ``balance`` and
    ``orders`` say it alike, and ``doctor``
    (:func:`tracker.rules.not_answering.not_answering_said`)."""
    return not_answering_said(kind, since, open_now, lambda stamp: moment(stamp, screen))


def calls_failed(run: tuple[str, str], screen: Screen | None) -> str:
    """Given a run of failed calls (its start, its last) and the screen,
    return its words: "its last call failed at 15:44 UTC (every call since
    15:40 UTC)", the run's start left out when it is that call."""
    since, last = run
    said = f"its last call failed at {moment(last, screen)}"
    return said if since == last else f"{said} (every call since {moment(since, screen)})"


def key_places(config: Config, failing: Iterable[str]) -> dict[str, str | None]:
    """Given the config and the panels whose calls fail, return {panel: where
    its key is set}, "panels[0].key_env (environment variable SMM_KEY)", of
    each configured panel; without a config (``--database`` alone), of each
    failing one, None: not known. A panel the config leaves out has none.
    ``orders`` and ``balance`` say a refused key's fix with it, as ``doctor``."""
    if config.path is None:
        return dict.fromkeys(failing)
    return {
        panel.name: key_place(index, panel.key_field, panel.key_source)
        for index, panel in enumerate(config.panels)
        if panel.key_field
    }
