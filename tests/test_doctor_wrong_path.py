"""`doctor` against a URL whose path serves no API (`/api/v3` for `/api/v2`,
the bare host `/`): the web server's own 404 "Not Found" was said alone,
`balance call failed: HTTP 404 from ...: Not Found`, where `add`, `refill`
and `cancel` say what to check. It says it too: `; no API at this URL's
path — check panels[0].url`, as `names_wrong_url` reads it (a 404 in the
panel's own words, how some refuse a key, is not). Through the real CLI
in-process against the simulated panel."""

from __future__ import annotations

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-WrongPath3Lm"
HINT = "; no API at this URL's path — check panels[0].url"
# Neither path is /api/v2: said after it (tests/test_doctor_api_path.py).
ENDS = " (an API v2 URL most often ends in /api/v2, as the panel's API page gives it)"


@pytest.mark.parametrize("path", ["/api/v3", "/"])
def test_a_path_serving_no_api_names_the_url_to_check(tmp_path, monkeypatch, path):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        url = server.url.removesuffix("/api/v2") + path
        cli = cli_in(tmp_path, monkeypatch, sim_config(url), env={"SIM_KEY": KEY})
        doctor = cli("doctor")
        assert doctor.exit_code == 1
        [line] = [x for x in doctor.stdout.splitlines() if x.startswith("FAIL panel sim")]
        assert line == (
            "FAIL panel sim: key: environment variable SIM_KEY; balance call failed: "
            f"HTTP 404 from {url}: Not Found{HINT}{ENDS}"
        )
        assert KEY not in doctor.output
    finally:
        server.stop()


def test_the_right_path_gets_no_hint(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        doctor = cli("doctor")
        assert doctor.exit_code == 0 and HINT not in doctor.output
    finally:
        server.stop()
