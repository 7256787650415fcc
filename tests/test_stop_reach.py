"""A stop (SIGTERM) while a panel drips raises no ``panel_unreachable``.

Soak (soak15): SIGTERM while the hostile panel sent its answer a byte at a
time, a minute after its last answer: the call on the wire ended at its
deadline during the stop and raised ``panel_unreachable`` as the daemon
went down. A call that ends failed once the stop is set is the stop's, not
the panel's: the run of failures is judged again by the next start."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, drip
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.errors import PanelError
from tracker.jobs.tracker import Tracker
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "stop-reach-key-Hy3Jk8Lm2Np6"


def test_a_call_failing_during_a_stop_raises_no_panel_unreachable(
    tmp_path: Path, clock: Any
) -> None:
    asked = threading.Event()

    def respond(form: dict[str, str]) -> Any:
        asked.set()
        return drip(every=0.1)  # never done: each call ends at its 1 s deadline

    with HostileServer(respond) as server:
        panels = [{"name": "p", "url": server.url, "key": KEY, "retries": 0, "timeout": "1s"}]
        config = config_from_dict(
            {
                "database": {"path": str(tmp_path / "t.db")},
                "panels": panels,
                "alerts": {"unreachable_after": "1m"},
            },
            base_dir=tmp_path,
            env={},
        )
        # as run --once's first stop: the call on the wire waited for, to its deadline
        tracker = Tracker(config, clock=clock, stop_cuts_reads=False)
        client = tracker.clients["p"]
        failed: list[str] = []

        def call() -> None:
            try:
                client.balance()
            except PanelError as exc:
                failed.append(exc.detail)

        try:
            with capture_logs() as logs:
                call()  # the run of failures begins
                clock.advance(90)  # past unreachable_after, no answer since
                asked.clear()
                on_the_wire = threading.Thread(target=call)
                on_the_wire.start()
                assert asked.wait(10)  # the request is at the panel, dripping
                tracker.stop_event.set()  # SIGTERM: the daemon stops
                on_the_wire.join(10)
                assert not on_the_wire.is_alive()
            raised = [row["kind"] for row in alerts_since(tracker.store, None)]
        finally:
            tracker.close()
    assert len(failed) == 2 and all("within 1s" in why for why in failed)  # both timed out
    assert raised == []  # before: panel_unreachable, "every call has failed for 1m30s"
    assert not [e for e in logs if e.get("alert") == "panel_unreachable"]


def test_without_a_stop_the_same_calls_raise_panel_unreachable(tmp_path: Path, clock: Any) -> None:
    # The other half: the stop, not the drip, is what keeps the alert back.
    with HostileServer(lambda form: drip(every=0.1)) as server:
        panels = [{"name": "p", "url": server.url, "key": KEY, "retries": 0, "timeout": "1s"}]
        settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
        config = config_from_dict(
            {**settings, "alerts": {"unreachable_after": "1m"}}, base_dir=tmp_path, env={}
        )
        tracker = Tracker(config, clock=clock)
        try:
            with capture_logs():
                for _ in range(2):
                    with pytest.raises(PanelError):
                        tracker.clients["p"].balance()
                    clock.advance(90)
            raised = [row["kind"] for row in alerts_since(tracker.store, None)]
        finally:
            tracker.close()
    assert raised == ["panel_unreachable"]
