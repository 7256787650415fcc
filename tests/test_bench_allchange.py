"""The bench's all-change workload relies on the simulated panel moving every
order it re-pins, status and remains both."""

import subprocess
import sys
from pathlib import Path

from bench.allchange import FLIP
from tracker.sim.server import SimulatedPanel


def test_each_flip_changes_every_orders_status_and_remains() -> None:
    panel = SimulatedPanel(key="k", quirks=True)
    ids = panel.seed_orders(50, status="Pending")
    ids = range(ids[0], ids[-1] + 1)
    status = "Pending"
    before = {i: panel.order(i) for i in ids}
    for _ in range(3):
        status = FLIP[status]
        panel.pin_orders(ids, status)
        after = {i: panel.order(i) for i in ids}
        for i in ids:
            assert after[i].status == status != before[i].status
            remains = (
                after[i].quantity - after[i].delivered,
                before[i].quantity - before[i].delivered,
            )
            assert remains[0] != remains[1]
        before = after


def test_out_naming_a_file_is_refused_in_one_line_before_the_run(tmp_path: Path) -> None:
    """`--out` is a directory for the results: a file there is refused at
    once (exit 2, one line naming it), not met by a traceback after the run."""
    taken = tmp_path / "results.json"
    taken.write_text("{}\n")
    for module in ("bench.allchange", "bench"):
        done = subprocess.run(
            [sys.executable, "-m", module, "--out", str(taken), "--sizes", "10"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parent.parent,
        )
        assert done.returncode == 2, (module, done.stderr)
        assert "Traceback" not in done.stderr
        assert f"{taken} is a file: give a directory for the results" in done.stderr
        assert taken.read_text() == "{}\n"  # nothing written over it
