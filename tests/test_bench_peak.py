"""The benchmarks measure the tracker's own memory, not the driver's."""

from __future__ import annotations

import json
import resource
import subprocess
import sys


def test_a_child_started_through_bench_peak_reports_its_own_peak(tmp_path):
    # This process grows by 200 MB first: a child it started directly would
    # report (ru_maxrss) this process's peak as its own.
    ballast = b"\x01" * (200 * 1024 * 1024)  # every page written
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = tmp_path / "figures.json"
    code = subprocess.call(
        [sys.executable, "-m", "bench.peak", str(out), "--", sys.executable, "-c", "pass"]
    )
    figures = json.loads(out.read_text())
    del ballast
    assert code == 0
    assert own > 200
    assert 0 < figures["peak_rss_mb"] < 100  # an empty interpreter: ~10 MB
    assert figures["cpu_s"] >= 0 and figures["wall_s"] > 0


def test_bench_peak_passes_the_exit_status_on(tmp_path):
    out = tmp_path / "figures.json"
    command = [sys.executable, "-c", "raise SystemExit(3)"]
    assert subprocess.call([sys.executable, "-m", "bench.peak", str(out), "--", *command]) == 3
