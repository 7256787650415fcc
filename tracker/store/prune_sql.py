"""``prune``'s queries: which records are old enough to go. The orders that may go
(:data:`PRUNABLE`, nothing naming them newer than the cutoff), the re-order links
that keep a family whole (:data:`LINKS`), the tables with rows per order in the order
they are deleted (:data:`ORDER_TABLES`) and as they are shown (:data:`SHOWN`), and the
balance checks and alerts that may go (:data:`BALANCES`, :data:`ALERTS`). SQL text
only: :mod:`tracker.store.prune` runs them.
"""

from __future__ import annotations

from tracker.panel.statuses import TERMINAL
from tracker.rules.refill_states import CLOSED
from tracker.store.typed import NUMBER_TYPES

MARKS = "{ids}"  # an IN (...) list of order IDs
_OF_ORDERS = f"panel = ? AND order_id IN ({MARKS})"
# Every table with rows per order, in the order they are deleted (foreign keys:
# refill_changes before refills, every table before orders).
ORDER_TABLES = (
    ("refill_changes", f"refill IN (SELECT id FROM refills WHERE {_OF_ORDERS})"),
    ("refills", _OF_ORDERS),
    ("transitions", _OF_ORDERS),
    ("probes", _OF_ORDERS),
    ("order_watch", _OF_ORDERS),
    ("automation_actions", _OF_ORDERS),
    ("automation_skips", _OF_ORDERS),
    ("cancels", _OF_ORDERS),
    ("late_checks", _OF_ORDERS),  # its foreign key cascades too: deleted here, counted
    ("orders", _OF_ORDERS),
)
# Never deleted: ``idempotency_keys`` (m034). A key outlives its order, so an
# `add` run again under it, however late, prints that order and sends nothing.
# How the tables are shown: orders first, then what hangs on them, then the rest.
SHOWN = (
    "orders",
    *(name for name, _ in ORDER_TABLES if name != "orders"),
    "balances",
    "alerts",
    "alert_deliveries",
)

_TERMINAL = ", ".join(f"'{status}'" for status in sorted(TERMINAL))
_CLOSED = ", ".join(f"'{status}'" for status in sorted(CLOSED))


def _newer(table: str, *columns: str) -> str:
    stamps = " OR ".join(f"x.{column} >= :records" for column in columns)
    return (
        f"AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.panel = o.panel "
        f"AND x.order_id = o.order_id AND ({stamps}))"
    )


# An order may go when it is no longer polled, nothing about it changed since
# the cutoff, it finished (and its refill window ended) or was stopped before
# the cutoff, and no row naming it is newer than the cutoff. A refill the
# tracker still follows keeps it; so does a refill ID the panel gave a
# followed refill of another order too (the refill job's refill_id_shared
# check reads the old one). Its order_watch row keeps nothing: it goes with
# the order. A stopped order's (lost or untracked while stalled: its episode
# kept for `track`), and a finished order's, which only a stall watch that
# has not run on its panel since the order finished (a month at least: a
# kept demo, a daemon stopped, a panel no longer configured) still holds: an
# order_moving told that late would tell nothing. The tables with no index
# by order are read once (NOT IN), not once per order.
PRUNABLE = f"""
SELECT o.order_id FROM orders o
WHERE o.panel = :panel AND o.polling = 0 AND o.updated_at < :records
  AND ((o.status IN ({_TERMINAL}) AND o.completed_at < :completed)
       OR o.stopped_at < :records)
  {_newer("transitions", "at")}
  {_newer("refills", "requested_at", "updated_at")}
  AND NOT EXISTS (SELECT 1 FROM refills x WHERE x.panel = o.panel
                  AND x.order_id = o.order_id AND x.status NOT IN ({_CLOSED}))
  AND o.order_id NOT IN (SELECT x.order_id FROM refills x WHERE x.panel = :panel
                         AND x.refill_id IN (SELECT y.refill_id FROM refills y
                           WHERE y.panel = :panel AND y.refill_id IS NOT NULL
                           AND y.status NOT IN ({_CLOSED})))
  AND o.order_id NOT IN (SELECT x.order_id FROM refill_changes x
                         WHERE x.panel = :panel AND x.at >= :records)
  {_newer("probes", "probed_at")}
  {_newer("order_watch", "updated_at")}
  {_newer("automation_actions", "at", "updated_at")}
  {_newer("automation_skips", "last_at")}
  {_newer("cancels", "requested_at")}
  AND o.order_id NOT IN (SELECT x.order_id FROM idempotency_keys x
                         WHERE x.panel = :panel AND x.order_id IS NOT NULL
                         AND (x.at >= :records OR x.updated_at >= :records))
"""

# Re-order links of a panel, both ways they are recorded: (re-order, parent).
LINKS = """
SELECT order_id, parent_order_id FROM orders
WHERE panel = :panel AND parent_order_id IS NOT NULL
UNION
SELECT new_order_id, order_id FROM automation_actions
WHERE panel = :panel AND new_order_id IS NOT NULL
"""

# Balance checks before the cutoff, but for each panel's newest (what
# `balance` shows as its last, and the low-balance state compares with), and
# its newest finite one, what `balance` and the smm_tracker_balance gauge
# read (an infinite newest, 0.1.0's "1e400", left them nothing): the last
# stored (rowid) whose balance is a finite number (NUMBER_TYPES, of ``n``).
# Those are chosen once per statement, not per row (a correlated subquery
# took 2.7 times as long over a year of checks); a panel without one, none.
BALANCES = f"""
FROM balances b WHERE b.at < :records {{panel}}
  AND b.at < (SELECT max(n.at) FROM balances n WHERE n.panel = b.panel)
  AND b.rowid NOT IN (SELECT f.kept FROM (
        SELECT (SELECT n.rowid FROM balances n WHERE n.panel = p.panel
                AND {NUMBER_TYPES.replace("balance", "n.balance")}
                ORDER BY n.rowid DESC LIMIT 1) AS kept
        FROM (SELECT DISTINCT panel FROM balances) p) f WHERE f.kept IS NOT NULL)
"""
# Alerts before the cutoff, but for those of an episode still open (or whose
# alert_state still names its start: `doctor` and `orders` quote them), those
# a target is still to be sent again, and the newest: SQLite gives a new alert
# the highest ID plus one, so an ID is never given twice and `alerts --resend`
# tells an ID below it gone (store/pruned.py) from one never given.
ALERTS = """
FROM alerts a WHERE a.at < :records {panel} AND a.id < (SELECT max(n.id) FROM alerts n)
  AND NOT EXISTS (SELECT 1 FROM alert_state s WHERE s.panel = a.panel
                  AND s.kind = a.kind AND s.since IS NOT NULL AND a.at >= s.since)
  AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id
                  AND d.next_at IS NOT NULL)
"""
