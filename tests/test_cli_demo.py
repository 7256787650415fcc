"""demo: fresh IDs in a kept folder, no folder left behind, alerts as lines in order."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import tempfile

from click.testing import CliRunner

from tracker.cli.main import main
from tracker.cli.render import transition_line


def _demo(*args: str) -> str:
    result = CliRunner().invoke(
        main, ["demo", "--speed", "0.5", "--every", "1", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def _placed(output: str) -> list[int]:
    return [int(n) for n in re.search(r"placed \d+ orders: ([\d, ]+)", output).group(1).split(",")]


def test_a_kept_folder_gets_fresh_ids_and_alerts_follow_their_transition(tmp_path):
    keep = str(tmp_path / "demo")
    first = _demo("--orders", "5", "--duration", "5", "--keep", keep)
    lines = first.splitlines()
    # Alerts are one human line each, after the transition that raised them.
    alert = next(i for i, line in enumerate(lines) if "ALERT  demo: order #23501 canceled" in line)
    moved = next(
        i for i, line in enumerate(lines) if "demo #23501  " in line and "-> Canceled" in line
    )
    assert moved < alert
    assert "{'orders'" not in first and "severity=" not in first
    assert "remains -" not in first  # over-delivery reads "+N"

    second = _demo("--orders", "2", "--duration", "2", "--keep", keep)
    assert min(_placed(second)) > max(_placed(first))
    assert f"new orders start at #{max(_placed(first)) + 1}" in second
    assert f"demo #{min(_placed(second))}  (first seen) -> Pending" in second
    assert "watching (times UTC; Ctrl-C to stop)..." in second  # the lines' times are UTC

    # The command the kept demo names lists its orders, with no config.
    (named,) = re.findall(r"^kept: smm-tracker (orders --database \S+)$", second, re.M)
    listed = CliRunner().invoke(main, [*named.split(), "--json"])
    assert listed.exit_code == 0, listed.output
    assert {o["order_id"] for o in json.loads(listed.stdout)} == {
        *_placed(first),
        *_placed(second),
    }


def test_a_kept_demo_names_commands_that_run_as_pasted(tmp_path):
    # It ended "history: sqlite3 DB 'SELECT * FROM transitions'" (a program a
    # new user may not have), and its paths were not quoted: in a folder
    # named "my demo" the pasted `orders --database` read "no database".
    output = _demo("--orders", "3", "--duration", "4", "--keep", str(tmp_path / "my demo"))
    assert "sqlite3" not in output
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("kept: "))
    orders, history = lines[start][len("kept: ") :], lines[start + 1]
    ran = []
    for command in (orders, history):
        words = shlex.split(command)
        assert words[0] == "smm-tracker", command
        result = CliRunner().invoke(main, words[1:])
        assert result.exit_code == 0, (command, result.output)
        ran.append(result.output)
    order_id = int(shlex.split(history)[2])
    assert order_id in _placed(output)
    assert ran[1].startswith(f"demo #{order_id}: ")  # that order's status changes
    # What the demo showed of it first, its history's first row shows (Pending,
    # or Canceled where a slow host polled only after the panel canceled it).
    first = re.search(rf"demo #{order_id}  \(first seen\) -> (.+?)  \(", output)
    assert first is not None, output
    assert re.search(rf"  -  +{re.escape(first.group(1))}  ", ran[1]), (first.group(1), ran[1])


def test_without_keep_the_temporary_folder_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    output = _demo("--orders", "1", "--duration", "2")
    assert "--keep DIR keeps it" in output
    assert list(tmp_path.glob("smm-tracker-demo-*")) == []


def test_over_delivery_reads_as_plus():
    line = transition_line(
        {
            "at": "2026-12-01T10:42:55+00:00",
            "panel": "demo",
            "order_id": 23502,
            "from_status": "In progress",
            "to_status": "Completed",
            "remains": -2,
            "charge": 0.45,
        }
    )
    assert (
        line == "10:42:55  demo #23502  In progress -> Completed  (over-delivered +2, charge 0.45)"
    )


def test_a_remains_that_is_no_delivery_figure_is_not_called_over_delivery():
    row = {
        "at": "2026-12-01T10:42:55+00:00",
        "panel": "demo",
        "order_id": 23502,
        "from_status": "In progress",
        "to_status": "Completed",
        "charge": 0.45,
    }
    line = transition_line({**row, "remains": -99_999_999_999}, total=1000)
    assert line.endswith("(remains -99999999999 (not a delivery figure), charge 0.45)")
    line = transition_line({**row, "remains": 5000}, total=1000)
    assert line.endswith("(remains 5000 (not a delivery figure), charge 0.45)")
    # Over-delivery up to as much again as the order is still one.
    assert "(over-delivered +1000," in transition_line({**row, "remains": -1000}, total=1000)
    assert "(remains 400," in transition_line({**row, "remains": 400}, total=1000)


def test_the_demo_judges_remains_by_the_orders_quantity(monkeypatch):
    from tracker.sim.shapes import Shapes

    answer = Shapes.order

    def absurd(self, view, currency):  # a panel's nonsense once delivery starts
        item = answer(self, view, currency)
        return item if view.delivered == 0 else {**item, "remains": "-99999999999"}

    monkeypatch.setattr(Shapes, "order", absurd)
    output = _demo("--orders", "2", "--duration", "4")
    assert "over-delivered +99999999999" not in output
    # Over the remains first seen, not stored (the line keeps that one; the
    # warning quotes the panel's); an order first seen delivering stores it.
    changes = [line for line in output.splitlines() if "99999999999" in line and "  demo #" in line]
    assert all("remains -99999999999 (not a delivery figure)" in line for line in changes), output
    assert "remains_not_a_delivery_figure" in output and "remains=-99999999999" in output


def test_a_kept_folder_stops_polling_the_unfinished_orders_of_an_earlier_demo(tmp_path):
    keep = str(tmp_path / "demo")
    slow = ("--speed", "30", "--duration", "2", "--keep", keep)
    first = _demo("--orders", "2", *slow)  # stopped long before its orders finish
    second = _demo("--orders", "1", *slow)
    assert "untracked 2 unfinished orders of an earlier demo" in second
    db = sqlite3.connect(tmp_path / "demo" / "demo.db")
    stopped = db.execute(
        "SELECT order_id FROM orders WHERE stopped_by = 'user' ORDER BY order_id"
    ).fetchall()
    assert [r[0] for r in stopped] == _placed(first)


def test_ctrl_c_ends_a_demo_with_a_duration_at_once(tmp_path):
    # The --duration timer kept the process alive until it fired (minutes).
    import os
    import signal
    import subprocess
    import sys

    from simconfig import SOURCE

    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "demo", "--orders", "2", "--duration", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("watching"):
                break
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)  # ended, not after --duration's 600 s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_demo_whose_orders_all_ended_ends_by_itself_and_exits_0(tmp_path):
    # It said "all 2 orders reached a final status (Ctrl-C to stop)" and ran
    # on, showing nothing more (late checks come an hour on, refills of drops
    # a day on), until the user pressed Ctrl-C.
    import os
    import subprocess
    import sys

    from simconfig import SOURCE

    demo = ["demo", "--orders", "2", "--speed", "0.2", "--every", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "tracker", *demo],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=60,  # no signal is sent: on the code before, it ran until killed here
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    ending, final, removed = done.stdout.splitlines()[-3:]
    assert ending == "all 2 orders reached a final status: nothing more to show, the demo ends"
    assert re.fullmatch(r"final: \d+ \w+(, \d+ \w+)*", final), final
    assert removed == "(the temporary database is removed; --keep DIR keeps it)"


def test_a_keep_folder_that_cannot_be_made_is_one_line_and_leaves_nothing(tmp_path):
    (tmp_path / "a-file").write_text("")
    cases = [
        (str(tmp_path / "a-file" / "sub"), "Not a directory"),
        (str(tmp_path / "new" / "deeper" / ("x" * 300)), "File name too long"),
    ]
    for keep, cause in cases:
        result = CliRunner().invoke(main, ["demo", "--keep", keep], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert result.output == f"smm-tracker: --keep: cannot create {keep}: {cause}\n"
    # No folder on the way to the name too long is left behind (new/deeper were).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_keep_that_is_a_fifo_or_a_device_is_refused_as_no_folder_before_the_demo_starts(
    tmp_path,
):
    # click's check refuses a regular file only: a FIFO or /dev/null started
    # the demo, then failed with exit 1 saying root "cannot enter" it.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for keep in (str(fifo), "/dev/null"):
        result = CliRunner().invoke(main, ["demo", "--keep", keep], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"smm-tracker: --keep: {keep} is not a folder; name the folder to keep "
            "the database in\n"
        )


def test_a_keep_that_is_a_regular_file_is_the_same_one_line_and_left_as_it_was(tmp_path):
    # It was click's: "Invalid value for '--keep': Directory '...' is a file.
    # (see 'smm-tracker demo --help')".
    kept = tmp_path / "notes.txt"
    kept.write_text("mine\n")
    for keep in (str(kept), str(kept) + "/"):
        result = CliRunner().invoke(main, ["demo", "--keep", keep], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"smm-tracker: --keep: {kept} is not a folder; name the folder to keep "
            "the database in\n"
        )
    assert kept.read_text() == "mine\n" and sorted(tmp_path.iterdir()) == [kept]


def test_an_empty_keep_is_refused_not_taken_for_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--duration", "1", "--keep", ""])
    assert result.exit_code == 2, result.output
    assert (
        result.output == "smm-tracker: --keep is empty; name the folder to keep the database in\n"
    )
    assert list(tmp_path.iterdir()) == []  # no demo.db in the current directory


def test_the_demos_help_says_it_ends_by_itself():
    # It said "(Ctrl-C stops)", as if the demo ran until stopped; it ends once
    # its orders are final.
    for args in (["demo", "--help"], ["--help"]):
        shown = " ".join(CliRunner().invoke(main, args).output.split())
        assert "on a built-in simulated panel until every one is final" in shown
        assert "(Ctrl-C stops)" not in shown


def test_the_demo_says_ctrl_c_in_one_wording():
    # "watching (...; Ctrl-C to stop)" then "all N orders ... (Ctrl-C to quit)":
    # two words for the one key, as if they did two things.
    import threading

    from tracker.cli.demo import run_demo

    lines: list[str] = []
    stop = threading.Event()
    deadline = threading.Timer(120, stop.set)  # a demo that never ends ends the test
    deadline.daemon = True
    deadline.start()
    try:
        run_demo(
            orders=2, speed=0.2, every=1, duration=None, keep=None, stop=stop, echo=lines.append
        )
    finally:
        deadline.cancel()
        deadline.join(10)  # its thread ended here, not in a later test
    told = [line for line in lines if "Ctrl-C" in line]
    assert told == ["watching (times UTC; Ctrl-C to stop)..."], told


def test_a_demo_of_one_order_says_order_not_orders():
    # `demo --orders 1` printed "placed 1 orders" and "all 1 orders reached".
    import threading

    from tracker.cli.demo import run_demo

    lines: list[str] = []
    stop = threading.Event()
    deadline = threading.Timer(120, stop.set)  # a demo that never ends ends the test
    deadline.daemon = True
    deadline.start()
    try:
        run_demo(
            orders=1, speed=0.2, every=1, duration=None, keep=None, stop=stop, echo=lines.append
        )
    finally:
        deadline.cancel()
        deadline.join(10)  # its thread ended here, not in a later test
    (placed,) = [line for line in lines if line.startswith("placed ")]
    assert re.fullmatch(r"placed 1 order: \d+", placed), placed
    assert "the order reached a final status: nothing more to show, the demo ends" in lines
    assert " 1 orders" not in "\n".join(lines)


def test_on_a_terminal_the_demos_lines_wrap_at_their_words_and_its_commands_stay_whole(
    tmp_path, monkeypatch
):
    # A Completed line with over-delivery ran to 85 columns: an 80-column
    # terminal broke it inside a word. Its timed lines now wrap at their words
    # under the time; the commands it names are never broken (pasted whole).
    from tracker.cli import screen as screen_module

    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    keep = tmp_path / "kept-demo-folder-with-a-long-enough-name"
    output = _demo("--orders", "3", "--duration", "4", "--keep", str(keep))
    lines = output.splitlines()
    timed = [i for i, line in enumerate(lines) if re.match(r"\d\d:\d\d:\d\d  ", line)]
    assert timed and all(len(lines[i]) <= 50 for i in timed), output
    wrapped = [i for i in timed if i + 1 < len(lines) and lines[i + 1].startswith(" " * 10)]
    assert wrapped, output  # some lines went past 50 columns and were wrapped
    commands = [line for line in lines if "smm-tracker " in line]
    assert all(str(keep) in line or "take --database" in line for line in commands), commands
    assert any(len(line) > 50 for line in commands)  # whole, though wider than the screen


def test_on_an_80_column_terminal_the_demos_first_lines_fit(monkeypatch, tmp_path):
    # "simulated panel at URL; database /tmp/smm-tracker-demo-XXXXXXXX/demo.db"
    # ran to ~97 columns: the terminal broke the path of `make demo`'s first line.
    from tracker.cli import screen as screen_module

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")  # where `make demo` puts it
    lines = _demo("--orders", "1", "--duration", "2").splitlines()
    assert re.fullmatch(r"simulated panel at http://127\.0\.0\.1:\d+/api/v2", lines[0]), lines
    assert re.fullmatch(r"database /tmp/smm-tracker-demo-\w+/demo\.db", lines[1]), lines
    assert all(len(line) <= 80 for line in lines), lines


# `demo --orders 2 ARGS...` on a panel refusing every order (nothing to show),
# the SIGNUM (0: none) sent as it asks for the first.
REFUSED = """
import os
from tracker.errors import PanelError
from tracker.panel import client
def add(self, *args, **kwargs):
    if {signum}:
        os.kill(os.getpid(), {signum})
    raise PanelError("this service is disabled", panel="demo", action="add")
