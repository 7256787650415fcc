"""A refusal whose witness answered ``{}``: no sign the key works.

Found by the soak against a hostile panel: the key replaced by a wrong one,
the panel refusing every action in its own words ("Access denied for this
account"), a flaky ``{}`` answered to the ``services`` call asked to tell a
refused key from a missing action. That ``{}`` was taken for "the key works":
the panel paused for its key resumed, and at the next balance job
``balance`` was learned missing (``action_unsupported``), so no balance, no
low-balance alert, while the key was what the panel refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.errors import JobPaused
from tracker.jobs.tracker import Tracker
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "witness-empty-key-Hq4Zt8Lm2Pv6"
DENIED = {"error": "Access denied for this account"}


def test_an_empty_answer_of_the_witness_vouches_for_no_key(tmp_path: Path, clock: Any) -> None:
    answers = {"balance": json_reply({"error": "Invalid API key"})}  # the key refused, plainly

    def respond(form: dict[str, str]) -> Any:
        if form.get("action") == "services":
            return json_reply({})  # a broken panel's empty answer
        if form.get("action") != "balance":  # the probe of an action nobody has
            return json_reply(DENIED)
        return answers["balance"]

    with HostileServer(respond) as server:
        panels = [{"name": "p", "url": server.url, "key": KEY, "retries": 0, "timeout": "5s"}]
        settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
        tracker = Tracker(config_from_dict(settings, base_dir=tmp_path, env={}), clock=clock)
        try:
            with capture_logs() as logs:
                with pytest.raises(JobPaused):  # refused: paused, no failure
                    tracker.watch.check_balance("p")
                answers["balance"] = json_reply(DENIED)  # the same key, in free words
                for _ in range(3):
                    clock.advance(900)
                    assert tracker.watch.check_balance("p") is False
            paused = set(tracker.watch.paused)
            raised = [row["kind"] for row in alerts_since(tracker.store, None)]
        finally:
            tracker.close()
    # Before: auth_failed, auth_recovered, action_unsupported; the panel resumed.
    assert raised == ["auth_failed"]
    assert paused == {"p"}
    events = [e["event"] for e in logs]
    assert "action_unsupported" not in events
    assert "panel_resumed" not in events
    assert KEY not in repr(logs)
