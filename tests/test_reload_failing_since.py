"""After a reload (SIGHUP), ``status_failing``'s "since" (the alert's
``data.since``, doctor's "status polls have failed since ...") is when the
panel's polls began failing, not one poll late.

Operator's week (reload141): two panels, one hanging, the config reloaded.
The reload's stop cut the poll on the wire (no answer yet: neither an answer
nor a failure) and no generation judged it, so the run began at the new
generation's first failed poll, and the alert came a poll late. Now the cut
call's start counts once the next call fails too, across any number of
reloads; a panel moved to another URL begins anew there.

Through the daemon's own generations (``Service._build``, as a SIGHUP builds
them) on a clock of the test's own, against a scripted panel on loopback.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, drip, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from simconfig import cli_in
from structlog.testing import capture_logs

from tracker.config.load import load_config
from tracker.errors import PanelError, StopRequested
from tracker.jobs.tracker import Tracker
from tracker.service import process
from tracker.service.daemon import Generation
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "reload-failing-key-Qw7Er4Ty9"
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ORDER = 23501


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat(timespec="seconds")


class Panel:
    """A panel answering balance; its status calls ``hang``, ``fail`` or are
    ``answered``."""

    def __init__(self) -> None:
        self.status, self.asked = "hang", threading.Event()
        self.down = False  # its balance calls fail too

    def __call__(self, form: dict[str, str]) -> Reply:
        if form.get("action") == "balance" and not self.down:
            return json_reply({"balance": "5.00", "currency": "USD"})
        if form.get("action") not in ("status", "balance"):
            return json_reply([])
        if form.get("action") == "status":
            self.asked.set()
        if self.status == "hang":
            return drip(every=0.1)  # never done: a stop cuts it
        if self.status == "answered":
            return json_reply({str(ORDER): {"status": "In progress", "remains": "5"}})
        return json_reply({"error": "Internal Server Error"}, 500)


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield (build, trackers, panel, clock, cli): build(url=None) makes the
    daemon's next generation (its first, then a reload's), optionally with
    panel p at another URL; cli runs the real CLI on the same config."""
    clock, panel = Resumable(START), Panel()
    trackers: list[Tracker] = []
    generations: list[Generation] = []

    class Clocked(Tracker):
        def __init__(self, *args: Any, **kwargs: Any):
            kwargs.update(clock=clock, monotonic=clock.monotonic, boottime=clock.boottime)
            super().__init__(*args, **kwargs)
            self.everything = True  # each poll asks every open order
            trackers.append(self)

    monkeypatch.setattr(process, "Tracker", Clocked)
    with HostileServer(panel) as server:

        def toml(url: str) -> str:
            return (
                f'[database]\npath = "t.db"\n[[panels]]\nname = "p"\nurl = "{url}"\n'
                f'key = "{KEY}"\nretries = 0\ntimeout = "20s"\n'
                '[refill]\nenabled = false\n[alerts]\nunreachable_after = "15m"\n'
            )

        cli = cli_in(tmp_path, monkeypatch, toml(server.url))
        config = load_config(str(tmp_path / "tracker.toml"), env={})
        service = Service(config, load=lambda: config, notifier=Notifier(None))

        def build(url: str | None = None) -> Tracker:
            if url is not None:
                (tmp_path / "tracker.toml").write_text(toml(url))
            generations.append(service._build(load_config(str(tmp_path / "tracker.toml"), env={})))
            return trackers[-1]

        try:
            yield build, trackers, panel, clock, cli, server.url
        finally:
            for generation in generations:
                generation.close()


def poll(tracker: Tracker) -> None:
    """A poll of p, then its balance job (answered: the panel is reachable)."""
    tracker.poll("p")
    with contextlib.suppress(PanelError):  # a panel down
        tracker.clients["p"].balance()


def cut_by_a_reload(
    build: Callable[..., Tracker], old: Tracker, panel: Panel, clock: Resumable, on_the_wire: float
) -> Tracker:
    """``old``'s poll hangs ``on_the_wire`` seconds; a reload then builds the
    next generation and stops the old one (as the daemon's handover does):
    the poll's status call is cut. Return the new generation's tracker."""
    panel.asked.clear()

    def run() -> None:
        with pytest.raises(StopRequested):  # the daemon's job_stopped, no failure
            old.poll("p")

    polling = threading.Thread(target=run)
    polling.start()
    assert panel.asked.wait(10)
    clock.advance(on_the_wire)
    new = build()  # the reload: its generation takes the runs over
    old.stop_event.set()  # ...then the old one's runs are told to stop
    polling.join(10)
    assert not polling.is_alive()
    return new


