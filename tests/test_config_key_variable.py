"""A shell's variable written where the config wants a key or its variable's
name (`key = "$SMM_API_KEY"`, `key_env = "${SMM_API_KEY}"`): the config
expands no variables. `key = "$NAME"` was sent to the panel as the key
itself ("Invalid API key", an auth_failed alert, the jobs paused), and
`key_env = "$NAME"` said only "must be the name of an environment
variable". Each is a config problem naming what to write, exit 2, nothing
sent. Through the real CLI in-process against the simulated panel."""

from __future__ import annotations

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Dollar4Sign2Qx"


INLINE = "at 'panels[0].key': the config expands no variables: write key_env = \"SIM_KEY\" instead"
NAMED = 'at \'panels[0].key_env\': must be the variable\'s name, without "$": key_env = "SIM_KEY"'


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('key = "$SIM_KEY"', INLINE),
        ('key = "${SIM_KEY}"', INLINE),
        ('key_env = "$SIM_KEY"', NAMED),
        ('key_env = "${SIM_KEY}"', NAMED),
    ],
)
def test_a_variable_reference_is_a_config_problem_naming_the_fix(tmp_path, monkeypatch, line, said):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        config = sim_config(server.url).replace('key_env = "SIM_KEY"', line)
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        result = cli("run", "--once")
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert result.stderr == f"smm-tracker: config {tmp_path / 'tracker.toml'}: {said}\n"
        assert KEY not in result.output
        assert not (tmp_path / "t.db").exists()  # refused before the first call
    finally:
        server.stop()
