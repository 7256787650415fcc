"""`services` writes each RATE as the tracker writes money (rules/money.py):
a tiny price 0.000012, not 1.2e-05; 0.90 and 15.00, not 0.9 and 15.0; every
decimal the panel gave, not cut to six digits. --json keeps the number."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tracker.sim.server import SERVICES, SimulatedPanel

RATES = {1: "0.000012", 2: "0.9", 3: "15", 4: "0.08011655652"}


class PricedPanel(SimulatedPanel):
    """The simulator, its first services at these prices."""

    def _services(self, form: Mapping[str, str], now: float) -> Any:
        return [{**s, "rate": RATES.get(s["service"], s["rate"])} for s in SERVICES]


def _rates(output: str) -> dict[str, str]:
    lines = output.splitlines()
    at = lines[0].index("RATE")  # columns padded to their widest cell
    return {line.split()[1]: line[at:].split()[0] for line in lines[1:]}


def test_services_writes_each_rate_as_money(world):
    w = world(panel_class=PricedPanel)
    w.sync_services()
    piped = w.cli("services")
    assert piped.exit_code == 0, piped.output
    shown = _rates(piped.stdout)
    assert [shown[str(s)] for s in RATES] == ["0.000012", "0.90", "15.00", "0.08011655652"]
    rows = {r["service"]: r for r in json.loads(w.cli("services", "--json").stdout)}
    assert rows[1]["rate"] == 0.000012  # the number, as stored
