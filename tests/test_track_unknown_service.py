"""`track --service N` with a service the panel never listed (a typo) says so
on stderr, once the panel's services were synced: it was stored in silence,
and the order's refills then went by `refill.unknown_service` (skip: none),
the report counting it under a service that does not exist. A listed service,
or none synced yet, says nothing. Through the real CLI in-process against
the simulated panel."""

from __future__ import annotations

from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Typo4Service8Kd"


def test_a_service_never_listed_is_said_once_synced(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        first, second, third = (str(i) for i in panel.seed_orders(3, status="In progress"))
        before = cli(
            "track", first, "--service", "99", "--quantity", "100"
        )  # nothing synced yet: no judge
        assert before.exit_code == 0 and before.stderr == ""

        assert cli("services", "--refresh").exit_code == 0
        typo = cli("track", second, "--service", "99", "--quantity", "100")
        assert typo.exit_code == 0  # tracked all the same: a note, not a refusal
        assert typo.stdout.splitlines()[0] == "tracking 1 new order on sim"
        assert typo.stderr.replace("\n", " ").startswith(
            "note: service 99 is not among sim's services as last synced "
            "(smm-tracker services lists them, --refresh updates them): check the ID"
        )
        listed = cli("track", third, "--service", "1", "--quantity", "100")
        assert listed.exit_code == 0 and listed.stderr == ""
    finally:
        server.stop()
