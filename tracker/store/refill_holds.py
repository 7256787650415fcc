"""When refills were read as running: the start of a hold (:mod:`tracker.rules.running_refills`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.clock import parse_iso
from tracker.panel.statuses import IN_PROGRESS
from tracker.store.orders import Store
from tracker.store.sql import chunks
from tracker.store.sql import placeholders as _marks


def running_since(store: Store, row_ids: Sequence[int]) -> dict[int, datetime]:
    """Return when each of these ``refills`` rows last became In progress (its
    newest such change), by row ID; a row with none is left out."""
    found: dict[int, datetime] = {}
    for chunk in chunks(list(row_ids)):
        for row_id, at in store.tuples(
            f"SELECT refill, max(at) FROM refill_changes WHERE refill IN ({_marks(chunk)}) "
            "AND to_status = ? GROUP BY refill",
            [*chunk, IN_PROGRESS],
        ):
            found[row_id] = parse_iso(at)
    return found
