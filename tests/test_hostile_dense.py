"""Answers dense with JSON objects and arrays, within the size cap, through
the real CLI against a hostile panel on loopback.

16 MB of ``[{},{},...]`` is within a services answer's cap, and decoded it
took ~480 MB (a Python object per 3 bytes): past the unit's MemoryMax=512M,
the kernel killed the daemon at each services sync. An answer holding more
objects and arrays than one per 32 bytes is now refused before it is decoded,
in one line; a real listing, brackets in every name, is read as before.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import SOURCE, cli_in, sim_config

KEY = "hostile-key-Dense5803"
LISTED = [{"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "refill": True}]
MB = 1024 * 1024


def _dense(size: int, item: bytes = b"{},") -> bytes:
    return b"[" + item * (size // len(item)) + b"{}]"


# The CLI in a process of its own, its peak resident memory printed after it.
_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run([sys.executable, '-m', 'tracker', *sys.argv[1:]], capture_output=True)\n"
    "sys.stdout.write(done.stderr.decode())\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def test_sixteen_megabytes_of_empty_objects_are_refused_without_the_memory_they_take(tmp_path):
    body = _dense(16 * MB - 64, b'{"a":1},')  # within the 16 MB cap of `services`
    with HostileServer(lambda form: Reply(body)) as server:
        (tmp_path / "tracker.toml").write_text(
            sim_config(server.url, panel='timeout = "30s"\nretries = 0')
        )
        done = subprocess.run(
            [sys.executable, "-c", _PEAK, "services", "--refresh"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"SIM_KEY": KEY, "PYTHONPATH": SOURCE, "PATH": "/usr/bin:/bin"},
            timeout=120,
        )
    said, (code, peak_kb) = done.stdout.splitlines()[:-1], done.stdout.split()[-2:]
    # Within the unit's MemoryMax=512M with room for more panels; it took ~500 MB.
    assert int(peak_kb) < 160 * 1024, peak_kb
    assert code == "1" and "Traceback" not in done.stdout
    assert said == [
        "smm-tracker: sim: services: answered 2,097,146 JSON objects and arrays in"
        " 16,777,156 bytes, more than an answer holds (one per 32 bytes): not read, it"
        " would take many times its size in memory"
    ]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (answers, cli): what each action answers, and the CLI."""
    answers: dict[str, Reply] = {"services": json_reply(LISTED)}
    server = HostileServer(lambda form: answers[form.get("action", "")]).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    yield answers, cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    server.stop()


def test_a_dense_listing_is_one_line_and_the_catalogue_stored_stays(panel):
    answers, cli = panel
    assert cli("services", "--refresh").exit_code == 0
    answers["services"] = Reply(_dense(400_000))  # 133,335 objects in 400 kB
    result = cli("services", "--refresh")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "smm-tracker: sim: services: answered 133,335 JSON objects and arrays in 400,003"
        " bytes, more than an answer holds (one per 32 bytes): not read, it would take"
        " many times its size in memory\n"
    )
    shown = cli("services")
    assert shown.exit_code == 0 and "Followers" in shown.stdout


def test_a_listing_with_brackets_in_every_name_is_read(panel):
    answers, cli = panel
    names = "[Real] {HQ} " + "[" * 40  # brackets in its text are no objects
    listing = [{"service": i, "name": f"{names} {i}", "rate": "1"} for i in range(1, 12_001)]
    answers["services"] = Reply(json.dumps(listing).encode())
    result = cli("services", "--refresh", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 12_000
