"""The HELP line a Prometheus user reads (in the expression browser, Grafana's
metric picker) names the unit of each metric measured in one: seconds, Unix
time, the panel's currency."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.test_metrics import fixed_snapshot
from tracker.service.metrics import render


def helps() -> dict[str, str]:
    return {
        family.name: family.documentation
        for family in text_string_to_metric_families(render(fixed_snapshot()))
    }


def test_every_seconds_metric_says_seconds_or_unix_time():
    found = {name: text for name, text in helps().items() if name.endswith("_seconds")}
    assert "smm_tracker_job_last_duration_seconds" in found
    assert "smm_tracker_poll_duration_seconds" in found
    for name, text in found.items():
        if name.endswith("timestamp_seconds") or name.startswith("process_start"):
            assert "Unix time" in text or "epoch" in text, (name, text)
        else:
            assert "seconds" in text.lower(), (name, text)


def test_the_balance_says_its_unit_is_the_currency_label():
    assert "currency" in helps()["smm_tracker_balance"]
