"""A command's output into a pipe whose reader is gone (`orders --ids | head
-1`): quiet, and 141 as git, grep and coreutils end there (a shell's status
for a process killed by SIGPIPE), where it was 1, a failure of the command
itself to a script. Each command that prints, as a process of its own whose
stdout is a pipe closed before it starts (every write fails, as the one
after `head -1` has read its line)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, SOURCE, TEST_KEY, cli_process

from tracker.clock import utcnow
from tracker.store.orders import Store

PRINTING = [
    ["orders", "--ids"],
    ["orders", "--all"],
    ["orders", "--json"],
    ["history", "5"],
    ["alerts"],
    ["report"],
    ["refills"],
    ["services"],
    ["balance"],
    ["doctor"],
    ["unit"],
    ["--help"],
    ["orders", "--help"],
    ["--version"],
    # Every --json form too: quiet and 141, no line (their JSON is one write).
    ["orders", "--stalled", "--json"],
    ["history", "5", "--json"],
    ["refills", "--json"],
    ["services", "--json"],
    ["balance", "--json"],
    ["alerts", "--json"],
    ["alerts", "--undelivered", "--json"],
    ["report", "--json"],
    ["automation", "--json"],
    ["doctor", "--json"],
]


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    """A config and a database with something for every listing to print."""
    where = tmp_path_factory.mktemp("pipe")
    (where / "tracker.toml").write_text(OFFLINE_CONFIG)
    store = Store(where / "t.db")
    now = utcnow()
    store.track("main", list(range(1, 3001)), now - timedelta(hours=1), service=3)
    store.close()
    with sqlite3.connect(where / "t.db") as db:
        at = now.isoformat()
        db.execute("UPDATE orders SET status = 'Completed', completed_at = ?, charge = 1", [at])
        db.execute(
            "INSERT INTO transitions (panel, order_id, at, to_status) VALUES ('main', 5, ?, 'x')",
            [at],
        )
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message) "
            "VALUES (?, 'main', 'stalled', 'warning', 'm')",
            [at],
        )
        db.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, updated_at) "
            "VALUES ('main', 5, 'r1', ?, 'Completed', ?)",
            [at, at],
        )
        db.execute(
            "INSERT INTO services (panel, service, name, updated_at) VALUES ('main', 3, 'L', ?)",
            [at],
        )
        db.execute(
            "INSERT INTO balances (panel, at, balance, currency) VALUES ('main', ?, 5, 'USD')",
            [at],
        )
        db.execute(
            "INSERT INTO automation_actions (panel, order_id, action, dry_run, status, "
            "quantity, reason, at, updated_at) "
            "VALUES ('main', 6, 'reorder', 1, 'Dry run', 10, 'Partial', ?, ?)",
            [at, at],
        )
    db.close()
    return where


def read_once(
    directory: Path, args: list[str], env: dict[str, str]
) -> tuple[subprocess.Popen[str], str, bytes]:
    """Run the CLI with a reader that takes what one read takes, as head's
    does, then goes; return the process (ended), its stderr and what was read."""
    read, write = os.pipe()
    with subprocess.Popen(
        [sys.executable, "-m", "tracker", *args],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=directory,
    ) as proc:
        os.close(write)
        first = os.read(read, 1 << 20)  # what one read takes, as head's does
        os.close(read)  # then the reader goes
        _, stderr = proc.communicate(timeout=60)
    return proc, stderr, first


@pytest.mark.parametrize("args", PRINTING, ids=" ".join)
def test_output_into_a_closed_pipe_ends_quietly_as_git_and_grep_do(directory, args):
    read, write = os.pipe()
    os.close(read)  # the reader is gone: every write fails with EPIPE
    try:
        # stdout buffered, as a user's shell has it (not PYTHONUNBUFFERED, as
        # the unit sets): the text left in the buffer met the pipe again at exit.
        env = {"SMM_TEST_KEY": TEST_KEY, "PYTHONUNBUFFERED": ""}
        done = cli_process(directory, args, stdout=write, env=env)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_what_it_would_print_is_there_with_a_reader(directory):
    # The same commands print (not a 141 for want of output): one as a check.
    read, write = os.pipe()
    with os.fdopen(read) as reader:
        done = cli_process(directory, ["orders", "--ids"], stdout=write, env={})
        os.close(write)
        assert done.returncode == 0 and len(reader.read().split()) == 3000


@pytest.mark.parametrize(
    ("args", "count"),
    [(["orders", "--ids"], 3000), (["orders", "--json", "--limit", "40"], 40)],
    ids=["ids", "json"],
)
def test_a_listing_that_fits_the_pipe_is_read_whole_by_a_reader_that_then_goes(
    directory, args, count
):
    # README: a listing short enough to fit the pipe's buffer ends 0 under
    # `| head -1`, as `seq 9 | head -1` does. Each ID was its own write (click
    # flushes each echo): the reader had the first line and went, and the
    # other 2,999 met a pipe with no reader, 141.
    env = {**os.environ, "SMM_TEST_KEY": TEST_KEY, "PYTHONPATH": SOURCE}
    proc, stderr, first = read_once(directory, args, env)
    assert (proc.returncode, stderr) == (0, "")
    listed = first.decode()
    assert len(listed.split() if "--ids" in args else json.loads(listed)) == count


@pytest.mark.parametrize(
    "args",
    [["history", "5"], ["report"], ["alerts"], ["balance"], ["automation"]],
    ids=" ".join,
)
def test_a_short_output_of_lines_is_one_write_read_whole_by_head(directory, args):
    # README: what fits the pipe's buffer ends 0 under `| head -1`. These
    # printed a write a line (history's first line, its table, its notes;
    # report's window line, then its table; each alert; balance's lines):
    # the reader had the first and went, and the next met no reader: 141,
    # which ends a `set -o pipefail` script, where `orders | head -1` ends 0.
    env = {**os.environ, "SMM_TEST_KEY": TEST_KEY, "PYTHONPATH": SOURCE}
    whole = subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=directory,
        timeout=60,
    )
    assert whole.returncode == 0 and whole.stdout.count("\n") > 1, whole
    proc, stderr, first = read_once(directory, args, env)
    now = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")  # report's window: now's
    said = now.sub("T", first.decode())
    assert (proc.returncode, stderr, said) == (0, whole.stderr, now.sub("T", whole.stdout))


def test_doctor_is_one_write_read_whole_by_head(directory):
    # doctor wrote a line a check (click flushes each echo): `doctor | head -1`
    # had its first line and went, the next check's line met no reader, 141,
    # where the other read commands end 0. It runs every check before its
    # first line, so one write shows nothing later on a terminal; its own
    # status (1: the offline panel's check fails) is kept.
    env = {**os.environ, "SMM_TEST_KEY": TEST_KEY, "PYTHONPATH": SOURCE}
    (directory / "doctor.toml").write_text(OFFLINE_CONFIG)
    doctor = ["--config", "doctor.toml", "doctor"]
    whole = subprocess.run(
        [sys.executable, "-m", "tracker", *doctor],
        capture_output=True,
        text=True,
        env=env,
        cwd=directory,
        timeout=60,
    )
    assert whole.returncode == 1 and whole.stdout.count("\n") > 1, whole
    proc, stderr, first = read_once(directory, doctor, env)
    assert (proc.returncode, stderr) == (whole.returncode, whole.stderr)
    assert first.decode().splitlines() == whole.stdout.splitlines()
