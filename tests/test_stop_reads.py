"""A SIGTERM to a command that only reads (a cron job's timeout, a `timeout
5 smm-tracker orders`): one line, `smm-tracker: stopped by SIGTERM`, exit
143, as the commands that write end, where it died by the signal's default
action (exit -15, nothing said). Sent by the process itself once its config
is read (a patched function in a `python -c` child), no timing."""

from __future__ import annotations

import signal
import sqlite3

import pytest
from simconfig import sim_config
from test_stop_writes import AFTER_CALL, OFFLINE, _child

CONFIG_READ = ("tracker.cli.configured", "command_config")
# Each command, and the function after whose first return the signal comes.
CASES = [
    (["orders"], CONFIG_READ),
    (["orders", "--json"], CONFIG_READ),
    (["history", "5"], CONFIG_READ),
    (["report"], CONFIG_READ),
    (["refills"], CONFIG_READ),
    (["balance"], CONFIG_READ),
    (["automation"], CONFIG_READ),
    (["doctor"], ("tracker.service.doctor", "run_checks")),  # its own config reading
]


@pytest.mark.parametrize(("args", "after"), CASES, ids=[" ".join(args) for args, _ in CASES])
def test_a_read_command_stopped_by_sigterm_says_so_and_exits_143(tmp_path, args, after):
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    tracked = _child(tmp_path, 'from tracker.cli.main import main\nmain(["track", "5"])')
    assert tracked.returncode == 0, tracked.stderr
    script = AFTER_CALL.format(
        module=after[0],
        name=after[1],
        at=1,
        signum=int(signal.SIGTERM),
        args=args,
    )
    done = _child(tmp_path, script)
    assert "Traceback" not in done.stderr
    assert done.returncode == 143, (done.returncode, done.stderr)
    assert done.stderr.splitlines()[-1] == "smm-tracker: stopped by SIGTERM"
    with sqlite3.connect(tmp_path / "t.db") as db:  # nothing lost
        assert db.execute("SELECT order_id FROM orders").fetchall() == [(5,)]
    db.close()
