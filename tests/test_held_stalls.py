"""A stall the watch holds back (the panel's answers not recent enough to
speak for the order, or an open ``panel_unreachable`` or ``auth_failed``) is
told once at info, ``stalls_checked`` with ``held``, not at every run of the
automation while the hold lasts: in the soak, an ``auth_failed`` left open
held 60 orders and the daemon wrote the same info line twice a minute for as
long, in a journal otherwise silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import sim_config
from structlog.testing import capture_logs

from tracker.clock import iso, utcnow
from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _stalls_lines(job) -> list[tuple[str, int]]:
    with capture_logs() as logs:
        assert job.run() is True
    return [(e["log_level"], e["held"]) for e in logs if e["event"] == "stalls_checked"]


def test_a_hold_is_told_once_at_info_then_at_debug_until_it_changes(tmp_path):
    (tmp_path / "tracker.toml").write_text(
        sim_config("http://127.0.0.1:9/api/v2") + "[automation]\nstalls = true\n"
    )
    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": "k" * 20}))
    try:
        now = utcnow()
        old, overdue = iso(now - timedelta(hours=20)), iso(now - timedelta(hours=2))
        with tracker.store.write() as db:
            for order_id in (1, 2, 3):  # Pending 20 h, unchanged; last asked 2 h ago
                db.execute(
                    "INSERT INTO orders (panel, order_id, status, polling, remains, service, "
                    "quantity, created_at, updated_at, last_change_at, last_checked_at, "
                    "next_check_at) VALUES ('sim', ?, 'Pending', 1, 1000, 1, 1000, ?, ?, ?, ?, ?)",
                    [order_id, old, old, old, overdue, overdue],
                )
        [job] = [j for j in tracker.watch.jobs(tracker.jobs()) if j.name == "automation:sim"]
        assert _stalls_lines(job) == [("info", 3)]
        assert _stalls_lines(job) == [("debug", 3)]  # the same hold: before, info again
        assert _stalls_lines(job) == [("debug", 3)]
        with tracker.store.write() as db:  # one order answered since: the hold changed
            db.execute(
                "UPDATE orders SET last_checked_at = ?, next_check_at = ? WHERE order_id = 3",
                [iso(now), iso(now + timedelta(minutes=5))],
            )
        assert _stalls_lines(job)[0] == ("info", 2)
    finally:
        tracker.close()
