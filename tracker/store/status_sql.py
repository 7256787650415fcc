"""The statements of :func:`tracker.store.answers.write_answer`, built once: one UPDATE
of a group of answers' orders per kind of change (the columns each kind names, and so the
indexes it re-indexes), one multi-row INSERT of their transitions, each for a number of
rows up to :data:`ROWS`. SQL text only: answers.py decides what to write and runs them.
"""

from __future__ import annotations

from functools import lru_cache

from tracker.rules.status_tuples import (
    KEEP_IF_NONE,
    STATUS_STAMPED,
    STATUS_WRITES,
    TRANSITION_COLUMNS,
)
from tracker.rules.transitions import STATUS_RESETS


@lru_cache(maxsize=32)
def update_sql(columns: tuple[str, ...], rows: int) -> str:
    """Return one UPDATE storing ``rows`` status reports' ``columns`` (each row's
    values, then its rowid, in a VALUES list), with STATUS_RESETS as constants
    and STATUS_STAMPED set to the first parameter, the poll's stamp (bound
    once, not once a row); for TURNED_OWN, the columns every such row shares
    set from the first two (the stamp, and the next check).

    One statement for the whole answer, not one per order: SQLite runs it in
    one step, without the GIL, so the writer is not queued behind the poll's
    worker threads for every row (and skips executemany's per-row overhead).
    By rowid: the rows were read in the same transaction, and it spares each
    update a walk down the (panel, order_id) key's index.
    """
    sets = []
    if columns == TURNED_OWN:
        sets += [
            "completed_at = COALESCE(completed_at, CASE WHEN polling = 0 THEN ?1 END)",
            "last_change_at = ?1",
            "next_check_at = ?2",
        ]
    for i, column in enumerate(columns, 1):
        value = f"v.column{i}"
        if column == "completed_at":  # set once, when the order first finishes
            sets.append(f"{column} = COALESCE({column}, {value})")
        elif column in KEEP_IF_NONE:
            sets.append(f"{column} = COALESCE({value}, {column})")
        else:
            sets.append(f"{column} = {value}")
    sets += [f"{c} = {'NULL' if v is None else int(v)}" for c, v in STATUS_RESETS.items()]
    sets += [f"{c} = ?1" for c in STATUS_STAMPED]  # the rows' "?" numbered on from here
    values = ", ".join([f"({', '.join('?' * (len(columns) + 1))})"] * rows)
    return (
        f"UPDATE orders SET {', '.join(sets)} FROM (VALUES {values}) AS v "
        f"WHERE orders.rowid = v.column{len(columns) + 1}"
    )


@lru_cache(maxsize=8)
def insert_transitions_sql(rows: int) -> str:
    """Return one INSERT of ``rows`` transitions (one statement, as above)."""
    values = ", ".join([f"({', '.join('?' * len(TRANSITION_COLUMNS))})"] * rows)
    return f"INSERT INTO transitions ({', '.join(TRANSITION_COLUMNS)}) VALUES {values}"


# Only the columns a write names are re-indexed: a report that leaves status
# and polling as they were skips the two status indexes (the usual report);
# a new status of an order still polled skips the indexes naming polling
# alone (orders_open, orders_created_day): ~2 us an order when every order
# changes.
KEPT_COLUMNS = len(STATUS_WRITES) - 2
assert STATUS_WRITES[KEPT_COLUMNS:] == ("status", "polling")
MOVED_COLUMNS = STATUS_WRITES
TURNED = STATUS_WRITES[:-1]
# A turned row (a new status, polling as it was) binds only what differs from
# order to order: its status changed, so its last change is the poll's stamp
# and its next check the one every order changed now gets (status_update);
# it is done (completed_at, set once) exactly when it is not polled, before
# as after (polling = 0). ~0.5 us an order less than binding every column
# (``answers._SHARED_TURNED`` False: tests/test_answers_turned.py stores both ways).
OWN_END = STATUS_WRITES.index("charge") + 1
assert STATUS_WRITES[OWN_END:] == (
    "completed_at", "last_change_at", "next_check_at", "status", "polling"
)  # fmt: skip
TURNED_OWN = (*STATUS_WRITES[:OWN_END], "status")
KEPT = STATUS_WRITES[:KEPT_COLUMNS]
# Rows per statement: 500 rows of at most 11 values stay far below SQLite's limit on
# bound values (32766 since SQLite 3.32), and hold a group of answers
# (poll.GROUP_ANSWERS of at most 100 orders each; see :func:`tracker.store.answers.merged`).
ROWS = 500
