"""`doctor` against a panel URL that is the panel's web site, not its API
(the home page `https://panel.example`, `/api`, `/api/v3`): its line says
where an API v2 URL most often ends, `/api/v2`, after what to check.

newuser197: a newcomer pasting the panel's address from the browser was
told `this URL answers a web page, not the API — check panels[0].url` (or
`no API at this URL's path`), and had nothing to check it against. Through
the real CLI in-process, on loopback: the simulated panel for the 404s, a
web server answering its home page for the rest."""

from __future__ import annotations

import pytest
from hostile import HostileServer, Reply
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-ApiPath7Qx"
ENDS = " (an API v2 URL most often ends in /api/v2, as the panel's API page gives it)"


# A web server's home page, answered to every POST with a 200.
HOME = Reply(
    b"<!DOCTYPE html><html><head><title>Best SMM Panel</title></head><body></body></html>",
    200,
    {"Content-Type": "text/html; charset=UTF-8"},
)


@pytest.fixture
def home_page():
    served = HostileServer(lambda form: HOME).start()
    yield served.url.removesuffix("/api/v2")
    served.stop()


def _panel_line(cli) -> str:
    doctor = cli("doctor")
    assert doctor.exit_code == 1, doctor.output
    [line] = [x for x in doctor.stdout.splitlines() if x.startswith("FAIL panel sim")]
    assert KEY not in doctor.output
    return line


@pytest.mark.parametrize("path", ["", "/", "/api"])
def test_a_web_page_at_the_url_says_where_an_api_url_ends(tmp_path, monkeypatch, home_page, path):
    cli = cli_in(tmp_path, monkeypatch, sim_config(home_page + path), env={"SIM_KEY": KEY})
    line = _panel_line(cli)
    assert line.endswith(f"this URL answers a web page, not the API — check panels[0].url{ENDS}")


def test_a_web_page_at_an_api_v2_url_says_no_more(tmp_path, monkeypatch, home_page):
    cli = cli_in(tmp_path, monkeypatch, sim_config(home_page + "/api/v2/"), env={"SIM_KEY": KEY})
    line = _panel_line(cli)
    assert line.endswith("this URL answers a web page, not the API — check panels[0].url"), line


@pytest.mark.parametrize("path", ["/api/v3", "/"])
def test_no_api_at_the_path_says_where_an_api_url_ends(tmp_path, monkeypatch, path):
    server = PanelServer(SimulatedPanel(key=KEY, seed=5, speed=600.0)).start()
    try:
        url = server.url.removesuffix("/api/v2") + path
        cli = cli_in(tmp_path, monkeypatch, sim_config(url), env={"SIM_KEY": KEY})
        line = _panel_line(cli)
        assert line.endswith(f"no API at this URL's path — check panels[0].url{ENDS}"), line
    finally:
        server.stop()
