"""A tracker wired to the simulated panel over loopback, both on one FakeClock.

Shared by the refill tests: orders are seeded on the panel, tracked and polled
by the real Tracker, and the refill/services jobs are run by hand, round by
round, while the clock moves. Nothing sleeps: time only moves when told.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tracker.cli.main import main
from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker
from tracker.sim.server import SERVICE_FOLLOWERS, PanelServer, SimulatedPanel
from tracker.store.refill_reads import refills

KEY = "sim-refill-key-9fQ2xL7pW3"
H = 3600.0
DAY = 86400.0


class World:
    def __init__(
        self,
        tmp_path: Path,
        clock: Any,
        *,
        refill: str = "",
        automation: str = "",
        schedule: str = "",
        panel: str = "",  # more of the panel's keys ("concurrency = 1")
        more: str = "",  # more of the config, last ("{url}": the panel's url)
        panel_class: type[SimulatedPanel] = SimulatedPanel,
        monotonic: Any = None,  # the clock's monotonic twin (tests/resumable.py)
        boottime: Any = None,  # and its boot clock, counting a suspend
        **panel_options: Any,
    ):
        self.clock = clock
        self.panel = panel_class(
            key=KEY, clock=lambda: clock().timestamp(), seed=7, speed=60.0, **panel_options
        )
        self.server = PanelServer(self.panel).start()
        self.path = tmp_path / "tracker.toml"
        self.path.write_text(
            f"""
[database]
path = "t.db"
[[panels]]
name = "sim"
url = "{self.server.url}"
key = "{KEY}"
timeout = "5s"
retries = 0
{panel}
[refill]
{refill}
[automation]
{automation}
[schedule]
{schedule}
{more.replace("{url}", self.server.url)}
"""
        )
        self.config = load_config(str(self.path), env={})
        self.tracker = Tracker(self.config, clock=clock, monotonic=monotonic, boottime=boottime)
        self.tracker.everything = True  # the poll checks every open order
        self.jobs = {job.name: job for job in self.tracker.jobs()}
        self.changes: list[dict[str, Any]] = []
        self.tracker.refill_listeners.append(self.changes.extend)

    @property
    def store(self):
        return self.tracker.store

    def order(
        self,
        service: int,
        status: str = "Completed",
        *,
        quantity: int = 1000,
        tell_service: bool = True,
    ) -> int:
        """Seed one order on the panel, pinned at ``status``, and track it."""
        order_id = self.panel.seed_orders(1, status=status, service=service, quantity=quantity)[0]
        self.store.track(
            "sim",
            [order_id],
            self.clock(),
            service=service if tell_service else None,
            link=self.link(order_id),
            quantity=quantity,
        )
        return order_id

    def ended(self, service: int, status: str = "Partial", *, quantity: int = 1000) -> int:
        """Seed one order In progress, track it and poll (the tracker sees it
        open), then pin it at ``status``: the next poll sees it end. An order
        seeded already final is one the tracker never saw open."""
        order_id = self.order(service, "In progress", quantity=quantity)
        self.poll()
        self.panel.pin(order_id, status)
        return order_id

    @staticmethod
    def link(order_id: int) -> str:
        return f"https://instagram.com/account{order_id}"

    def poll(self) -> None:
        assert self.tracker.poll("sim")

    def sync_services(self) -> bool:
        return self.jobs["services:sim"].run()

    def round(self) -> bool:
        return self.jobs["refill:sim"].run()

    def dropped(self, count: int = 1) -> list[int]:
        """Place ``count`` follower orders (refill guarantee), complete them,
        and a day later drop 30 of each: eligible for a refill."""
        self.sync_services()
        ids = [self.order(SERVICE_FOLLOWERS) for _ in range(count)]
        self.poll()
        self.clock.advance(DAY)
        for order_id in ids:
            self.panel.drop(order_id, 30)
        return ids

    def requests(self, order_id: int) -> list[dict[str, Any]]:
        """Return the order's refill requests, oldest first."""
        return list(reversed(refills(self.store, order_id=order_id)))

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, ["--config", str(self.path), *args])

    def close(self) -> None:
        self.tracker.close()
        self.server.stop()


class WordyRefillStatusPanel(SimulatedPanel):
    """Answers ``refill_status`` (multi and single) with ``word`` as every
    refill's status while it is set."""

    word: object = None

    def _refill_status(self, form: Mapping[str, str], now: float):
        answer = super()._refill_status(form, now)
        if self.word is None:
            return answer
        if "refills" in form:
            return [{"refill": item["refill"], "status": self.word} for item in answer]
        return {"status": self.word}


# A tiny probe: looks its link up in a "link count" file the test keeps up to
# date from the panel's live counts. Exits 1 (no output) for a link it lacks.
PROBE = """#!/bin/sh
exec awk -v link="$1" '$1 == link { print $2; found = 1 } END { exit !found }' "$SMM_COUNTS_FILE"
"""


def probe_files(tmp_path: Path, monkeypatch: Any) -> tuple[Path, Path]:
    """Write :data:`PROBE` as an executable script and point it at a counts
    file; return (the script, the counts file the test writes)."""
    probe = tmp_path / "probe.sh"
    probe.write_text(PROBE)
    probe.chmod(0o755)
    counts = tmp_path / "counts.txt"
    monkeypatch.setenv("SMM_COUNTS_FILE", str(counts))
    return probe, counts
