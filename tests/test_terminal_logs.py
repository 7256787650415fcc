"""The log lines `run --once` and `run` print on a terminal, read by a person:
the time, the level, the event and the few fields that say what happened
(an alert: its kind, panel and message, not its data), wrapped at words to
the terminal's width with the rest of a line indented. They were
structlog's key=value lines, 150-600 columns (an alert carried its whole
data), broken mid-word by an 80-column terminal. Piped, as JSON or under
journald, the lines stay exactly as they were: scripts and journald read
every field.

Through the real CLI, in-process (stderr made "a terminal" as the notes'
tests do, tests/test_wide_notes.py), and the daemon as a process of its own
with stderr on a pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import SOURCE, terminal_sim

from tracker.cli import screen as screen_module
from tracker.cli.cells import on_screen
from tracker.cli.main import main
from tracker.sim.server import SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "tty-key-Hq7Zp2Wd9Lx4"
PARTIAL = 12  # orders ended Partial in one poll: one alert, its data 12 orders long
# A line's start: its time (UTC, to the second) and its level, then its event.
START = re.compile(r"^\d\d:\d\d:\d\d (info|warning|error) +(\S+)")


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedPanel]:
    """A simulated panel with orders that end Partial at the second run, a
    config for it, and the terminal 80 columns wide."""
    with terminal_sim(tmp_path, monkeypatch, KEY) as sim:
        yield sim


def cli(monkeypatch: pytest.MonkeyPatch, *args: str, terminal: bool) -> Result:
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: terminal)
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def partial_run(panel: SimulatedPanel, monkeypatch, *args: str, terminal: bool) -> Result:
    """Track orders, see them once, end them Partial: return the `run --once`
    that finds them so (an order_partial alert with 12 orders in its data)."""
    ids = panel.seed_orders(PARTIAL, status="In progress")
    cli(monkeypatch, "track", *map(str, ids), terminal=False)
    cli(monkeypatch, "run", "--once", terminal=False)
    for order_id in ids:
        panel.pin(order_id, "Partial")
    db = sqlite3.connect("t.db")
    with db:
        db.execute("UPDATE orders SET next_check_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    return cli(monkeypatch, *args, "run", "--once", terminal=terminal)


def test_run_once_on_a_terminal_prints_lines_a_person_reads_within_80_columns(panel, monkeypatch):
    shown = partial_run(panel, monkeypatch, terminal=True).stderr
    lines = shown.splitlines()
    assert max(map(on_screen, lines)) <= 80, shown
    # Each line starts with its time, level and event; the rest of a line
    # is indented under its event, never at column 0 nor broken mid-word.
    starts = [START.match(line) for line in lines]
    events = [m[2] for m in starts if m]
    changed = ["order_charge_changed"] * 10  # the first 10 by name, the rest counted
    assert events == [*changed, "alert", "order_charge_changed_many", "poll_done"], shown
    assert all(
        line.startswith(" " * 18) and line[18] != " " for line in lines if not START.match(line)
    )
    # The alert, its lines joined: its time, level, kind, panel and whole message.
    at = next(i for i, m in enumerate(starts) if m and m[2] == "alert")
    end = next(i for i in range(at + 1, len(lines)) if starts[i])
    said = " ".join(" ".join(lines[at:end]).split())
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d warning alert order_partial panel=sim: 12 orders partial: "
        r"#23501, #23502, #23503, #23504, #23505 and 7 more "
        r"\(in data.orders: `smm-tracker alerts --json`\)",
        said,
    ), said
    # What a person does not read: its data, the logger, the job, the timings.
    for noise in ("data=", "{'orders'", "[tracker.", "job=", "severity=", "cpu_s=", "wall_s="):
        assert noise not in shown, noise
    poll = " ".join(" ".join(lines[-2:]).split())
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d info poll_done panel=sim "
        r"calls=1 checked=12 transitions=12 late=0 errors=0",
        poll,
    ), poll


def test_piped_json_or_console_asked_keep_every_field_after_a_terminal_run(panel, monkeypatch):
    """The same run's lines, each format in turn, on the same panel (12 new
    orders each time): a terminal's for a person, then as scripts read them."""
    person = partial_run(panel, monkeypatch, terminal=True).stderr
    assert "data=" not in person and max(map(on_screen, person.splitlines())) <= 80, person

    piped = partial_run(panel, monkeypatch, terminal=False).stderr
    alert = next(line for line in piped.splitlines() if "] alert " in line)
    assert re.match(r"^\S+Z \[warning  \] alert +\[tracker\.alerts\] alert=order_partial ", alert)
    assert "data={'orders': [{'order_id': 23513, " in alert and "job=status:sim" in alert
    assert "severity=warning" in alert and "cpu_s=" in piped

    shown = partial_run(panel, monkeypatch, "--log-format", "json", terminal=True).stderr
    events = [json.loads(line) for line in shown.splitlines()]
    alert = next(e for e in events if e["event"] == "alert")
    assert len(alert["data"]["orders"]) == PARTIAL and alert["job"] == "status:sim"

    # --log-format console asked on a terminal: structlog's lines, every field.
    shown = partial_run(panel, monkeypatch, "--log-format", "console", terminal=True).stderr
    alert = next(line for line in shown.splitlines() if "] alert " in line)
    assert "data={'orders': [{'order_id': 23537, " in alert and "job=status:sim" in alert


