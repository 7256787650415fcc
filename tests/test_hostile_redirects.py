"""A panel answering every call with a 307 or 308 to another host, through
the real CLI on loopback: both keep the method and the body, so a client
following them POSTs the form, the API key in it, to wherever the
``Location`` points (a panel's domain lapsed and parked, a hostile proxy).

Pins what no other test did: no call follows one (the other host gets no
request at all, from any command that calls the panel), each is said as
the redirect it is, and an ``add`` so answered is an unknown outcome (the
script may have run before redirecting), its key nowhere in what is shown
or stored."""

from __future__ import annotations

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Redirected8Nv"
COMMANDS = [
    ["run", "--once", "--all"],
    ["services", "--refresh"],
    ["doctor"],
    ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"],
    ["refill", "6", "--force"],
    ["cancel", "--yes", "6"],
]


@pytest.mark.parametrize("code", [307, 308])
def test_no_call_follows_a_redirect_that_keeps_the_body_to_another_host(
    tmp_path, monkeypatch, code
):
    with HostileServer(lambda form: json_reply({"6": {"status": "Completed"}})) as other:
        elsewhere = other.url.replace("127.0.0.1", "localhost")
        moved = Reply(b"", code, {"Location": elsewhere})
        with HostileServer(lambda form: moved) as panel:
            config = sim_config(panel.url, panel='timeout = "5s"\nretries = 1')
            cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
            assert cli("track", "6").exit_code == 0
            results = [cli(*command) for command in COMMANDS]
            asked = len(panel.requests)
        reached = list(other.requests)
    assert reached == []  # never followed: the key went to the panel's URL alone
    assert asked >= len(COMMANDS)
    for command, result in zip(COMMANDS, results, strict=True):
        assert result.exit_code != 0, (command, result.output)
        assert "Traceback" not in result.output
        assert f"HTTP {code}" in result.output and f"moved to {elsewhere}" in result.output
        assert KEY not in result.output
    assert "outcome unknown" in results[3].output  # add: the script may have run
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("*.db*"))
    assert KEY.encode() not in stored
