"""``--log-level critical`` (and ``logging.level = "critical"``): only the
failures of the whole daemon.

An operator wanting those alone had nothing above ``error``, where every
panel's failed status call, balance check and catalogue sync is logged too.
Now the daemon stopping itself (its database deleted or replaced, its lock
taken), its jobs stalled (the watchdog withheld) and a stop overdue are
logged at critical (``<2>`` in the journal); at that level nothing else is
logged, and the plain line a failing command ends on is printed as ever.
"""

from __future__ import annotations

import os

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_service_run import DEADLINE, Daemon

pytestmark = pytest.mark.usefixtures("quick_backoff")  # a panel down on purpose: tries 10 ms apart


def test_log_level_critical_keeps_a_panel_down_out_of_the_log(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    assert cli("track", "5001").exit_code == 0
    ran = cli("--log-level", "critical", "run", "--once")
    assert ran.exit_code == 1  # every job failed: the panel is down
    assert ran.stderr == ""  # status_failed, balance_failed, services_failed: errors, not shown
    assert ran.stdout.startswith("main: ")  # the summary says it


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMM_TEST_KEY", TEST_KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    return dict(os.environ)


def test_a_daemon_stopping_itself_is_all_it_logs_at_critical(tmp_path, env):
    config = tmp_path / "tracker.toml"
    config.write_text(OFFLINE_CONFIG + '[logging]\nlevel = "critical"\nformat = "json"\n')
    daemon = Daemon(config, env)
    try:
        daemon.wait_for("READY=1")  # its jobs' first runs fail: the panel is down
        for path in tmp_path.glob("t.db*"):
            if not path.name.endswith(".lock"):
                path.unlink()
        code = daemon.proc.wait(timeout=DEADLINE)
        events = daemon.events()
        output = daemon.output()
    finally:
        daemon.close()
    assert code != 0
    assert [(e["event"], e["level"]) for e in events] == [("database_replaced", "critical")]
    [last] = [line for line in output.splitlines() if not line.startswith("{")]
    assert last.startswith("smm-tracker: ")
    assert "was deleted or moved while the daemon ran" in last