def status_failing(tracker: Tracker) -> dict[str, Any]:
    [row] = tracker.store.rows(
        "SELECT active, since FROM alert_state WHERE panel = 'p' AND kind = 'status_failing'"
    )
    return row


def test_failing_since_is_when_the_poll_a_reload_cut_began(daemon) -> None:
    build, trackers, panel, clock, cli, _url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    with capture_logs():
        new = cut_by_a_reload(build, first, panel, clock, 15)  # 09:00:00, cut at 09:00:15
        panel.status = "fail"  # from now on each status call fails at once
        clock.advance(285)
        poll(new)  # 09:05: the first failed poll judged
        assert status_failing(new) == {"active": 0, "since": at(0)}  # before: at(300)
        for _ in range(2):  # 09:10, 09:15: failing for 15 minutes
            clock.advance(300)
            poll(new)
    raised = [a for a in alerts_since(new.store, None) if a["kind"] == "status_failing"]
    assert [a["data"]["since"] for a in raised] == [at(0)]  # before: none until 09:20
    warned = [line for line in cli("doctor").output.splitlines() if line.startswith("warn panel p")]
    assert warned and warned[0].startswith(f"warn panel p: status polls have failed since {at(0)}")


def test_a_run_cut_by_reload_after_reload_counts_from_the_first_cut(daemon) -> None:
    build, trackers, panel, clock, _cli, _url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    with capture_logs():
        second = cut_by_a_reload(build, first, panel, clock, 15)  # 09:00:00
        clock.advance(285)
        third = cut_by_a_reload(build, second, panel, clock, 15)  # 09:05:00, cut again
        panel.status = "fail"
        clock.advance(285)
        poll(third)  # 09:10
    assert status_failing(third) == {"active": 0, "since": at(0)}


def test_an_answer_after_the_cut_poll_ends_its_run(daemon) -> None:
    # The cut call is no failure: a status call answered after it, the run
    # begins at the next failed one.
    build, trackers, panel, clock, _cli, _url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    with capture_logs():
        new = cut_by_a_reload(build, first, panel, clock, 15)
        panel.status = "answered"
        clock.advance(285)
        poll(new)  # 09:05: answered
        panel.status = "fail"
        clock.advance(300)
        poll(new)  # 09:10: failed
    assert status_failing(new) == {"active": 0, "since": at(600)}


def test_a_panel_moved_by_the_reload_begins_its_run_anew_at_the_new_url(daemon) -> None:
    build, trackers, panel, clock, _cli, url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    panel.status = "fail"
    with capture_logs():
        poll(first)  # 09:00: failing at the old URL
        clock.advance(300)
        poll(first)  # 09:05
        assert status_failing(first) == {"active": 0, "since": at(0)}
        clock.advance(60)
        panel.status = "hang"  # 09:06: a poll at the old URL cut by the reload moving it
        moved = cut_by_a_reload(lambda: build(url + "/"), first, panel, clock, 10)
        panel.status = "fail"
        clock.advance(230)
        poll(moved)  # 09:10: its first failed poll at the new URL
    assert status_failing(moved) == {"active": 0, "since": at(600)}  # before: at(0)


def test_every_call_failed_since_is_when_the_call_a_reload_cut_began(daemon) -> None:
    # The panel down, its balance calls failing too: panel_unreachable's
    # "every call has failed since" counts from the cut call's start as well.
    build, trackers, panel, clock, _cli, _url = daemon
    first = build()
    first.store.track("p", [ORDER], clock())
    with capture_logs():
        new = cut_by_a_reload(build, first, panel, clock, 15)  # 09:00:00
        panel.status, panel.down = "fail", True
        for step in (285, 300, 300):  # 09:05, 09:10, 09:15
            clock.advance(step)
            poll(new)
    raised = [a for a in alerts_since(new.store, None) if a["kind"] == "panel_unreachable"]
    assert [a["data"]["since"] for a in raised] == [at(0)]  # before: none until 09:20
