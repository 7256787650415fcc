"""prune takes an order's told marks with it (small111).

A line a run tells about one order of a panel, once per episode
(``probe_failed``, ``reorder_not_sent``: :func:`tracker.store.told_marks.told_of_panel`),
is marked in ``alert_state`` as ``<line>#<order ID>#<digest of its words>``.
An order never probed again (past its refill window, untracked) kept its
mark for ever, and prune deleted the order but not the mark: a row naming an
order no longer in the database, and, the same ID tracked again, its own
failed probe told at info, as told a year before.
"""

from __future__ import annotations

from test_prune import EXPECTED, NOW, rows, setup, shown  # noqa: F401  (fixture)
from test_prune_run_urls import _order_of

from tracker.store.orders import Store
from tracker.store.told_marks import told_of_panel, words_mark

MARKS = {  # (panel, line, order): kept by prune?
    ("sim", "probe_failed", "1"): False,  # order 1 goes
    ("sim", "probe_failed", "12"): False,  # order 12 goes
    ("sim", "reorder_not_sent", "9"): False,  # order 9 goes
    ("sim", "probe_failed", "3"): True,  # order 3 stays
    ("sim", "reorder_not_sent", "7"): True,  # order 7 stays
    ("gone", "probe_failed", "1"): True,  # another panel's order 1 (still polled)
}


def _marked(db) -> None:
    store = Store(db)
    try:
        for panel, line, order in MARKS:  # as a round tells one order's failure
            told_of_panel(store, panel, line, {order: "HTTP 502"}, NOW, asked=[order])
        # A line about no order: its thing is a digest of words, however it reads.
        told_of_panel(store, "sim", "cancel_not_sent", {"100000000001": "x"}, NOW)
    finally:
        store.close()


def test_prune_deletes_the_told_marks_of_the_orders_it_deletes_and_no_other(setup):  # noqa: F811
    cli, db = setup
    _order_of(db, "gone")  # its order 1 in the file: no panel gone (whose every mark goes)
    _marked(db)
    assert len(rows(db, "SELECT kind FROM alert_state WHERE kind LIKE '%#%'")) == len(MARKS) + 1
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert shown(result.output) == EXPECTED  # the marks are bookkeeping: no count, no column
    left = rows(db, "SELECT panel, kind FROM alert_state WHERE kind LIKE '%#%' ORDER BY 1, 2")
    digest = words_mark("HTTP 502")
    kept = sorted((p, f"{line}#{order}#{digest}") for (p, line, order), k in MARKS.items() if k)
    kept.append(("sim", f"cancel_not_sent#100000000001#{words_mark('x')}"))
    assert left == sorted(kept)
