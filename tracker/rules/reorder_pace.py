"""A drip-feed order's remainder re-ordered at its pace: as runs of no more
than the original's quantity a run, at its interval, when the synced
catalogue says its service takes drip-feed; else why it goes as one order.

Pure: :func:`tracker.rules.reorders.reorder_plan` asks, and figures the cost
of the whole (runs x quantity a run). A panel applies a drip-feed ``add``'s
min, max (and any step) to its ``quantity``, which is a run's: so do these.
"""

from __future__ import annotations

from typing import NamedTuple

from tracker.config.model import AutomationConfig

# Why a drip-feed order's remainder is re-ordered as one ordinary order.
UNTAKEN = "its service takes no drip-feed (its dripfeed flag is off in the services list)"
UNSAID = (
    "the services list does not say its service takes drip-feed (it lists no "
    "dripfeed flag): runs could be refused at every round"
)
NO_INTERVAL = "its drip-feed interval is unknown (track --interval)"
ONE_RUN = "the remainder fits in one run of {each}"
STEP_ABOVE = "automation.reorder_step ({step}) is above a run's quantity ({each})"
# Why it is not re-ordered at all (``automation_skips.reason``).
RUN_BELOW_MIN = (
    "a run of the remainder at its pace is below the service's min "
    '(automation.reorder_below_min = "skip"): re-order it by hand'
)
RUN_ABOVE_MAX = "a run's quantity ({each}) is above the service's max ({high})"
# How a re-order's reason says what was sent: after this, in place of its
# pace, why it went as one order.
ONE_ORDER = "as one order, not as runs: "


class Pace(NamedTuple):
    """A drip-feed re-order: ``runs`` of ``each`` every ``interval`` minutes."""

    each: int
    runs: int
    interval: int
    raised: bool = False  # a run raised to the service's min

    @property
    def total(self) -> int:
        return self.each * self.runs

    def said(self) -> str:
        """Return what is placed, as the reason and the log say it."""
        return f"{self.total} as {self.runs} runs of {self.each} every {self.interval} min"


class OneOrder(NamedTuple):
    """A drip-feed order's remainder re-ordered as one ordinary order, and why."""

    why: str


def divided(amount: int, by: int, mode: str) -> int:
    """Return ``amount / by`` as a whole number, rounded as ``mode`` says
    ("up", "down" or "nearest", halves up)."""
    if mode == "down":
        return amount // by
    if mode == "nearest":
        return (2 * amount + by) // (2 * by)
    return -(-amount // by)


def one_order_because(interval: int | None, dripfeed: bool | None) -> str | None:
    """Given a drip-feed order's interval and whether the synced catalogue says
    its service takes drip-feed (None: it does not say), return why its
    remainder goes as one ordinary order, or None when it may keep its pace."""
    if dripfeed is None:
        return UNSAID
    if not dripfeed:
        return UNTAKEN
    if interval is None or interval < 1:
        return NO_INTERVAL
    return None


def paced(
    left: int,
    each_was: int,
    interval: int,
    low: int | None,
    high: int | None,
    config: AutomationConfig,
) -> Pace | OneOrder | str:
    """Given a drip-feed order's undelivered remainder, its quantity a run,
    its interval and the service's min and max, return the runs that buy it
    at no more than the original's quantity a run, the remainder as one
    order (it fits in one run), or why it is not re-ordered (a string).

    The fewest runs at the original pace: ``ceil(left / each_was)``; each
    run that share of the remainder rounded to ``reorder_step`` as
    ``reorder_round`` says (never above the original's: then its largest
    multiple under it); below the service's min, raised to it
    (``reorder_below_min``); the runs then ``left`` over a run, rounded as
    ``reorder_round`` says (up when raised). Rounding up (the default, step
    1): ``runs x each`` covers ``left`` with fewer than ``runs`` units over."""
    step, mode = config.reorder_step, config.reorder_round
    runs = -(-left // each_was)
    if runs < 2:
        return OneOrder(ONE_RUN.format(each=each_was))
    each = divided(left, runs * step, mode) * step
    if not 0 < each <= each_was:  # a step rounding past the original pace, or to 0
        each = each_was // step * step
        if each <= 0:
            return OneOrder(STEP_ABOVE.format(step=step, each=each_was))
    raised = low is not None and each < low
    if raised:
        if config.reorder_below_min == "skip":
            return RUN_BELOW_MIN
        assert low is not None
        each = low  # the panel refuses less a run: the pace is raised to it
    if high is not None and each > high:
        return RUN_ABOVE_MAX.format(each=each, high=high)
    runs = divided(left, each, "up" if raised else mode)
    if runs < 2:
        return OneOrder(ONE_RUN.format(each=each))
    return Pace(each, runs, interval, raised)


def placed_as(reason: str | None) -> str | None:
    """Given a re-order's reason, return what it says of how the remainder
    was sent ("400 as 4 runs of 100 every 60 min", "as one order, not as
    runs: ..."), or None when it says nothing (no drip-feed order)."""
    if not reason or "; " not in reason:
        return None
    return reason.split("; ", 1)[1]
