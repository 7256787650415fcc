"""`add` below (or above) a service's range before the first services sync:
the panel's refusal was all it said (`neworder.error.min_quantity`), the
local range check having nothing to go by. When the refusal reads as the
range's and no service is stored yet, a hint names `services --refresh`,
after which `add` checks the range before sending."""

from __future__ import annotations

import pytest
from simconfig import cli_in, sim_config

from tracker.cli.add_checks import QUANTITY_BOUND
from tracker.sim.catalogue import SERVICE_FOLLOWERS
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Unsynced7Bounds4"
LINK = "https://instagram.com/p/abc"
HINT = (
    "; no service of sim synced yet: smm-tracker services --refresh lists each service's "
    "minimum and maximum, which add then checks before sending\n"
)


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=4, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"')
    yield panel, cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    server.stop()


@pytest.mark.parametrize("quantity", ["5", "99999999"])
def test_a_refused_quantity_before_any_sync_names_services_refresh(sim, quantity):
    panel, cli = sim
    args = ["--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", quantity]
    result = cli("add", *args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("smm-tracker: sim: add: ")
    assert "no order placed" in result.stderr and result.stderr.endswith(HINT)
    assert result.stderr.count("\n") == 1  # one line
    assert panel.calls["add"] == 1
    # As the hint says: synced, the same add is refused before anything is sent.
    assert cli("services", "--refresh").exit_code == 0
    again = cli("add", *args)
    assert again.exit_code == 2 and "outside service" in again.stderr
    assert panel.calls["add"] == 1


def test_other_refusals_get_no_such_hint(sim):
    panel, cli = sim
    result = cli("add", "--service", "999", "--link", LINK, "--quantity", "100")
    assert result.exit_code == 1, result.output
    assert "services --refresh lists" not in result.stderr


@pytest.mark.parametrize(
    ("words", "bound"),
    [
        ("neworder.error.min_quantity", True),
        ("Quantity less than minimal 100", True),
        ("Minimum quantity for this service is 50", True),
        ("Quantity must be between 100 and 5000", True),
        ("Max quantity: 1000", True),
        ("Not enough funds", False),
        ("Incorrect service ID", False),
        ("Quantity should be a multiple of 10", False),
        ("Maximum 1 order per link", False),
    ],
)
def test_the_words_of_a_quantity_out_of_range(words, bound):
    assert (QUANTITY_BOUND.search(words) is not None) is bound
