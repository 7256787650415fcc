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
