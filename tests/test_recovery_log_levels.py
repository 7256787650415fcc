"""Every recovery alert is logged alike: `auth_recovered` as `panel_recovered`,
`balance_recovered` and `status_recovered`, the event `alert` at warning,
severity info (README, Logging: each shows beside the alert it ends, a cron
mail at --log-level warning with no webhook), by the daemon and `run --once`
alike: both raise every alert through `raise_alert`."""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.alerts.alerter import raise_alert
from tracker.rules.episodes import SEVERITY, Alert

pytestmark = pytest.mark.usefixtures("fresh_logs")

RECOVERIES = ["auth_recovered", "panel_recovered", "balance_recovered", "status_recovered"]


def test_every_recovery_is_logged_at_the_same_level_with_severity_info() -> None:
    assert {kind: SEVERITY[kind] for kind in RECOVERIES} == dict.fromkeys(RECOVERIES, "info")
    with capture_logs() as logs:
        for kind in RECOVERIES:
            raise_alert(Alert(kind, f"main: {kind}", panel="main"))
    said = [(e["alert"], e["log_level"], e["severity"]) for e in logs if e["event"] == "alert"]
    assert said == [(kind, "warning", "info") for kind in RECOVERIES]
