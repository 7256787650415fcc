"""`add` below (or above) a service's range before the first services sync:
the panel's refusal was all it said (`neworder.error.min_quantity`), the
local range check having nothing to go by. When the refusal reads as the
range's and no service is stored yet, a hint names `services --refresh`,
after which `add` checks the range before sending. A service ID the panel
refuses (a typo: `Incorrect service ID`) names where the services are
listed, and says it is not among those synced."""

from __future__ import annotations

import pytest
from simconfig import cli_in, sim_config

from tracker.cli.add_checks import QUANTITY_BOUND
from tracker.sim.catalogue import SERVICE_FOLLOWERS, SERVICE_VIEWS
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


def test_a_refused_service_id_names_where_the_services_are_listed(sim):
    panel, cli = sim
    args = ["add", "--service", "999", "--link", LINK, "--quantity", "100"]
    unsynced = cli(*args)
    assert unsynced.exit_code == 1, unsynced.output
    assert unsynced.stderr.endswith(
        "; smm-tracker services --refresh lists sim's services and their IDs\n"
    )
    assert cli("services", "--refresh").exit_code == 0
    synced = cli(*args)
    assert synced.exit_code == 1, synced.output
    assert synced.stderr.endswith(
        "; service 999 is not among sim's services as last synced (smm-tracker services "
        "lists them, --refresh updates them)\n"
    )
    assert synced.stderr.count("\n") == 1 and panel.calls["add"] == 2


def test_other_refusals_get_no_such_hint(sim):
    panel, cli = sim
    args = ["--service", str(SERVICE_VIEWS), "--link", LINK, "--quantity", "1000"]
    result = cli("add", *args, "--runs", "1", "--interval", "5")  # the panel: Incorrect request
    assert result.exit_code == 1, result.output
    assert result.stderr.endswith("; no order placed\n")


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
