"""What the automation tests against the simulated panel share: a re-order
config, the `automation` command's "today" on the world's clock, and one run
of the automation job (tests/refill_world.py's World)."""

from __future__ import annotations

import pytest
from refill_world import World

REORDER = "reorder = true\nreorder_services = [1]\ndaily_cap = 1.0\n"


@pytest.fixture(autouse=True)
def cli_today(monkeypatch, clock):
    """The `automation` command's "today" is the world's."""
    monkeypatch.setattr("tracker.cli.automation.utcnow", clock)


def run(w: World) -> bool:
    return w.jobs["automation:sim"].run()
