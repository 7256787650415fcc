"""Refills whose ID the panel also gave to another order: closed Unknown.

An answer about a refill ID two orders hold cannot be told apart, so such a
refill is not asked about: it is closed Unknown, logged ``refill_id_shared``
once (it is no longer followed); the first SHARED_LOGGED of a round by name
at warning, the rest at debug, counted in one ``refill_id_shared_many`` line
naming SHARED_LOGGED of them (``first``) and saying where the others are
(``more``: "5 more at --log-level debug").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from tracker.rules.unread_refills import shared_refill
from tracker.store.orders import Store
from tracker.store.refill_shared import shared_refill_ids
from tracker.store.refills import update_refills

log = structlog.get_logger("tracker.refill")

# Refill IDs given to several orders named one log line each in a round;
# any more in one line (refill_id_shared_many).
SHARED_LOGGED = 10


def close_shared(
    store: Store, panel: str, rows: list[dict[str, Any]], now: datetime
) -> tuple[dict[int, list[int]], list[dict[str, Any]]]:
    """Close the ``rows`` whose refill ID the panel also gave to another order
    as Unknown; return them by row ID (with the other orders holding the ID),
    and the changes stored."""
    shared = shared_refill_ids(store, panel, rows)
    if not shared:
        return shared, []
    by_id = {r["id"]: r for r in rows}
    orders: dict[str, set[int]] = {}
    for row_id, others in shared.items():
        row = by_id[row_id]
        orders.setdefault(row["refill_id"], set()).update([row["order_id"], *others])
    # Once each (its rows are closed now), the first SHARED_LOGGED of a round
    # by name: a panel restarted with its refill IDs counted again gave
    # hundreds in a minute (800 lines in the two-panel soak); the rest in one.
    told = sorted(orders.items())
    for index, (refill_id, holders) in enumerate(told):
        level = log.warning if index < SHARED_LOGGED else log.debug  # the rest: at debug
        level("refill_id_shared", panel=panel, refill=refill_id, orders=sorted(holders))
    if rest := told[SHARED_LOGGED:]:
        unnamed = len(rest) - SHARED_LOGGED  # named nowhere but in their debug lines
        log.warning(
            "refill_id_shared_many",
            panel=panel,
            refills=len(rest),
            orders=sum(len(holders) for _, holders in rest),
            first=[refill_id for refill_id, _ in rest[:SHARED_LOGGED]],
            **({"more": f"{unnamed} more at --log-level debug"} if unnamed > 0 else {}),
        )
    updates = {i: shared_refill(by_id[i]["refill_id"], others) for i, others in shared.items()}
    return shared, update_refills(store, updates, now)
