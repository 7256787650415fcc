"""A money amount in a log line reads as money: a number in JSON lines (as
``--json`` writes amounts), its digits in console lines, never the repr
``Decimal('0.12150')`` (``reorder_dry_run``'s ``estimated_cost`` did)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import sys
from decimal import Decimal
import structlog
from tracker.service.logs import configure
configure("info", sys.argv[1], stream=sys.stdout)
structlog.get_logger("tracker.test").info("reorder_dry_run", estimated_cost=Decimal("0.12150"))
"""


def logged(fmt: str) -> str:
    """Run SCRIPT in a child with the log format given; return its line."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, fmt], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_json_line_carries_an_amount_as_a_number():
    line = json.loads(logged("json"))
    assert line["estimated_cost"] == 0.1215


def test_a_console_line_carries_an_amount_as_its_digits():
    line = logged("console")
    assert "estimated_cost=0.12150" in line
    assert "Decimal" not in line
