"""A refusal of the key met by a run of a reload's retired generation
raises no ``auth_failed``: that generation pauses nothing (the new one asks
the key again), yet its alert said "its jobs are paused", and when the
reload was what fixed the key, ``auth_recovered`` followed a moment later:
a failed/recovered pair for a key refused to a configuration no longer
running."""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_daemon_holds import reloaded_while_polling
from test_paused_jobs import KEY, refusing  # noqa: F401  (fixture)

from tracker.service.runs import run_once
from tracker.sim.server import PanelServer

pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.mark.parametrize(("fixed", "raised"), [(True, []), (False, ["auth_failed"])])
def test_a_refusal_a_reload_retired_run_met_raises_no_alert(
    tmp_path: Any,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    fixed: bool,
    raised: list[str],
) -> None:
    # The reload came while the old generation's poll was on the wire, its
    # answer refusing the old key. Fixed by the reload: no alert at all; still
    # wrong: the new generation's own refusal raises auth_failed, once.
    key = refusing.panel.key if fixed else KEY
    _daemon, generations, run = reloaded_while_polling(tmp_path, clock, monkeypatch, refusing, key)
    try:
        with capture_logs() as logs:
            run()
            assert len(generations) == 2  # the poll asked, the reload came
            clock.advance(300)
            assert run_once(generations[-1].jobs) is fixed  # the new generation asks the key
    finally:
        for generation in generations:
            generation.close()
    assert [e["alert"] for e in logs if e["event"] == "alert"] == raised
    if not fixed:
        (alert,) = (e for e in logs if e["event"] == "alert")
        assert "its jobs are paused" in alert["message"]  # the new generation's: they are
