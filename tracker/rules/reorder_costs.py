"""What automatic re-orders cost: a re-order's estimate from a service's rate
(or the rate the panel charged for the Partial, when higher), what it counts
toward the daily cap once the panel has charged it, the cap's UTC day, and
whether the cap's currency holds re-orders back.
Pure: :mod:`tracker.rules.reorders` decides, these put figures on it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import NamedTuple

from tracker.clock import iso
from tracker.config.automation import is_code, writable_label
from tracker.panel.statuses import PARTIAL
from tracker.rules.clocksteps import ahead
from tracker.rules.delivery import delivered
from tracker.rules.money import currency_shown, same_currency

_CENTS = Decimal("0.00001")


def usable_rate(rate: Decimal | None) -> bool:
    """Given a service's rate as stored, return True when a cost can be estimated
    from it: known, finite and above 0. A rate of 0 or below (a panel's mistake or
    a free service) would let every re-order through the daily cap for nothing,
    or give spend back: automatic spending must stay bounded."""
    return rate is not None and rate.is_finite() and rate > 0


# Digits enough for any figure to 5 places, exactly: a charge as large as a
# REAL holds (1.8e308: older rows, stored before amounts were bounded at
# 1e15), for one unit, times a quantity below 1e19.
WIDE = Context(prec=400)


def estimated_cost(rate: Decimal, quantity: int) -> Decimal:
    """Given a service's rate (per 1000) and a quantity, return its estimated
    cost, to 5 places however large: a hostile panel's figures (1e24) skip
    the re-order for the cap, never fail the job (InvalidOperation)."""
    cost = WIDE.divide(WIDE.multiply(rate, quantity), 1000)
    return cost.quantize(_CENTS, ROUND_HALF_UP, context=WIDE)


def charged_rate(
    charge: Decimal | None, quantity: int | None, remains: int | None, runs: int | None = None
) -> Decimal | None:
    """Given a Partial order's charge, quantity (per run for drip-feed), remains
    and runs, return the rate (per 1000) the panel charged for what it delivered
    (by :func:`tracker.rules.delivery.delivered`), or None when it cannot be
    told: no charge above 0, nothing delivered, or no delivery figure.

    A Partial's charge is usually for what was delivered. A panel that charges
    a Partial in full gives a higher rate here: an estimate too high, never too low.
    """
    if charge is None or not charge.is_finite() or charge <= 0:
        return None
    done = delivered(PARTIAL, quantity, runs, remains)
    if done is None or done <= 0:
        return None
    return charge * 1000 / done


def reorder_rate(catalogue: Decimal | None, charged: Decimal | None) -> Decimal | None:
    """Given a service's rate as the last catalogue sync stored it and the rate
    the panel charged for the Partial (:func:`charged_rate`; None: unknown),
    return the rate a re-order is estimated at: the larger of the two. The
    catalogue's rate may be hours old (it is synced every few hours, and not at
    all while the services call fails) while the panel raised its price: the
    charge is what it actually asks. A catalogue rate that is not usable is
    returned as it is (the re-order is skipped): a charge never stands in for it."""
    if not usable_rate(catalogue) or charged is None or not usable_rate(charged):
        return catalogue
    assert catalogue is not None  # usable_rate
    return max(catalogue, charged)


def counted_cost(estimate: Decimal | None, charge: Decimal | None) -> Decimal:
    """Given a re-order's estimated cost and the charge the panel answered for
    the new order (None: not polled yet), return what it counts toward the
    daily cap: the larger of the two, never below 0 (a negative estimate
    recorded before such rates were refused gives no money back). A stale
    catalogue rate estimates 0.81 where the panel charges 81.00. The charge
    counts whatever its currency label says: the larger figure wins, so a
    label written differently ("$", or a balance in another) never lets a
    real charge count for less."""
    figures = [f for f in (estimate, charge) if f is not None and f.is_finite()]
    return max([Decimal(0), *figures])


def day_start(now: datetime) -> datetime:
    """Return the start of ``now``'s UTC day: the cap's period."""
    day = now.astimezone(UTC)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def counts_toward(spent_in: str | None, cap_in: str | None) -> bool:
    """Given the currency a re-order was spent in and the daily cap's (None:
    not known), return True when it counts toward the cap: spent in the
    cap's currency, or either not known. A part spent in another currency
    is not that money (0.45 EUR are no 0.45 RUB): no cap in this one counts it."""
    return spent_in is None or cap_in is None or same_currency(spent_in, cap_in)


def not_counted(parts: Sequence[str]) -> str:
    """Given what was spent today in currencies other than the cap's, each as
    shown ("0.45 EUR"), return how `automation` and ``automation_capped`` say
    it beside the cap's spend: "and 0.45 EUR spent in another currency, not
    counted" ("other currencies" for two or more, joined by " + ")."""
    elsewhere = "another currency" if len(parts) == 1 else "other currencies"
    return f"and {' + '.join(parts)} spent in {elsewhere}, not counted"


def balance_fresh_for(every: float, balance_every: float) -> float:
    """Given the automation's and the balance job's intervals, return how old
    a panel's last balance may be for a run to re-order on its currency
    without asking it first: the larger interval and a tenth of it (a late
    run's slack). The balance job keeps it so while it runs on time; a run
    asks only when that check is late, failing, or was never made."""
    longest = max(every, balance_every)
    return longest + longest / 10


