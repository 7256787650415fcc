"""`refill_requests_done` counts the requests given back unsent: a run
stopped (a Ctrl-C, the daemon's stop) as its requests were recorded gives
their rows back, and its closing line said 0 sent and nothing of them, or
was not written at all when the Ctrl-C was raised again."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.clock import utcnow
from tracker.config.model import PanelConfig, Secret
from tracker.errors import StopRequested
from tracker.jobs.refill_requests import PanelModes, request_refills
from tracker.panel.client import PanelClient
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _stopped_as_recorded(tmp_path, stop: BaseException):
    @contextmanager
    def recording():
        yield
        raise stop  # the rows just committed, nothing sent

    panel = PanelConfig(name="main", url="http://127.0.0.1:9/api/v2", key=Secret("k3y-0"))
    client = PanelClient(panel, sleep=lambda _seconds: None)
    store = Store(tmp_path / "t.db")
    store.track("main", [81, 82], utcnow())
    try:
        with capture_logs() as logs:
            try:
                result = request_refills(
                    store, client, [81, 82], clock=utcnow, modes=PanelModes(), recording=recording
                )
            except KeyboardInterrupt:
                result = None
        left = store.rows("SELECT * FROM refills")
    finally:
        client.close()
        store.close()
    done = [e for e in logs if e["event"] == "refill_requests_done"]
    return result, done, left


def test_a_run_stopped_as_it_recorded_counts_the_requests_given_back(tmp_path):
    result, done, left = _stopped_as_recorded(tmp_path, StopRequested("stopping"))
    assert result is not None and result.sent == 0
    assert left == []  # given back: asked again next round
    assert len(done) == 1
    assert (done[0]["sent"], done[0]["unsent"]) == (0, 2)


def test_a_ctrl_c_as_it_recorded_still_closes_with_the_count(tmp_path):
    result, done, left = _stopped_as_recorded(tmp_path, KeyboardInterrupt())
    assert result is None  # raised again: `refill` says "not sent, nothing recorded"
    assert left == []
    assert len(done) == 1
    assert (done[0]["sent"], done[0]["unsent"]) == (0, 2)
