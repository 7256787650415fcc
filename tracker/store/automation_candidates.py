"""SQL choosing the orders the automation considers: Partial orders to
re-order, stale Pending ones to cancel (:mod:`tracker.store.automation` keeps
the actions and skips), and a candidate's service as the rules read it.
Functions take a :class:`~tracker.store.orders.Store`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.clock import iso, parse_iso
from tracker.panel.models import CANCEL_ACCEPTED, CANCEL_UNKNOWN
from tracker.panel.statuses import PARTIAL, PENDING
from tracker.rules.reorders import CANCEL, REORDER, ServiceFacts
from tracker.store.connection import Connection
from tracker.store.costs import with_estimate_rates

# Another panel name under which an order (its ID and link) was re-ordered.
ELSEWHERE_OF = (
    "SELECT a.panel FROM automation_actions a JOIN orders p ON p.panel = a.panel "
    "AND p.order_id = a.order_id WHERE a.order_id = {order} AND a.panel <> {panel} "
    f"AND a.action = '{REORDER}' AND a.dry_run = ? AND p.link = {{link}} LIMIT 1"
)
_SERVICE = "s.rate AS service_rate, s.min AS service_min, s.max AS service_max, " + (
    "s.cancel AS service_cancel, s.service IS NOT NULL AS service_known, "
    "s.updated_at AS service_synced, s.type AS service_type, "
    "EXISTS (SELECT 1 FROM service_conflicts c WHERE c.panel = o.panel "
    "AND c.service = o.service) AS service_ambiguous"
)


def partial_candidates(
    store: Connection, panel: str, since: datetime, *, dry_run: bool, after: int, limit: int
) -> list[dict[str, Any]]:
    """Return up to ``limit`` of a panel's Partial orders that ended since ``since``
    and have no re-order (of this dry-run mode) yet, above ID ``after``, oldest
    ID first, with their service's min, max and cancel flag.

    ``completed_at`` is None for an order the tracker neither placed (``add``:
    it ended after it was placed) nor saw go Partial from another status (its
    first transition was already to Partial: tracked after it ended, maybe
    months ago; a later change of its remains is no sight of the end): when
    it ended is unknown. ``checked_before``: the earliest check before a
    transition into Partial (it ended since); NULL before m026 recorded it.
    ``cancel_asked``: a cancel of it was recorded, by ``smm-tracker cancel``
    (``cancels``) or by the automation (in this dry-run mode).
    ``reordered_on``: another panel name under which this order (its ID and
    link) was re-ordered already (the panel renamed, the order tracked again).
    ``service_dripfeed``: its dripfeed flag as stored; ``dripfeed_listed``:
    the panel lists the flag on for a service at least, so that an off is
    the panel's word, not a flag it never lists (asked of drip-feed orders alone).
    ``service_rate`` is the rate its re-order is estimated at (``reorder_rate``:
    the larger of ``catalogue_rate`` and ``charged_rate``, what the panel charged
    for the Partial); None while the service is listed twice with different
    terms (``service_ambiguous``): the terms stored are from before."""
    rows = store.rows(
        f"""
        SELECT o.order_id, o.service, o.link, o.quantity, o.remains,
               CASE WHEN o.source = 'add' OR EXISTS (
                      SELECT 1 FROM transitions t WHERE t.panel = o.panel
                      AND t.order_id = o.order_id AND t.to_status = ? AND t.from_status <> ?)
                    THEN o.completed_at END AS completed_at,
               (SELECT min(COALESCE(t.checked_before, t.at)) FROM transitions t
                WHERE t.panel = o.panel AND t.order_id = o.order_id
                  AND t.to_status = ?) AS checked_before,
               ({ELSEWHERE_OF.format(order="o.order_id", panel="o.panel", link="o.link")})
                 AS reordered_on,
               o.parent_order_id, o.runs, o."interval", o.raw_status, o.charge, {_SERVICE},
               s.dripfeed AS service_dripfeed, CASE WHEN o.runs > 1 THEN EXISTS (
                 SELECT 1 FROM services d WHERE d.panel = o.panel AND d.dripfeed = 1)
                 END AS dripfeed_listed,
               EXISTS (SELECT 1 FROM cancels c WHERE c.panel = o.panel
                       AND c.order_id = o.order_id) OR EXISTS (
                 SELECT 1 FROM automation_actions a WHERE a.panel = o.panel
                 AND a.order_id = o.order_id AND a.action = ? AND a.dry_run = ?)
                 AS cancel_asked
        FROM orders o
        LEFT JOIN services s ON s.panel = o.panel AND s.service = o.service
        WHERE o.status = ? AND o.panel = ? AND o.completed_at >= ? AND o.order_id > ?
          AND NOT EXISTS (SELECT 1 FROM automation_actions a WHERE a.panel = o.panel
                          AND a.order_id = o.order_id AND a.action = ? AND a.dry_run = ?)
        ORDER BY o.order_id LIMIT ?
        """,
        [*[PARTIAL] * 3, int(dry_run), CANCEL, int(dry_run), PARTIAL, panel, iso(since), after]
        + [REORDER, int(dry_run), limit],
    )
    return with_estimate_rates(rows)


def pending_candidates(
    store: Connection, panel: str, before: datetime, *, dry_run: bool, after: int, limit: int
) -> list[dict[str, Any]]:
    """Return up to ``limit`` of a panel's polled orders Pending since before
    ``before`` and not cancelled (in this dry-run mode) yet, nor by
    ``smm-tracker cancel`` (accepted, or maybe: its poll may not have seen it
    yet), above ID ``after``;
    ``pending_since``: when it went back to Pending from another status, else
    when it was first seen; ``confirmed_at``: the last status check that
    answered it without an error."""
    return store.rows(
        f"""
        SELECT o.order_id, o.status, o.service, o.created_at,
               coalesce((SELECT max(t.at) FROM transitions t
                         WHERE t.panel = o.panel AND t.order_id = o.order_id
                           AND t.to_status = ?1 AND t.from_status <> ?1),
                        o.created_at) AS pending_since,
               CASE WHEN o.error IS NULL THEN o.last_checked_at END AS confirmed_at, {_SERVICE}
        FROM orders o
        LEFT JOIN services s ON s.panel = o.panel AND s.service = o.service
        WHERE o.status = ?1 AND o.panel = ?2 AND o.polling = 1 AND o.created_at <= ?3
          AND o.order_id > ?4
          AND NOT EXISTS (SELECT 1 FROM automation_actions a WHERE a.panel = o.panel
                          AND a.order_id = o.order_id AND a.action = ?5 AND a.dry_run = ?6)
          AND NOT EXISTS (SELECT 1 FROM cancels c WHERE c.panel = o.panel
                          AND c.order_id = o.order_id AND c.result IN (?8, ?9))
        ORDER BY o.order_id LIMIT ?7
        """,
        [PENDING, panel, iso(before), after, CANCEL, int(dry_run), limit]
        + [CANCEL_ACCEPTED, CANCEL_UNKNOWN],
    )


def service_facts(row: dict[str, Any]) -> ServiceFacts | None:
    """Given a candidate row with the ``service_*`` columns, return its ServiceFacts
    (None: not listed; listed twice with different terms and never stored:
    ``stored`` False, no terms)."""
    if not row.get("service_known"):
        if row.get("service_ambiguous"):
            return ServiceFacts(None, None, None, cancel=False, ambiguous=True, stored=False)
        return None
    rate = row.get("service_rate")
    return ServiceFacts(
        rate=None if rate is None else Decimal(str(rate)),
        min=row.get("service_min"),
        max=row.get("service_max"),
        cancel=bool(row.get("service_cancel")),
        ambiguous=bool(row.get("service_ambiguous")),
        synced_at=parse_iso(row["service_synced"]) if row.get("service_synced") else None,
        type=row.get("service_type"),
        dripfeed=bool(row.get("service_dripfeed")) if row.get("dripfeed_listed") else None,
    )
