"""An outage spanning reloads (SIGHUP) is told once: ``status_failed`` at
error on the first failed poll, then at debug, in each later generation too
(moved146: each new generation said it at error again on its first failed
poll), a poll a reload cut meanwhile (no answer, no failure) included. A
panel whose url or key the reload changed is a new story: said again.

Through the daemon's own generations (``Service._build``, as a SIGHUP builds
them), with the fixture of :mod:`test_reload_failing_since`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_reload_failing_since as reloads
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_reload_failing_since import KEY, ORDER, cut_by_a_reload, poll

from tracker.jobs.tracker import Tracker

pytestmark = pytest.mark.usefixtures("fresh_logs")

daemon = reloads.daemon  # the fixture: the daemon's generations on a clock of the test's own


def said(tracker: Tracker) -> list[str]:
    """Poll p; return the levels of its ``status_failed`` lines."""
    with capture_logs() as logs:
        poll(tracker)
    return [e["log_level"] for e in logs if e["event"] == "status_failed"]


def reloaded(build: Any, old: Tracker, url: str | None = None) -> Tracker:
    new = build(url)  # the reload: the new generation takes over...
    old.stop_event.set()  # ...then the old one's runs are told to stop
    return new


def test_an_outage_across_reloads_says_status_failed_once(daemon) -> None:
    build, trackers, panel, clock, _cli, _url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status = "fail"
    assert said(first) == ["error"]
    clock.advance(300)
    second = reloaded(build, first)
    assert said(second) == ["debug"]  # before: error again
    clock.advance(300)
    panel.status = "hang"  # a poll the next reload cuts: neither answer nor failure
    third = cut_by_a_reload(build, second, panel, clock, 10)
    panel.status = "fail"
    clock.advance(290)
    assert said(third) == ["debug"]  # before: error again
    clock.advance(300)
    assert said(reloaded(build, third)) == ["debug"]


def test_a_reload_changing_the_url_or_the_key_says_it_again(daemon, tmp_path: Path) -> None:
    build, trackers, panel, clock, _cli, url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status = "fail"
    assert said(first) == ["error"]
    clock.advance(300)
    moved = reloaded(build, first, url + "/")
    assert said(moved) == ["error"]  # another URL: a new story
    clock.advance(300)
    config = tmp_path / "tracker.toml"
    config.write_text(config.read_text().replace(KEY, KEY + "-2"))
    rekeyed = reloaded(build, moved)
    assert said(rekeyed) == ["error"]  # another key: a new story
    clock.advance(300)
    assert said(reloaded(build, rekeyed)) == ["debug"]


def test_an_answered_poll_ends_the_outage_told(daemon) -> None:
    build, trackers, panel, clock, _cli, _url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status = "fail"
    assert said(first) == ["error"]
    panel.status = "answered"
    clock.advance(300)
    assert said(first) == []
    panel.status = "fail"
    clock.advance(300)
    assert said(reloaded(build, first)) == ["error"]
