"""`doctor` after the key is fixed: the last run left ``auth_failed`` open,
but doctor's own balance call, with the key set now, was answered. Its line
said "the API key is refused since ...: fix the key ..." right under "ok
panel sim: ... answers": told to fix a key that works. It says the key was
refused and is accepted now, taken by a reload or the next run; gone once a
run answers. Through the real CLI in-process against the simulated panel."""

from __future__ import annotations

from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Fixed4Doctor7Qw"


def _warned(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("warn panel sim")]


def test_a_key_fixed_since_the_last_run_is_said_accepted(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url))
        [order] = panel.seed_orders(1, status="In progress")
        assert cli("track", str(order)).exit_code == 0
        monkeypatch.setenv("SIM_KEY", "sim-key-Wrong0ne2Typo")
        assert cli("run", "--once").exit_code == 1  # the key refused: auth_failed
        refused = cli("doctor")
        assert refused.exit_code == 1
        assert _warned(refused.output) == []  # one line, the FAIL line, says the refused key
        [line] = [x for x in refused.output.splitlines() if "panels[0].key_env" in x]
        assert line.startswith("FAIL panel sim:") and "the API key is refused since 20" in line

        monkeypatch.setenv("SIM_KEY", KEY)  # fixed
        doctor = cli("doctor")
        assert doctor.exit_code == 0, doctor.output
        assert "ok   panel sim: key: environment variable SIM_KEY; answers" in doctor.output
        [line] = _warned(doctor.output)
        assert line.startswith("warn panel sim: the API key was refused since 20")
        assert "the key set now is accepted" in line
        # a variable: the daemon's environment is its start's, so a restart, not a
        # reload; no unit installed: of the `run`, not systemctl
        assert "a restart of `smm-tracker run` where it runs, from a shell" in line
        assert "systemctl" not in line and "reload" not in line
        assert "fix the key" not in line and "is refused" not in line

        assert cli("run", "--once").exit_code == 0  # the next run takes it: no line
        assert _warned(cli("doctor").output) == []
    finally:
        server.stop()
