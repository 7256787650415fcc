"""Logging as journald and terminals expect it: syslog priority prefixes when
stderr is the journal, no colour when NO_COLOR is set.

The logger runs in a child process whose stderr is a file; setting
$JOURNAL_STREAM to that file's device:inode is exactly what systemd does when
it connects stderr to the journal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tracker.service.logs import is_journal, wants_colour

SCRIPT = """
import logging, structlog
from tracker.service.logs import configure
configure("debug")
log = structlog.get_logger("tracker.test")
log.error("broke", panel="main")
log.warning("slow")
log.info("polled", orders=3)
log.debug("detail")
logging.getLogger("apscheduler.scheduler").warning("from a library")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("crashed")
"""


def run_logger(tmp_path: Path, *, journal: bool, env: dict[str, str] | None = None) -> list[str]:
    """Run SCRIPT with stderr into a file; return the lines it wrote."""
    out = tmp_path / "stderr"
    with out.open("w") as stderr:
        stat = os.fstat(stderr.fileno())
        child = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        if journal:
            child["JOURNAL_STREAM"] = f"{stat.st_dev}:{stat.st_ino}"
        child.update(env or {})
        subprocess.run([sys.executable, "-c", SCRIPT], stderr=stderr, env=child, check=True)
    return out.read_text().splitlines()


def test_under_journald_each_line_carries_its_priority_and_no_timestamp(tmp_path):
    lines = run_logger(tmp_path, journal=True)
    assert [line[:3] for line in lines] == ["<3>", "<4>", "<6>", "<7>", "<4>", "<3>"]
    events = [json.loads(line[3:]) for line in lines]
    assert [e["event"] for e in events] == [
        "broke",
        "slow",
        "polled",
        "detail",
        "from a library",
        "crashed",
    ]
    assert all("timestamp" not in e for e in events)  # journald stamps each entry
    assert events[0]["panel"] == "main"
    assert "ZeroDivisionError" in lines[-1]  # the traceback stays in the one error entry


def test_without_the_journal_lines_are_plain_json_with_a_timestamp(tmp_path):
    lines = run_logger(tmp_path, journal=False)
    events = [json.loads(line) for line in lines]
    assert [e["level"] for e in events[:4]] == ["error", "warning", "info", "debug"]
    assert all("timestamp" in e for e in events)


def test_a_journal_stream_of_another_file_is_not_the_journal(tmp_path):
    elsewhere = os.stat(tmp_path)
    env = {"JOURNAL_STREAM": f"{elsewhere.st_dev}:{elsewhere.st_ino}"}
    lines = run_logger(tmp_path, journal=False, env=env)
    assert all(line.startswith("{") for line in lines)


def test_is_journal_compares_device_and_inode(tmp_path):
    with (tmp_path / "f").open("w") as stream:
        stat = os.fstat(stream.fileno())
        assert is_journal(stream, {"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"})
        assert not is_journal(stream, {"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino + 1}"})
        assert not is_journal(stream, {"JOURNAL_STREAM": "garbage"})
        assert not is_journal(stream, {})


class Terminal:
    def isatty(self) -> bool:
        return True


def test_no_color_turns_colours_off_on_a_terminal():
    assert wants_colour(Terminal(), {})
    assert not wants_colour(Terminal(), {"NO_COLOR": "1"})
    assert wants_colour(Terminal(), {"NO_COLOR": ""})  # no-color.org: set and non-empty
    assert not wants_colour(object(), {})  # not a terminal
    assert not wants_colour(Terminal(), {"TERM": "dumb"})
    assert wants_colour(Terminal(), {"TERM": "xterm-256color"})


def on_a_terminal(env: dict[str, str]) -> str:
    """Run SCRIPT with stderr on a pseudo-terminal; return what it showed."""
    import pty

    leader, follower = pty.openpty()
    unset = ("JOURNAL_STREAM", "NO_COLOR", "TERM")
    child = {k: v for k, v in os.environ.items() if k not in unset}
    child.update(env)
    subprocess.run([sys.executable, "-c", SCRIPT], stderr=follower, env=child, check=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return shown.decode(errors="replace")


def test_a_terminal_gets_colours_unless_no_color_is_set():
    assert "\x1b[" in on_a_terminal({})
    plain = on_a_terminal({"NO_COLOR": "1"})
    assert "polled" in plain and "\x1b[" not in plain


def test_a_dumb_terminal_gets_no_colours():
    assert "\x1b[" in on_a_terminal({"TERM": "xterm"})
    plain = on_a_terminal({"TERM": "dumb"})
    assert "polled" in plain and "\x1b[" not in plain


def test_under_journald_the_line_a_command_ends_on_is_an_error(tmp_path):
    # The service's start refused its config (exit 2): that line was plain
    # text, which journald files at info, so `journalctl -u smm-tracker -p err`
    # (the README's "exactly the errors") never showed why it did not start.
    config = tmp_path / "config.toml"
    config.write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey_env = "K"\ntimeot = "30s"\n'
        '[schedule]\nstatus_every = "5 minutes"\n'
    )
    out = tmp_path / "stderr"
    for journal in (True, False):
        with out.open("w") as stderr:
            stat = os.fstat(stderr.fileno())
            child = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
            child["K"] = "k3y-Zq9"
            if journal:
                child["JOURNAL_STREAM"] = f"{stat.st_dev}:{stat.st_ino}"
            args = [sys.executable, "-m", "tracker", "--config", str(config), "run"]
            done = subprocess.run(args, stderr=stderr, env=child, timeout=60)
        assert done.returncode == 2
        mark = "<3>" if journal else ""
        assert out.read_text().splitlines() == [
            f"{mark}smm-tracker: config {config} has 2 problems:",
            f"{mark}  at 'panels[0].timeot': unknown key (did you mean 'timeout'?)",
            f"{mark}  at 'schedule.status_every': '5 minutes' is not a duration like "
            "90s, 5m, 24h, 30d",
        ]
