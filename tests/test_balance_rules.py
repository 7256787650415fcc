"""Low-balance hysteresis and runway: pure functions, injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tracker.rules.balance import (
    BALANCE_LOW,
    BALANCE_LOW_REMINDER,
    BALANCE_RECOVERED,
    estimate_runway,
    judge_balance,
    recover_level,
)
from tracker.rules.episodes import Episode

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LOW = Decimal("10")
HOUR = 3600.0


def run(balances: list[str], *, every: float = 900, remind: float = 6 * HOUR, margin=0.05):
    """Feed balances one check apart; return [(minutes since start, kind)] raised."""
    episode, raised = Episode(), []
    for i, value in enumerate(balances):
        now = T0 + timedelta(seconds=i * every)
        episode, kind = judge_balance(
            episode, Decimal(value), LOW, margin=margin, remind=remind, now=now
        )
        if kind:
            raised.append((i * every / 60, kind))
    return raised


def test_falling_below_low_alerts_once_then_reminds_on_its_rhythm() -> None:
    # 13 hours below the threshold, checked every 15 minutes.
    raised = run(["12", "9.99"] + ["5"] * 52)
    assert raised == [
        (15.0, BALANCE_LOW),
        (15.0 + 360, BALANCE_LOW_REMINDER),
        (15.0 + 720, BALANCE_LOW_REMINDER),
    ]


def test_recovery_needs_the_margin_so_a_hovering_balance_does_not_flap() -> None:
    # 10.40 is above low but below low * 1.05 = 10.50: still the same episode.
    raised = run(["9", "10.40", "9.80", "10.49", "10.50", "10.51", "9.9"])
    assert raised == [(0.0, BALANCE_LOW), (75.0, BALANCE_RECOVERED), (90.0, BALANCE_LOW)]


def test_exactly_at_the_threshold_is_not_low() -> None:
    assert run(["10", "10.00"]) == []


def test_zero_threshold_disables_and_quietly_closes_an_open_episode() -> None:
    open_episode = Episode(True, T0, T0)
    episode, kind = judge_balance(
        open_episode, Decimal("1"), Decimal("0"), margin=0.05, remind=60, now=T0
    )
    assert (episode, kind) == (Episode(), None)


def test_reminder_counts_from_the_last_message_of_an_episode_loaded_after_restart() -> None:
    since = T0 - timedelta(hours=20)
    episode = Episode(True, since, T0 - timedelta(hours=5))
    now = T0 + timedelta(hours=1)
    after, kind = judge_balance(episode, Decimal("3"), LOW, margin=0.05, remind=6 * HOUR, now=now)
    assert kind == BALANCE_LOW_REMINDER
    assert after == Episode(True, since, now)


def test_recover_level() -> None:
    assert recover_level(Decimal("10"), 0.05) == Decimal("10.50")
    assert recover_level(Decimal("10"), 0) == Decimal("10")


def points(*values: float, every: float = 900) -> list[tuple[datetime, float]]:
    return [(T0 + timedelta(seconds=i * every), v) for i, v in enumerate(values)]


def test_runway_from_steady_spending() -> None:
    # 1.00 spent per 15 minutes = 96 per day; 20 left -> 5 hours.
    history = points(*[40 - i for i in range(21)])
    runway = estimate_runway(history, 20.0)
    assert runway.rate_per_day == 96.0
    assert runway.seconds_left == 5 * HOUR
    assert runway.describe() == "about 5h left at 96/day"


def test_a_top_up_is_ignored_not_netted() -> None:
    # Spend 1 per check, a top-up of +50 in the middle: spending is still 1/check.
    values = [30.0, 29, 28, 27, 77, 76, 75, 74, 73]
    runway = estimate_runway(points(*values), 73.0)
    assert runway.spent == 7.0
    assert runway.rate_per_day == 7.0 / (8 * 900) * 86400


def test_runway_unknown_without_an_hour_of_history() -> None:
    runway = estimate_runway(points(10.0, 9.0, 8.0), 8.0)  # 30 minutes
    assert runway.rate_per_day is None and runway.seconds_left is None
    assert "runway unknown" in runway.describe()
    assert estimate_runway([], 8.0).rate_per_day is None


def test_no_spending_means_no_runway_figure() -> None:
    runway = estimate_runway(points(*[50.0] * 8), 50.0)
    assert runway.rate_per_day == 0.0 and runway.seconds_left is None
    assert runway.describe() == "no spending in the last 1h45m"


def test_empty_or_negative_balance_has_nothing_left() -> None:
    runway = estimate_runway(points(3.0, 2.0, 1.0, 0.0, -1.0), -1.0)
    assert runway.seconds_left == 0.0
    assert runway.describe().startswith("nothing left")


def test_a_last_reminder_stamped_by_a_clock_since_set_back_does_not_silence_the_next() -> None:
    since = T0 - timedelta(hours=2)
    episode = Episode(True, since, T0 + timedelta(days=1))  # the clock ran a day ahead
    after, kind = judge_balance(episode, Decimal("3"), LOW, margin=0.05, remind=6 * HOUR, now=T0)
    assert kind == BALANCE_LOW_REMINDER and after == Episode(True, since, T0)
    _, kind = judge_balance(after, Decimal("3"), LOW, margin=0.05, remind=6 * HOUR, now=T0)
    assert kind is None  # then on its rhythm again
