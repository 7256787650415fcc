"""Late checks: an order that ended Partial, Canceled or Refunded is asked
again ``schedule.late_checks`` after it ended (1 h, 6 h, 24 h), for a refund
some panel scripts make later than they set the status. Pure: when the next
check is due, what an answer may change, the ``order_refunded`` and
``order_charge_raised`` alerts.

An answer may change the charge (not its currency: a charge given in another
currency than stored is not read, the stored one kept, and the order asked
again at its next moments, as any: a refund given once the panel answers in
the order's currency again is read), and the status
between ended ones (Partial to Refunded or Canceled); a status that is open
again (the panel re-opened the order) makes it polled again as an open order.
Nothing else is read from it, and no failure of a late check is the order's:
it counts as that check made, nothing stored changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from tracker.clock import iso, parse_iso
from tracker.panel.statuses import CANCELED, PARTIAL, REFUNDED, is_terminal
from tracker.panel.values import short
from tracker.rules.counts import counted
from tracker.rules.delivery import plausible_remains, total_quantity
from tracker.rules.episodes import Alert, listed, more_in_data
from tracker.rules.money import CURRENCY_SHOWN, charge_currencies, money, same_currency

if TYPE_CHECKING:  # a type only
    from tracker.panel.models import OrderStatus

# The statuses after which a panel may still give money back. Not Completed:
# everything ordered was delivered and paid for.
LATE_STATUSES = frozenset({PARTIAL, CANCELED, REFUNDED})
ORDER_REFUNDED = "order_refunded"
# An ended order charged more than before (the same currency, still ended):
# money taken for an order the panel had finished with.
ORDER_CHARGE_RAISED = "order_charge_raised"
_SHOWN = 5


def charged_elsewhere(status: str | None, currency: str | None, said: str | None) -> bool:
    """Given an order's stored status and currency and the currency a panel's
    answer gives its charge in, return True when the order has ended and the
    answer names another currency: an order's charge keeps the currency it was
    charged in, so the stored charge and currency are kept and the answer's
    are not read (0.90 USD is no 45.50 RUB: a panel switching currency moved
    the order's spend from one currency to the other, silently)."""
    # An open order first, and the same label as stored: the poll asks this of
    # every order it stores, nearly all of them open and in their currency.
    if said is None or currency is None or said == currency or not is_terminal(status):
        return False
    return not same_currency(said, currency)


def charge_before(charge: Any, currency: str | None, said: str | None) -> Any:
    """Given an order's stored charge and currency and the currency the panel
    just said, return the charge an alert may call the one before: none when
    the currency changed (0.90 USD is no "was" of 45.50 RUB; "usd" is USD)."""
    # The same label as stored first: asked of every changed order the poll stores.
    if said is None or currency is None or said == currency:
        return charge
    return charge if same_currency(said, currency) else None


def kept_charge(order_id: int, charge: Any, currency: str | None, report: OrderStatus) -> dict:
    """What is said of an ended order whose stored ``charge`` and ``currency``
    were kept over the ``report`` giving it in another currency."""
    said = None if report.charge is None else float(report.charge)
    return {"order_id": order_id, "charge": charge, "currency": currency, "kept": True} | {
        "said_charge": said,
        "said_currency": report.currency,
    }


def ended_before(now: datetime, delay: float) -> str:
    """The stamp an order must have ended at or before for its check ``delay``
    seconds after the end to be due at ``now``."""
    return iso(now - timedelta(seconds=delay))


def checks_after(done: int, ended_at: str, now: datetime, delays: Sequence[float]) -> int:
    """Given how many late checks an order had, when it ended and the check
    just made (or failed) at ``now``, return how many it has had: one more, and
    every moment already past too (a check overdue by hours is not followed by
    another at once because the next moment came meanwhile)."""
    gone = (now - parse_iso(ended_at)).total_seconds()
    return max(done + 1, sum(1 for delay in delays if delay <= gone))


def next_late_check(ended_at: str, checks: int, delays: Sequence[float]) -> datetime | None:
    """Given an ended order's ``late_checks`` row (when it ended, how many
    checks it had) and the configured moments, return when its next late
    check is due (a moment past: at the next poll); None when it has had its
    last (or late checks are off, ``[]``), or its end cannot be read."""
    if not 0 <= checks < len(delays):
        return None
    try:
        return parse_iso(ended_at) + timedelta(seconds=delays[checks])
    except (TypeError, ValueError, OverflowError):  # a row edited by hand
        return None


# How long after the last late check's moment a check whose whole call
# failed (the panel down, rate-limiting, timing out) is still tried again at
# the next poll rather than counted as made.
RETRY_FAILED_CALLS = 86400.0


def retried_after_failed_call(ended_at: str, now: datetime, delays: Sequence[float]) -> bool:
    """Whether a late check whose whole call failed stays due (tried at the
    next poll, not counted): a failure of the panel or of the call is never
    an order's, so it burns none of its checks, until RETRY_FAILED_CALLS
    after its last check's moment (a panel failing such calls for good costs
    one call a poll until then, never for ever)."""
    gone = (now - parse_iso(ended_at)).total_seconds()
    return gone < max(delays, default=0.0) + RETRY_FAILED_CALLS


class LateChange(NamedTuple):
    """What one late check's answer changes: the columns to write, the
    transition to record, the charge change to log (``repriced``: order_id,
    before, after, raised: up, same currency, still ended), the refund to alert,
    whether the order is open again, the raised charge to alert (as a
    refund: order_id, status, charge_before, charge, currency), and the
    charge kept because the answer gave it in another currency (``kept``:
    order_id, charge, currency, said_charge, said_currency)."""

    changes: dict[str, Any]
    transition: dict[str, Any] | None = None
    repriced: dict[str, Any] | None = None
    refund: dict[str, Any] | None = None
    reopened: bool = False
    raised: dict[str, Any] | None = None
    kept: dict[str, Any] | None = None


def late_update(row: dict[str, Any], report: OrderStatus, stamp: str) -> LateChange:
    """Given an ended order's stored row (panel, order_id, status, remains,
    quantity, runs, charge, currency, last_checked_at, created_at), the
    panel's report with a status and the check's ``stamp``, return what to
    store. A remains that is no delivery figure over a good one is not."""
    changes: dict[str, Any] = {"last_checked_at": stamp, "updated_at": stamp}
    before, after = row.get("charge"), None if report.charge is None else float(report.charge)
    currency = report.currency if report.currency is not None else row.get("currency")
    kept = None
    if charged_elsewhere(row.get("status"), row.get("currency"), report.currency):
        kept = kept_charge(row["order_id"], before, row.get("currency"), report)
        after, currency = None, row.get("currency")  # the stored charge kept, in its currency
    elif report.currency is not None and report.currency != row.get("currency"):
        changes["currency"] = report.currency
    repriced = refund = raised = transition = None
    if after is not None and after != before:
        changes["charge"] = after
        if before is not None:
            # Charged more after the end (the same currency, still ended: a
            # re-opened order is told as such): worth a warning and an alert.
            same = same_currency(currency, row.get("currency"))  # "usd" is USD
            up = after > before and same and is_terminal(report.status)
            repriced = {"order_id": row["order_id"], "before": before, "after": after}
            repriced |= charge_currencies(row.get("currency"), currency)
            repriced["raised"] = up
            if up or (same and after < before):
                item = {
                    "order_id": row["order_id"],
                    "status": report.status,
                    "charge_before": before,
                    "charge": after,
                    "currency": currency,
                }
                raised, refund = (item, None) if up else (None, item)
    status, reopened = report.status, not is_terminal(report.status)
    if status != row.get("status"):
        changes.update(status=status, raw_status=report.raw_status)
        if report.remains is not None and _figure(report.remains, row):
            changes["remains"] = report.remains
        if reopened:  # due at the next poll, as an open order
            changes.update(polling=1, next_check_at=stamp, last_change_at=stamp)
        for told in (refund, raised):
            if told is not None:
                told["status_before"] = row.get("status")
        transition = {
            "panel": row["panel"],
            "order_id": row["order_id"],
            "at": stamp,
            "from_status": row.get("status"),
            "to_status": status,
            "remains": changes.get("remains", row.get("remains")),
            "charge": changes.get("charge", before),
            "currency": currency,  # the charge's (m043)
            "raw_status": report.raw_status,
            "checked_before": row.get("last_checked_at") or row.get("created_at"),
        }
    reopened = reopened and transition is not None
    return LateChange(changes, transition, repriced, refund, reopened, raised, kept)


def _figure(remains: int, row: dict[str, Any]) -> bool:
    """Whether a late answer's ``remains`` may replace the stored one: a
    delivery figure, or none stored is (as a poll judges it:
    :func:`tracker.store.answers._as_figure`); else the good one is kept."""
    total = total_quantity(row.get("quantity"), row.get("runs"))
    return plausible_remains(remains, total) or not plausible_remains(row.get("remains"), total)


def refund_alerts(refunds: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given the refunds one poll's late checks found (each with its panel),
    return one ``order_refunded`` alert per panel."""
    return _per_panel(ORDER_REFUNDED, "refunded", refunds)


def raised_alerts(raised: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given the ended orders one poll's late checks found charged more (each
    with its panel), return one ``order_charge_raised`` alert per panel."""
    return _per_panel(ORDER_CHARGE_RAISED, "charged more", raised)


def _per_panel(kind: str, what: str, changes: Iterable[dict[str, Any]]) -> list[Alert]:
    by_panel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in changes:
        by_panel[item["panel"]].append({k: v for k, v in item.items() if k != "panel"})
    alerts = []
    for panel, items in by_panel.items():
        if len(items) == 1:
            item = items[0]
            message = f"{panel}: order #{item['order_id']} {what} after it ended {_ended(item)}"
        else:
            shown = ", ".join(f"#{i['order_id']} {_charges(i)}" for i in items[:_SHOWN])
            more = more_in_data(len(items) - _SHOWN)
            message = (
                f"{panel}: {counted(len(items), 'order')} {what} after they ended: {shown}{more}"
            )
        alerts.append(Alert(kind, message, panel=panel, data=listed(items)))
    return alerts


def _ended(item: dict[str, Any]) -> str:
    """ "Canceled: charge 1.00 -> 0.00 USD", or "Partial, now Refunded: ..." """
    before = item.get("status_before")
    now = f"{before}, now {item['status']}" if before else item["status"]
    return f"{now}: charge {_charges(item)}"


def _charges(item: dict[str, Any]) -> str:
    # Cut and on one line, as order_canceled and order_partial say it.
    currency = f" {short(item['currency'], CURRENCY_SHOWN)}" if item.get("currency") else ""
    return f"{money(item['charge_before'])} -> {money(item['charge'])}{currency}"
