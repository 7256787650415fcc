"""Pure balance decisions: low-balance hysteresis and the runway to zero.

No I/O: the balance job passes in the episode, the history and ``now``.
Money comparisons use Decimal, as the panel sent it; the runway is an
estimate and uses floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, NamedTuple

from tracker.rules.alerts import rough_duration
from tracker.rules.episodes import Episode
from tracker.rules.money import currency_shown, money, same_currency

BALANCE_LOW = "balance_low"
BALANCE_LOW_REMINDER = "balance_low_reminder"
BALANCE_RECOVERED = "balance_recovered"

RUNWAY_WINDOW = 24 * 3600.0  # a day of history covers the daily ordering rhythm
MIN_SPAN = 3600.0  # less history than this gives a rate too noisy to show


def in_currency(rows: Sequence[dict[str, Any]], currency: str | None) -> list[dict[str, Any]]:
    """Given balance rows (each with its ``currency``), return those in
    ``currency`` (all of them when it is unknown): a spending rate across a
    change of currency means nothing (5000 RUB, then 6 USD, is no spending)."""
    return [r for r in rows if not currency or same_currency(r["currency"], currency)]


def recover_level(low: Decimal, margin: float) -> Decimal:
    """Given the low threshold and the margin, return the balance that ends an episode."""
    return low * (1 + Decimal(str(margin)))


def not_yet_recovered(balance: Decimal, low: Decimal, recover_at: Decimal, unit: str) -> str | None:
    """Given an open low episode's balance, its threshold and the level that
    ends it (``unit``: " USD", or "" for a panel naming no currency), return
    where a balance in the band between them stands, in words that are true
    of it: "above 1000.00 USD but not yet back above 1050.00 USD, where this
    episode ends (balance.recover_margin)" ("at 1000.00 USD (not below it)"
    for one equal to ``low``); None for a balance below ``low``, still low."""
    if balance < low:
        return None
    if recover_at <= low:  # balance.recover_margin 0: no band, only the threshold itself
        return f"at {money(low)}{unit} (not below it): this episode ends once it is above it"
    where = "above" if balance > low else "at"
    moved = f"{where} {money(low)}{unit}" + (" (not below it)" if where == "at" else "")
    return (
        f"{moved} but not yet back above {money(recover_at)}{unit}, "
        "where this episode ends (balance.recover_margin)"
    )


def lowered_end(balance: Decimal, above_before: Decimal | None) -> bool:
    """Given the balance that ends a low episode and the level it had to
    pass when the episode's last alert went out (None: unknown), return True
    when it did not pass it: the episode ends because the config lowered the
    threshold (``balance.low``, ``recover_margin``), not because the balance
    rose: no top-up, no "balance back to"."""
    return above_before is not None and balance <= above_before


def judge_balance(
    episode: Episode,
    balance: Decimal,
    low: Decimal,
    *,
    margin: float,
    remind: float,
    now: datetime,
) -> tuple[Episode, str | None]:
    """Given the low-balance episode and a fresh balance, return (new episode, kind).

    Below ``low`` opens an episode with one ``balance_low``; while it stays
    open a ``balance_low_reminder`` goes out when ``remind`` seconds have
    passed since the last message; it closes with one ``balance_recovered``
    only once the balance is above ``low * (1 + margin)``, so a balance
    hovering around the threshold does not flap. ``low`` <= 0 disables the
    alert and quietly closes an open episode.
    """
    if low <= 0:
        return Episode(), None
    if not episode.active:
        if balance < low:
            return Episode(True, now, now), BALANCE_LOW
        return episode, None
    if balance > recover_level(low, margin):
        return Episode(), BALANCE_RECOVERED
    last = episode.last_sent_at or episode.since or now
    # A last message in the future was stamped by a clock since set back: how
    # long ago it went out is unknown, so remind now rather than stay quiet
    # until the clock catches up.
    if last > now or (now - last).total_seconds() >= remind:
        return Episode(True, episode.since or now, now), BALANCE_LOW_REMINDER
    return episode, None


class Runway(NamedTuple):
    """How fast the balance goes down and when it reaches zero at that pace.

    ``rate_per_day`` is None without ``MIN_SPAN`` of history; ``seconds_left``
    is None then too, and when nothing was spent. ``older``: checks stored
    before the ``RUNWAY_WINDOW`` the rate is read over (its words then say
    what the window lacks, not that history does).
    """

    balance: float
    span: float  # seconds of history the rate is based on
    spent: float  # money spent over that span (top-ups ignored)
    rate_per_day: float | None
    seconds_left: float | None
    older: bool = False

    def describe(self, currency: str | None = None) -> str:
        """Return one human phrase: "about 5h20m left at 12.5 RUB/day", the
        rate in the panel's ``currency`` (bare when it names none)."""
        per_day = f" {currency_shown(currency)}/day" if currency else "/day"
        if self.rate_per_day is None:
            day = rough_duration(RUNWAY_WINDOW)
            if self.older and not self.span:  # checked daily, or after a day down
                return f"runway unknown (no two balance checks within {day})"
            within = f" in the last {day}" if self.older else ""
            return (
                f"runway unknown (less than {rough_duration(MIN_SPAN)} of balance history{within})"
            )
        if self.seconds_left is None:
            return f"no spending in the last {rough_duration(self.span)}"
        if self.seconds_left <= 0:
            return f"nothing left (spending {self.rate_per_day:.4g}{per_day})"
        left = rough_duration(self.seconds_left)
        return f"about {left} left at {self.rate_per_day:.4g}{per_day}"


def runway_value(phrase: str) -> str:
    """Given :meth:`Runway.describe`'s phrase, written to stand alone in an
    alert ("runway unknown (...)"), return it to follow a "runway" label (the
    log's ``runway=`` field, the CLI's ``runway:`` line): without the word again."""
    return phrase.removeprefix("runway ")


def estimate_runway(history: Sequence[tuple[datetime, float]], balance: float) -> Runway:
    """Given (at, balance) points in the order they were checked and the
    current balance, return the Runway.

    Spending is the sum of every drop between consecutive points; rises
    (top-ups, refunds of canceled orders) are ignored rather than netted, so a
    top-up neither hides the spending before it nor counts as negative spend.

    A point stamped before the one checked before it tells the wall clock
    was set back between them (NTP correcting a clock that ran ahead, a VM
    restored): how long passed between those two is unknown, so that pair
    counts neither its time nor its drop. Stamped by the stamps' order, the
    checks on each side of the step interleaved and every old-new pair read
    as a drop: twice the spending. The newest ``RUNWAY_WINDOW`` seconds of
    the time between checks count, however far ahead the old ones were stamped.
    """
    spent = span = 0.0
    for (at, before), (then, after) in reversed(list(pairwise(history))):
        gap = (then - at).total_seconds()
        if gap < 0:
            continue  # the clock set back in between
        if span + gap > RUNWAY_WINDOW:
            break
        span, spent = span + gap, spent + max(0.0, before - after)
    if span < MIN_SPAN:
        return Runway(balance, span, spent, None, None)
    per_second = spent / span
    if per_second <= 0:
        return Runway(balance, span, spent, 0.0, None)
    left = max(0.0, balance) / per_second
    return Runway(balance, span, spent, per_second * 86400, left)
