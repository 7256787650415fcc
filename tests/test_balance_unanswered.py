"""The daemon's balance job: a refusal in words whose witness got no answer.

A panel refusing ``balance`` in words ("Incorrect request") is asked
``services`` to tell a refused key from a missing action. When that call
gets no answer (a timeout, a drip), nothing is known: the job took it as
"answered, not a refusal", resumed a panel paused for its key and ended
its ``auth_failed``, and logged ``balance_failed`` "Incorrect request" as
if the panel had said something about the key or the action. Doctor says
the panel's silence (``unjudged_refusal``); so does the job now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dripping import silent
from hostile import HostileServer, drip, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.errors import JobPaused
from tracker.jobs.tracker import Tracker
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "unanswered-key-Wq7Rt3Yu9Io2"


def test_a_refusal_whose_witness_timed_out_resumes_nothing_and_says_the_silence(
    tmp_path: Path, clock: Any
) -> None:
    answers = {"balance": json_reply({"error": "Invalid API key"})}  # the key refused, plainly

    def respond(form: dict[str, str]) -> Any:
        if form.get("action") == "services":
            return drip(every=0.1)  # a byte at a time, past the call's 5 s deadline
        return answers["balance"]

    with HostileServer(respond) as server:
        # 5 s: the balance call answers within it on a loaded machine; the drip does not.
        panels = [{"name": "p", "url": server.url, "key": KEY, "retries": 0, "timeout": "5s"}]
        settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
        tracker = Tracker(config_from_dict(settings, base_dir=tmp_path, env={}), clock=clock)
        try:
            with capture_logs() as logs:
                with pytest.raises(JobPaused):  # refused: paused, no failure
                    tracker.watch.check_balance("p")
                assert tracker.watch.paused == {"p"}
                answers["balance"] = json_reply({"error": "Incorrect request"})
                clock.advance(900)
                assert tracker.watch.check_balance("p") is False  # the probe learned nothing
            paused = set(tracker.watch.paused)
            raised = [row["kind"] for row in alerts_since(tracker.store, None)]
        finally:
            tracker.close()
        asked = [form.get("action") for form in server.requests]
    assert asked == ["balance", "balance", "services"]
    # Still paused, the key's episode still open: a timeout vouches for no key.
    assert paused == {"p"}
    assert raised == ["auth_failed"]  # before: auth_failed, auth_recovered
    told = [e["event"] for e in logs if e["event"].startswith("panel_")]
    assert told == ["panel_paused"]  # before: panel_paused, panel_resumed
    (failed,) = [e for e in logs if e["event"] == "balance_failed"]
    host = server.url.split("/")[2]
    assert failed["error"] == (  # before: "p: balance: Incorrect request"
        "p: balance: the panel answered 'Incorrect request', then did not answer the "
        "services call that tells a refused key from a missing action (no answer from "
        f"{host} within 5s): no sign of either"
    )
    assert KEY not in repr(logs)


def test_a_refusal_whose_witness_answered_is_still_an_answer(tmp_path: Path, clock: Any) -> None:
    # The other half: services answering, the refusal is balance's own (this
    # call), an answer that is no refusal of the key: the panel resumes.
    answers = {"balance": json_reply({"error": "Invalid API key"})}

    def respond(form: dict[str, str]) -> Any:
        if form.get("action") == "services":
            return json_reply([{"service": 1, "name": "Likes", "rate": "0.9"}])
        if form.get("action") != "balance":  # the words of an action it lacks: others
            return json_reply({"error": "No such action"})
        return answers["balance"]

    with HostileServer(respond) as server:
        panels = [{"name": "p", "url": server.url, "key": KEY, "retries": 0, "timeout": "30s"}]
        settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
        tracker = Tracker(config_from_dict(settings, base_dir=tmp_path, env={}), clock=clock)
        try:
            with capture_logs():
                with pytest.raises(JobPaused):  # refused: paused, no failure
                    tracker.watch.check_balance("p")
                answers["balance"] = json_reply({"error": "Incorrect request"})
                clock.advance(900)
                tracker.watch.check_balance("p")
            paused = set(tracker.watch.paused)
            raised = [row["kind"] for row in alerts_since(tracker.store, None)]
        finally:
            tracker.close()
    assert paused == set()
    assert raised == ["auth_failed", "auth_recovered"]


def test_the_silence_is_told_once_a_run_of_it_not_at_every_balance_job(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The balance call is answered at each job ("Incorrect request"), which
    # began "told once" afresh: the daemon logged balance_failed at error
    # every balance_every while the panel's silence went on.
    answers = {"balance": json_reply({"error": "Incorrect request"})}

    def respond(form: dict[str, str]) -> Any:
        if form.get("action") != "balance":  # the words of an action it lacks: others
            return json_reply({"error": "No such action"})
        return answers["balance"]

    # Each services call ends as a drip cut at its deadline does, without its
    # 5 s (the first test waits out a real one): 4 jobs took 20 s.
    cut = silent(monkeypatch, "services")
    with HostileServer(respond) as server:
        panels = [{"name": "p", "url": server.url, "key": KEY, "retries": 0, "timeout": "30s"}]
        settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
        tracker = Tracker(config_from_dict(settings, base_dir=tmp_path, env={}), clock=clock)
        told: list[list[str]] = []
        try:
            for job in range(5):
                refused = job != 3  # the fourth job fetches the balance: the run ends
                answers["balance"] = json_reply(
                    {"error": "Incorrect request"}
                    if refused
                    else {"balance": "5", "currency": "USD"}
                )
                with capture_logs() as logs:
                    assert tracker.watch.check_balance("p") is not refused
                told.append([e["log_level"] for e in logs if e["event"] == "balance_failed"])
                clock.advance(900)
        finally:
            tracker.close()
    # Before: error at each of the first three jobs.
    assert told == [["error"], ["debug"], ["debug"], [], ["error"]]
    assert cut == [30.0] * 4  # the witness asked at each refusal, silent each time
