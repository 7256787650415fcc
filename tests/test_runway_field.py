"""The ``balance_checked`` log line's ``runway`` field does not say "runway"
again in its value.

Ops56: a first balance check logged ``runway="runway unknown (less than 1h
of balance history)"``. The field's value now reads ``unknown (less than 1h
of balance history)``, as the ``balance`` command's ``runway:`` line does;
the alerts and ``balance --json``'s ``text`` keep the phrase that stands
alone. Driven by the balance job against the simulated panel on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from balance_job import balance, balance_job
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-RunwayField4"
UNKNOWN = "unknown (less than 1h of balance history)"


def test_the_log_and_the_cli_say_the_runway_after_their_label_alone(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with capture_logs() as logs, balance_job(tmp_path, clock, KEY) as (_, job):
        assert job.run()
    checked = [e for e in logs if e["event"] == "balance_checked"]
    assert [e["runway"] for e in checked] == [UNKNOWN]  # before: "runway unknown (...)"

    assert f"  runway: {UNKNOWN}" in balance(tmp_path, monkeypatch).splitlines()
    shown = json.loads(balance(tmp_path, monkeypatch, "--json"))["panels"][0]
    assert shown["runway"]["text"] == f"runway {UNKNOWN}"  # --json as it was


def test_checks_a_day_apart_say_that_no_two_are_within_24h(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks more than 24 h apart (``balance_every`` of a day, a day of
    downtime): weeks of history, yet it said "less than 1h of balance
    history". It says what is missing; a first check ever keeps its words."""
    apart = "unknown (no two balance checks within 24h)"
    with capture_logs() as logs, balance_job(tmp_path, clock, KEY) as (_, job):
        for _ in range(3):
            assert job.run()
            clock.advance(25 * 3600)
    checked = [e["runway"] for e in logs if e["event"] == "balance_checked"]
    assert checked == [UNKNOWN, apart, apart]

    assert f"  runway: {apart}" in balance(tmp_path, monkeypatch).splitlines()
    shown = json.loads(balance(tmp_path, monkeypatch, "--json"))["panels"][0]
    assert shown["runway"]["text"] == f"runway {apart}"
    assert shown["runway"]["spend_per_day"] is None  # the shape as it was
