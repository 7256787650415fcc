"""A panel whose balance changes currency (5000 RUB, then 6 USD): `balance`
reads its runway from the checks in the last one's currency, as the balance
job does, and says the currency of each older check it lists.

Before, `balance` read the drop from 4990 RUB to 6 USD as 4984 spent: "about
2m left", while the daemon's own line said "runway unknown". Driven by the
balance job against the simulated panel on loopback, with an injected clock;
read by the real CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from balance_job import balance, balance_job
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-BalanceCur9"


@pytest.fixture
def checked(tmp_path: Path, clock: Any) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """A database whose panel answered 5000 and 4990 RUB, then 6 and 5 USD, an
    hour apart; and the balance job's log lines."""
    with capture_logs() as logs, balance_job(tmp_path, clock, KEY) as (panel, check):
        for currency, amount in (("RUB", "5000"), ("RUB", "4990"), ("USD", "6"), ("USD", "5")):
            panel.currency = currency
            panel.set_balance(amount)
            assert check.run()
            clock.advance(3600)
    yield tmp_path / "tracker.db", [e for e in logs if e["event"] == "balance_checked"]


def test_the_runway_counts_no_change_of_currency_as_spending(checked, tmp_path, monkeypatch):
    _, logs = checked
    shown = json.loads(balance(tmp_path, monkeypatch, "--json"))["panels"][0]
    assert (shown["balance"], shown["currency"]) == (5.0, "USD")
    runway = shown["runway"]
    # 6 USD, then 5 an hour later: 1 an hour, 24 a day; the RUB checks count nothing.
    assert (round(runway["spend_per_day"], 6), runway["based_on_seconds"]) == (24.0, 3600.0)
    assert runway["text"] == logs[-1]["runway"]  # the daemon's own words
    assert runway["text"] == "about 5h left at 24 USD/day"


def test_the_history_says_the_currency_of_a_check_in_another(checked, tmp_path, monkeypatch):
    lines = balance(tmp_path, monkeypatch).splitlines()
    assert lines[0].startswith("main: 5.00 USD")
    balances = [line.split(maxsplit=1)[1] for line in lines[4:]]
    assert balances == ["5000.00 RUB", "4990.00 RUB", "6.00", "5.00"]
