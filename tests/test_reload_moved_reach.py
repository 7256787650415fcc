"""A panel a reload (SIGHUP) moved to another URL begins its run of failed
calls anew there: ``panel_unreachable``'s "every call has failed since"
(alert ``data.since``, doctor) counts from the first failed call at the new
URL, not from the old URL's failures (moved146: it carried them, and the
alert came at once). An alert already open at the old URL stays open until
a call works: no second alert, one ``panel_recovered``; as
``status_failing`` does (reload141).

Through the daemon's own generations, with the fixture of
:mod:`test_reload_failing_since`.
"""

from __future__ import annotations

from typing import Any

import pytest
import test_reload_failing_since as reloads
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_reload_failing_since import ORDER, at, cut_by_a_reload, poll, status_failing

from tracker.jobs.tracker import Tracker
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

daemon = reloads.daemon  # the fixture: the daemon's generations on a clock of the test's own


def reloaded(build: Any, old: Tracker, url: str | None = None) -> Tracker:
    new = build(url)  # the reload: the new generation takes over...
    old.stop_event.set()  # ...then the old one's runs are told to stop
    return new


def unreachable(tracker: Tracker) -> dict[str, Any]:
    [row] = tracker.store.rows(
        "SELECT active, since FROM alert_state WHERE panel = 'p' AND kind = 'panel_unreachable'"
    )
    return row


def kinds(tracker: Tracker) -> list[tuple[str, str]]:
    found = alerts_since(tracker.store, None)
    return [(a["kind"], a["data"].get("since", "")) for a in found if "panel" in a["kind"]]


def test_a_moved_panel_counts_every_call_failed_from_the_new_url(daemon) -> None:
    build, trackers, panel, clock, cli, url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status, panel.down = "fail", True
    with capture_logs():
        poll(first)  # 09:00: every call failing at the old URL
        clock.advance(300)
        poll(first)  # 09:05
        assert unreachable(first) == {"active": 0, "since": at(0)}
        clock.advance(60)
        moved = reloaded(build, first, url + "/")  # 09:06: moved
        clock.advance(240)
        poll(moved)  # 09:10: its first failed call at the new URL
        assert unreachable(moved) == {"active": 0, "since": at(600)}  # before: at(0)
        clock.advance(300)
        poll(moved)  # 09:15: 5 minutes at the new URL
    assert kinds(moved) == []  # before: panel_unreachable since 09:00
    warned = [line for line in cli("doctor").output.splitlines() if line.startswith("warn panel p")]
    assert warned and f"since {at(600)}" in warned[0]


def test_an_alert_open_at_the_old_url_stays_open_until_a_call_works(daemon) -> None:
    build, trackers, panel, clock, _cli, url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status, panel.down = "fail", True
    with capture_logs():
        for step in (0, 300, 300, 300):  # 09:00 to 09:15: raised at 09:15
            clock.advance(step)
            poll(first)
        assert kinds(first) == [("panel_unreachable", at(0))]
        clock.advance(60)
        moved = reloaded(build, first, url + "/")  # 09:16: moved, the alert open
        for step in (240, 300, 300, 300):  # 09:20 to 09:35: failing at the new URL
            clock.advance(step)
            poll(moved)
        assert kinds(moved) == [("panel_unreachable", at(0))]  # no second alert
        panel.status, panel.down = "answered", False
        clock.advance(300)
        poll(moved)
    assert [kind for kind, _ in kinds(moved)] == ["panel_unreachable", "panel_recovered"]


def test_a_call_at_the_new_url_a_second_reload_cut_counts_there(daemon) -> None:
    # Moved, then reloaded again (same URL) before its first poll there was
    # judged: the new URL's call the second reload cut is no old URL's.
    build, trackers, panel, clock, _cli, url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status = "fail"
    with capture_logs():
        poll(first)  # 09:00: failing at the old URL
        clock.advance(60)
        moved = reloaded(build, first, url + "/")  # 09:01: moved
        clock.advance(60)
        panel.status = "hang"  # 09:02: a poll at the new URL, cut by the next reload
        again = cut_by_a_reload(build, moved, panel, clock, 15)
        panel.status = "fail"
        clock.advance(285)
        poll(again)  # 09:07
    assert status_failing(again) == {"active": 0, "since": at(120)}  # before: at(420)