client.PanelClient.add = add
from tracker.cli.main import main
main(["demo", "--orders", "2", *{args!r}], prog_name="smm-tracker")
"""


def _refused(tmp_path, signum: int, *args: str, timeout: float = 120):
    import os
    import subprocess
    import sys

    from simconfig import SOURCE

    return subprocess.run(
        [sys.executable, "-c", REFUSED.format(signum=signum, args=list(args))],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=timeout,
    )


def test_a_demo_stopped_before_any_status_change_exits_0(tmp_path):
    # A demo the user stopped exited 1 when no status change had been shown
    # yet (README: a demo stopped exits 0), with --duration or without.
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        for args in ((), ("--duration", "600")):
            done = _refused(tmp_path, int(signum), *args)
            assert done.returncode == 0, (signum, args, done.stdout, done.stderr)
            assert done.stderr == "", (signum, args)
            assert "placed no orders" in done.stdout
            assert "final: no orders of this run" in done.stdout
            assert "placed 0 orders" not in done.stdout


def test_a_demo_that_placed_no_order_ends_at_once_says_why_and_exits_1(tmp_path):
    # Every add refused: without --duration it watched nothing until Ctrl-C;
    # with one, it watched nothing for all of it, then said "no status change".
    for args in ((), ("--duration", "600")):
        done = _refused(tmp_path, 0, *args, timeout=60)  # before: killed here
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr == (
            "smm-tracker: no order placed on the simulated panel, nothing to watch "
            "(see the lines above)\n"
        )
        assert "could not place order 1: demo: add: this service is disabled" in done.stdout
        assert "placed no orders" in done.stdout
        assert "watching" not in done.stdout
        assert "final: no orders of this run" in done.stdout


def test_a_demo_with_a_duration_ends_once_every_order_is_final_and_its_timer_with_it():
    # --duration 600 ran the whole 600 s after "all 2 orders reached a final
    # status", showing nothing more; now it ends there, as without --duration,
    # and its timer's thread is not left waiting.
    import threading

    from tracker.cli.demo import run_demo

    lines: list[str] = []
    stop = threading.Event()
    deadline = threading.Timer(60, stop.set)  # before: the demo ended here, not by itself
    deadline.daemon = True
    deadline.start()
    try:
        ended = run_demo(
            orders=2, speed=0.2, every=1, duration=600, keep=None, stop=stop, echo=lines.append
        )
        timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
        assert timers == [deadline]  # the demo's own is cancelled, its thread ended
    finally:
        deadline.cancel()
        deadline.join(10)  # its thread ended here, not in a later test
    assert "all 2 orders reached a final status: nothing more to show, the demo ends" in lines
    assert ended.placed == 2 and ended.shown > 0


def test_a_key_refused_in_the_demo_names_the_demos_restart_not_systemctl(monkeypatch):
    # The demo's tracker had no manager set, so auth_failed said `systemctl
    # restart smm-tracker`: no unit runs the demo, and no config holds its key.
    import threading

    from tracker.cli import demo

    servers: list = []
    placed = demo.place_orders

    class Recorded(demo.PanelServer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            servers.append(self)

    def then_refused(*args, **kwargs):
        ids = placed(*args, **kwargs)
        servers[0].panel.key = "a-key-the-demo-does-not-have"  # its key refused from now on
        return ids

    monkeypatch.setattr(demo, "PanelServer", Recorded)
    monkeypatch.setattr(demo, "place_orders", then_refused)
    lines: list[str] = []
    demo.run_demo(
        orders=1,
        speed=0.5,
        every=1,
        duration=5,
        keep=None,
        stop=threading.Event(),
        echo=lines.append,
    )
    (alert,) = [line for line in lines if "refused the API key" in line]
    assert alert.endswith(
        "the demo makes up its key and its simulated panel's at its start: stop it (Ctrl-C) "
        "and start `smm-tracker demo` again."
    ), alert
    assert "systemctl" not in alert
