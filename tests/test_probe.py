"""The drop probe: a real executable written into tmp_path, run without a shell."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from tracker.jobs.probe import ProbeError, ProbeRequest, ProbeStopped, parse_count, run_probe

EXAMPLE = Path(__file__).parent.parent / "examples" / "count-probe.py"
REQUEST = ProbeRequest("main", 23501, "https://instagram.com/a b;$(reboot)", 1000, 500)
KEY = "k3y-SECRET-0123456789"


def script(tmp_path: Path, body: str, name: str = "probe") -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport os, sys, time\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_the_probe_gets_the_order_as_arguments_and_environment(tmp_path):
    probe = script(
        tmp_path,
        "import json\n"
        "open(os.environ['OUT'], 'w').write(json.dumps({'argv': sys.argv[1:], "
        "'env': {k: v for k, v in os.environ.items() if k.startswith('SMM_') or k == 'API'}}))\n"
        "print(' 1234 ')",
    )
    out = tmp_path / "seen.json"
    env = {"OUT": str(out), "API": KEY, "PATH": os.environ.get("PATH", "")}
    count = run_probe(probe, REQUEST, timeout=10, secrets=[KEY], base_env=env)
    assert count == 1234
    seen = json.loads(out.read_text())
    # argv, not a shell: the link arrives verbatim, metacharacters and all.
    assert seen["argv"] == ["https://instagram.com/a b;$(reboot)", "1000", "500"]
    assert seen["env"] == {
        "SMM_PANEL": "main",
        "SMM_ORDER_ID": "23501",
        "SMM_LINK": "https://instagram.com/a b;$(reboot)",
        "SMM_START_COUNT": "1000",
        "SMM_QUANTITY": "500",
    }  # and no variable holding the API key


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sys.stderr.write('login wall\\n'); sys.exit(3)", "exited with status 3: login wall"),
        ("print('about 1200')", "printed 'about 1200', not one integer"),
        ("pass", "printed 'nothing', not one integer"),
        ("print(-5)", "negative count"),
    ],
)
def test_a_failing_probe_raises_one_line_naming_the_problem(tmp_path, body, message):
    with pytest.raises(ProbeError, match=message.replace("(", r"\(")) as caught:
        run_probe(script(tmp_path, body), REQUEST, timeout=10)
    assert "\n" not in str(caught.value)


def test_a_probe_that_hangs_is_killed_with_what_it_started(tmp_path):
    # The child keeps stdout open: without killing the process group the
    # tracker would wait for it long after the timeout.
    body = (
        "import subprocess\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)"
    )
    with pytest.raises(ProbeError, match="no answer within 0.3s"):
        run_probe(script(tmp_path, body), REQUEST, timeout=0.3)


def test_a_missing_probe_is_a_probe_error(tmp_path):
    with pytest.raises(ProbeError, match="cannot run"):
        run_probe(str(tmp_path / "nope"), REQUEST, timeout=1)


def test_parse_count_accepts_one_integer_only():
    assert parse_count(b"42\n") == 42
    with pytest.raises(ProbeError):
        parse_count(b"42\n43\n")


def test_the_shipped_example_probe_follows_the_contract(tmp_path):
    counts = tmp_path / "counts.json"
    counts.write_text(json.dumps({REQUEST.link: 1490}))
    env = {"SMM_COUNTS_FILE": str(counts), "PATH": os.environ.get("PATH", "")}
    assert run_probe(str(EXAMPLE), REQUEST, timeout=10, base_env=env) == 1490
    other = ProbeRequest("main", 1, "https://unknown.example/x", 1, 1)
    with pytest.raises(ProbeError, match="no count for https://unknown.example/x"):
        run_probe(str(EXAMPLE), other, timeout=10, base_env=env)


def test_a_stop_kills_a_running_probe_at_once(tmp_path):
    # command_timeout may be up to an hour; a stop must not wait for it.
    body = (
        "import subprocess\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)"
    )
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(ProbeStopped, match="stopping"):
        run_probe(script(tmp_path, body), REQUEST, timeout=3600, stop=stop)
    assert time.monotonic() - started < 30  # far below the hour; only a hang reaches it


def test_a_probe_that_answers_is_read_whatever_the_stop_event_says_before(tmp_path):
    count = run_probe(
        script(tmp_path, "time.sleep(0.5); print(42)"), REQUEST, timeout=10, stop=threading.Event()
    )
    assert count == 42
