"""The daemon's poll lines of a failing episode told once, not at every poll.

A panel leaving IDs out of its answers and failing the multi call asking them
again (``status_reask_failed``), or refusing every lone ID in the same
unknown words (``status_refused_alike``), did so at every poll: the daemon
warned at every poll of the episode, a line a minute. Now the first poll
warns, the polls after it say it at debug, and the first poll without it
says the episode ended (``<line>_ended``, at info). Through the real Tracker
(the daemon's jobs) against a scripted panel on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from blame_panel import Respond, config_for, status_of
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_panel_blame_calls import IDS, KEY, leaves_out_then, refusing_after

from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker

pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.fixture
def daemon(tmp_path: Path, clock) -> Iterator[Any]:
    """Yield start(status_answer, panel_config=""): a Tracker on a scripted
    panel whose status calls ``status_answer(form)`` answers, IDS tracked;
    returns (tracker, answer), ``answer[0]`` the panel's status answer now."""
    made: list[tuple[Tracker, HostileServer]] = []

    def start(status: Respond, panel: str = "") -> tuple[Tracker, list[Respond]]:
        answer = [status]

        def respond(form: dict[str, str]) -> Reply:
            if form.get("action") == "status":
                return answer[0](form)
            if form.get("action") == "balance":
                return json_reply({"balance": "5.00", "currency": "USD"})
            return json_reply([])

        server = HostileServer(respond).start()
        path = tmp_path / "tracker.toml"
        path.write_text(config_for("3d")(server.url, panel))
        tracker = Tracker(load_config(str(path), env={"BLAME_KEY": KEY}), clock=clock)
        made.append((tracker, server))
        tracker.everything = True  # each poll asks every open order
        tracker.store.track("evil", IDS, clock())
        return tracker, answer

    yield start
    for tracker, server in made:
        tracker.close()
        server.stop()


def _said(logs: list[dict[str, Any]], event: str) -> list[str]:
    return [e["log_level"] for e in logs if e["event"] == event]


def _answered(form: dict[str, str]) -> Reply:
    ids = [int(i) for i in (form.get("orders") or form.get("order", "")).split(",")]
    return json_reply(status_of(ids[0]) if "order" in form else {str(i): status_of(i) for i in ids})


def test_a_failed_reask_is_warned_once_an_episode_and_its_end_told(daemon, clock):
    failure = json_reply({})  # the re-ask gets no news: its IDs asked alone
    tracker, answer = daemon(leaves_out_then(failure, lambda i: json_reply(status_of(i))))
    with capture_logs() as logs:
        for _ in range(2):
            assert tracker.poll("evil")  # the left-out IDs answered alone
            clock.advance(60)
    assert _said(logs, "status_reask_failed") == ["warning", "debug"]  # before: two warnings
    answer[0] = _answered  # the panel mended: nothing left out
    with capture_logs() as logs:
        assert tracker.poll("evil")
    assert _said(logs, "status_reask_failed") == []
    [ended] = [e for e in logs if e["event"] == "status_reask_failed_ended"]
    assert (ended["log_level"], ended["panel"], ended["times"], ended["polls"]) == (
        "info",
        "evil",
        2,
        2,
    )
    answer[0] = leaves_out_then(failure, lambda i: json_reply(status_of(i)))
    with capture_logs() as logs:
        assert tracker.poll("evil")
    assert _said(logs, "status_reask_failed") == ["warning"]  # a new episode is told


def test_lone_ids_refused_alike_are_warned_once_an_episode(daemon, clock):
    words = "Hold your horses, partner"
    tracker, answer = daemon(refusing_after(2, words), "max_batch = 8\nconcurrency = 1")
    with capture_logs() as logs:
        for _ in range(3):
            tracker.poll("evil")  # fails: the refused orders left unsettled
            clock.advance(60)
    said = _said(logs, "status_refused_alike")  # a line a batch of 8, every poll
    assert said[0] == "warning" and said.count("warning") == 1  # before: one each poll, or more
    assert len(said) >= 3
    answer[0] = _answered
    with capture_logs() as logs:
        assert tracker.poll("evil")
    assert _said(logs, "status_refused_alike_ended") == ["info"]