def test_a_narrow_terminal_wraps_at_words_indented_by_2(panel, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    shown = partial_run(panel, monkeypatch, terminal=True).stderr
    lines = shown.splitlines()
    assert max(map(on_screen, lines)) <= 40, shown
    rest = [line for line in lines if not START.match(line)]
    assert rest and all(line.startswith("  ") and line[2] != " " for line in rest), shown


def _sized_pty(columns: int) -> tuple[int, int]:
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    return leader, follower


def _read_until(leader: int, seen: bytearray, want: bytes, deadline: float) -> bool:
    """Read the terminal's output into ``seen`` until ``want`` is in it or
    the deadline passes (or its other end is closed); return whether it is."""
    while want not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other end is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    return want in seen


def test_the_daemon_on_a_real_terminal_prints_lines_for_a_person(panel, tmp_path):
    """`run` in a pseudo-terminal 80 columns wide (its width read from the
    terminal, no $COLUMNS): its first poll's lines fit, an alert's data left
    out; SIGTERM stops it."""
    ids = panel.seed_orders(PARTIAL, status="Partial")
    tracked = CliRunner().invoke(main, ["track", *map(str, ids)], catch_exceptions=False)
    assert tracked.exit_code == 0, tracked.output
    leader, follower = _sized_pty(80)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "JOURNAL_STREAM")}
    env.update(PYTHONPATH=SOURCE, NO_COLOR="1", SIM_KEY=KEY)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tracker", "run"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        cwd=tmp_path,
        env=env,
    )
    os.close(follower)
    seen = bytearray()
    try:
        assert _read_until(leader, seen, b" poll_done ", time.monotonic() + 60), seen
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        _read_until(leader, seen, b"\x00", time.monotonic() + 5)  # the rest of its lines
        os.close(leader)
    shown = seen.decode().replace("\r\n", "\n")
    lines = shown.splitlines()
    assert lines and max(map(on_screen, lines)) <= 80, shown
    events = [m[2] for m in map(START.match, lines) if m]
    assert events[0] == "daemon_started" and "poll_done" in events, shown
    assert "data=" not in shown and "[tracker." not in shown
    assert all(START.match(line) or line.startswith(" " * 18) for line in lines), shown


def test_a_traceback_follows_its_line_a_panels_escapes_shown_and_the_key_blanked(capsys):
    """The renderer as `configure` runs it (stderr a terminal 100 columns
    wide): a panel's ESC shown as \\x1b, never obeyed; the key blanked,
    in the line and in the traceback; the traceback after the line, as it
    is; no field without a value."""
    import logging

    import structlog

    from tracker.cli.loglines import PersonLines
    from tracker.redact.scrub import register_secret
    from tracker.service.logs import configure

    register_secret(KEY)  # as the CLI does with every configured key
    configure("info", person=lambda colours: PersonLines(lambda: 100, colours), cache=False)
    log = structlog.get_logger("tracker.test")
    log.error("status_failed", panel="sim", error=f"Bad \x1b[31mkey {KEY}", order=None)
    try:
        raise ValueError(f"refused {KEY}")
    except ValueError:
        log.exception("job_failed", job="status:sim")
    logging.getLogger("httpx").warning("a library's line")
    log.warning("alert", alert="webhook_dropped", panel="", message="3 alerts dropped", data={})
    shown = capsys.readouterr().err
    lines = shown.splitlines()
    assert KEY not in shown and "\x1b" not in shown, shown
    assert re.fullmatch(
        r'\d\d:\d\d:\d\d error    status_failed panel=sim error="Bad \\x1b\[31mkey \*\*\*"',
        lines[0],
    ), lines[0]
    assert re.fullmatch(r"\d\d:\d\d:\d\d error    job_failed job=status:sim", lines[1]), shown
    assert lines[2] == "Traceback (most recent call last):"
    assert "ValueError: refused ***" in lines and lines[-2].endswith("warning  a library's line")
    # An alert of no one panel: its kind and message, no empty panel.
    assert lines[-1].endswith("warning  alert webhook_dropped: 3 alerts dropped"), lines[-1]


def test_text_asked_writes_the_lines_for_a_person_piped_too(panel, monkeypatch):
    # Cron mails what a run writes to stderr, piped: structlog's key=value
    # lines buried an alert's sentence among its data (newuser139). `text`
    # writes the lines a terminal shows, at 78 columns, never coloured.
    monkeypatch.setenv("COLUMNS", "200")  # no terminal: its width is not read
    shown = partial_run(
        panel, monkeypatch, "--log-level", "warning", "--log-format", "text", terminal=False
    ).stderr
    lines = shown.splitlines()
    assert lines and max(map(on_screen, lines)) <= 78, shown
    assert "data=" not in shown and "\x1b[" not in shown, shown
    assert START.match(lines[0]) and START.match(lines[0])[2] == "alert", shown
    assert "order_partial panel=sim: 12 orders partial" in " ".join(shown.split()), shown
