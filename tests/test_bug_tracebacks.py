"""A bug in a job, the alert sender or the redelivery look is logged with its
traceback: `job_failed`, `webhook_failed` and `alerts_redelivery_failed` said
only the exception's type (and message), so the operator reading the journal
had nothing to find the bug by."""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.service.jobstats import JobStats
from tracker.service.runs import guarded

pytestmark = pytest.mark.usefixtures("fresh_logs")


class _Buggy:
    name = "status:sim"

    def run(self) -> bool:
        raise RuntimeError("a bug")


def test_a_job_that_raises_a_bug_logs_job_failed_with_its_traceback() -> None:
    with capture_logs() as logs:
        assert guarded(_Buggy(), JobStats())() is False  # type: ignore[arg-type]
    failed = [e for e in logs if e["event"] == "job_failed"]
    assert len(failed) == 1
    assert failed[0]["log_level"] == "error"
    assert failed[0]["exc_info"] is True  # the traceback rendered with the line
    assert failed[0]["error"] == "a bug" and failed[0]["error_type"] == "RuntimeError"


def test_a_bug_in_the_redelivery_look_logs_its_traceback(monkeypatch: Any) -> None:
    from tracker.alerts import looks

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(looks, "redeliver", broken)

    class Keeper:
        troubles = 0

    with capture_logs() as logs:
        assert looks.look(Keeper(), None, [], lambda: False) is False  # type: ignore[arg-type]
    failed = [e for e in logs if e["event"] == "alerts_redelivery_failed"]
    assert len(failed) == 1 and failed[0]["exc_info"] is True
