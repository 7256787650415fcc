"""Between `balance.low` and the recovery level (low x (1 + recover_margin))
a low episode stays open (hysteresis), and its reminder said "balance still
low: 1020.00 USD, below 1000.00 USD": untrue, 1020 is not below 1000. Every
word said of a balance in that band is now true: the reminder's, and the
`state:` line of `smm-tracker balance`. Pure rules, an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter
from tracker.clock import utcnow
from tracker.jobs.balance_low import balance_alert
from tracker.panel.models import Balance
from tracker.rules.balance import (
    BALANCE_LOW,
    BALANCE_LOW_REMINDER,
    BALANCE_RECOVERED,
    Runway,
    judge_balance,
)
from tracker.rules.episodes import Alert, Episode
from tracker.store.alerts import record_balance
from tracker.store.orders import Store

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
LOW, MARGIN, REMIND = Decimal("1000"), 0.05, 6 * 3600.0
NO_RUNWAY = Runway(0.0, 0.0, 0.0, None, None)


def alerts_of(balances: list[str], every: float = 3 * 3600.0) -> list[Alert]:
    """The alerts a person reads for balances checked ``every`` seconds apart."""
    episode, said = Episode(), []
    for i, value in enumerate(balances):
        now = T0 + timedelta(seconds=i * every)
        before = episode
        episode, kind = judge_balance(
            episode, Decimal(value), LOW, margin=MARGIN, remind=REMIND, now=now
        )
        if kind is not None:
            shown = before if episode.since is None else episode
            answer = Balance(balance=Decimal(value), currency="USD")
            said.append(balance_alert("main", kind, answer, LOW, MARGIN, shown, NO_RUNWAY, now))
    return said


def test_a_reminder_above_the_threshold_says_so_not_below_it() -> None:
    low, reminder = alerts_of(["900", "1020", "1020"])
    assert low.kind == BALANCE_LOW
    assert low.message.startswith("main: balance 900.00 USD is below 1000.00 USD;")
    assert low.data["below_low"] is True
    assert reminder.kind == BALANCE_LOW_REMINDER
    assert "below 1000.00" not in reminder.message
    assert reminder.message.startswith(
        "main: balance 1020.00 USD, above 1000.00 USD but not yet back above 1050.00 USD, "
        "where this episode ends (balance.recover_margin); low-balance episode open for 6h; "
    )
    assert reminder.data["below_low"] is False
    assert (reminder.data["low"], reminder.data["recover_above"]) == (1000.0, 1050.0)


def test_a_reminder_at_the_threshold_is_not_below_it() -> None:
    _, reminder = alerts_of(["900", "1000", "1000.00"])
    assert reminder.message.startswith(
        "main: balance 1000.00 USD, at 1000.00 USD (not below it) but not yet back above "
        "1050.00 USD, where this episode ends"
    )
    assert reminder.data["below_low"] is False


def test_a_reminder_at_the_threshold_with_no_margin_names_one_level() -> None:
    # recover_margin 0: the threshold is the recovery level; no "band" of one
    # level ("at 1000.00 USD ... but not yet back above 1000.00 USD").
    episode, said = Episode(), []
    for i, value in enumerate(["900", "1000", "1000"]):
        now = T0 + timedelta(hours=3 * i)
        episode, kind = judge_balance(
            episode, Decimal(value), LOW, margin=0, remind=REMIND, now=now
        )
        if kind == BALANCE_LOW_REMINDER:
            answer = Balance(balance=Decimal(value), currency="USD")
            said.append(balance_alert("main", kind, answer, LOW, 0, episode, NO_RUNWAY, now))
    (reminder,) = said
    assert reminder.message.startswith(
        "main: balance 1000.00 USD, at 1000.00 USD (not below it): this episode ends once it "
        "is above it; low-balance episode open for 6h; "
    )
    assert "not yet back above" not in reminder.message


def test_a_reminder_below_the_threshold_says_still_low_as_ever() -> None:
    _, reminder = alerts_of(["900", "1020", "950"])
    assert reminder.message.startswith(
        "main: balance still low: 950.00 USD, below 1000.00 USD for 6h;"
    )
    assert reminder.data["below_low"] is True


def test_the_recovery_from_the_band_says_back_above_the_recovery_level() -> None:
    *_, ended = alerts_of(["900", "1020", "1060"])
    assert ended.kind == BALANCE_RECOVERED
    assert ended.message == "main: balance back to 1060.00 USD (above 1050.00 USD) after 6h"
    assert ended.data["below_low"] is False


CONFIG = """
[database]
path = "t.db"
[balance]
low = 10
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
"""


@pytest.mark.usefixtures("fresh_logs")
def test_balance_state_line_in_the_band_says_above_the_threshold(tmp_path, monkeypatch) -> None:
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})
    now = utcnow().replace(microsecond=0)
    store = Store(tmp_path / "t.db")
    try:
        record_balance(store, "main", now, Decimal("10.20"), "USD")
        with capture_logs():
            Alerter(store, clock=lambda: now).update(
                "main",
                "balance_low",
                lambda ep: (Episode(True, now, now), Alert("balance_low", "low")),
            )
    finally:
        store.close()
    state = cli("balance", "--panel", "main").output.splitlines()[1]
    assert state.startswith("  state:  LOW since ")
    assert state.endswith(
        "(now above 10.00 USD but not yet back above 10.50 USD, "
        "where this episode ends (balance.recover_margin))"
    )