def balance_fresh(at: datetime | None, now: datetime, fresh_for: float) -> bool:
    """Given when a panel's last balance was stored (None: never), ``now`` and
    :func:`balance_fresh_for`, return whether a run may re-order on it without
    asking first. One stamped more than a clock step's slack ahead of ``now`` is
    not: a clock since set back stamped it, and its age is not known (taken
    as fresh, it was until the clock caught up, hours with the balance job
    failing meanwhile: :func:`~tracker.rules.clocksteps.ahead`)."""
    return at is not None and not ahead(at, now) and (now - at).total_seconds() < fresh_for


def fits(spent: Decimal, cost: Decimal, cap: Decimal) -> bool:
    """Given today's estimated spend, one more order's cost and the cap, return
    True when placing it keeps the day's spend at or under the cap. A cost of 0
    or below never fits: nothing free is placed automatically."""
    return cost > 0 and spent + cost <= cap


# How long after a panel's balance first named another currency its
# re-orders are held when the daily cap names none (neither daily_cap_currency
# nor the panel's entry in daily_cap_currency_panels set).
CURRENCY_HOLD = 86400.0
CAP_CURRENCY = "automation.daily_cap_currency"
PANEL_CURRENCIES = "automation.daily_cap_currency_panels"
HOLD_START = "the panel's currency "  # how every hold's reason begins, and no other skip's


def unchecked(last_checked: str) -> str:
    """Given when the panel's balance was last stored ("never": not once),
    return why re-orders are held when the balance asked before them failed."""
    return (
        f"{HOLD_START}could not be checked before re-ordering (its balance call "
        f"failed; last checked {last_checked}): held until a balance check answers"
    )


class Hold(NamedTuple):
    """Why a panel's re-orders are held for the daily cap's currency, and
    when the hold ends by itself (``until``; None: when a balance names the
    cap's currency, or the config changes)."""

    reason: str
    until: datetime | None = None


def said(label: str) -> str:
    """Given a currency label, return it as a hold's reason names it: bare,
    as every other line prints a currency ("USD", "$"; cut as they cut it)."""
    return currency_shown(label.strip())


def written(label: str) -> str:
    """Given a currency label, return it as the config writes it: quoted ("$")."""
    return json.dumps(label.strip(), ensure_ascii=False)


def currency_held(
    cap_currency: str | None,
    named: Sequence[tuple[str, datetime | None]],
    setting: str,
    *,
    no_balance: bool = False,
) -> Hold | None:
    """Given the panel's daily cap's currency (None: unset), the setting
    naming it (``automation.daily_cap_currency``, or the panel's entry in
    ``daily_cap_currency_panels``), and the currencies a panel's balances
    named with when each was stored, oldest first (the last one before the
    last :data:`CURRENCY_HOLD` seconds, then every one since; the last is
    the panel's currency as far as it is known), return why its re-orders
    are held and until when, or None when they are not.

    With a cap currency, they are held while the panel's currency is another
    one or unknown: a cap of 25 meant in USD must not count 25 RUB, nor 25
    USD a cap meant in RUB (a hundredfold). Without one, the cap is in the
    panel's own money, and a panel whose currency changed within the hold
    has its re-orders held until :data:`CURRENCY_HOLD` after the last
    change: which of the two the cap was meant in is unknown. Case and
    blanks make no other currency ("usd" is USD); "$" is never taken for
    USD: a label that is no code is matched as the panel writes it. A panel
    learned to have no balance action (``no_balance``) is said to: no
    balance will ever name its currency."""
    known = named[-1][0] if named else None
    if cap_currency is not None:
        if known is None:
            why = "it has no balance action" if no_balance else "no balance naming one fetched"
            return Hold(
                f"{HOLD_START}is not known ({why}), and the "
                f"daily cap is in {said(cap_currency)} ({setting}); to count its cap in its "
                f'own money, set its entry in {PANEL_CURRENCIES} to ""'
            )
        if same_currency(known, cap_currency):
            return None
        reason = (
            f"{HOLD_START}is {said(known)}, not the daily cap's {said(cap_currency)} ({setting})"
        )
        if not is_code(known) and writable_label(known):  # "$": the config takes it as it is
            reason += f"; a cap meant in it: set {setting} = {written(known)}"
        return Hold(reason)
    changes = [i for i in range(1, len(named)) if not same_currency(named[i][0], named[i - 1][0])]
    if not changes:
        return None
    before, at = named[changes[-1] - 1][0], named[changes[-1]][1]
    assert known is not None  # two currencies named
    until = None if at is None else at + timedelta(seconds=CURRENCY_HOLD)
    when = f"until {iso(until)}" if until is not None else "for 24 h"
    if setting == CAP_CURRENCY:
        setting = f"{CAP_CURRENCY} (or daily_cap_currency_panels)"
    return Hold(
        f"{HOLD_START}changed from {said(before)} to {said(known)} within 24 h, "
        f"and the daily cap names none: held {when} (24 h after the change), or set {setting}",
        until,
    )
