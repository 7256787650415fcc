"""Answers that are JSON of the wrong shape, through the real CLI on loopback:
what a user sees of them (the command's words and exit code, what stays
stored)."""

from __future__ import annotations

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Shapes8841"
LISTED = [{"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "refill": True}]
# A panel whose API names the ID "id": every item read past, none a service.
RENAMED = [{"id": 1, "name": "Followers", "type": "Default", "rate": "0.90", "refill": True}]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (set_services, cli): what `services` answers, and the CLI."""
    answers: dict[str, Reply] = {"services": json_reply(LISTED)}

    def respond(form: dict[str, str]) -> Reply:
        return answers.get(form.get("action", ""), json_reply({"error": "Incorrect request"}))

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    def set_services(reply: Reply) -> None:
        answers["services"] = reply

    yield set_services, cli
    server.stop()


def test_a_services_list_of_items_none_a_service_is_an_error_not_an_empty_catalogue(panel):
    set_services, cli = panel
    set_services(json_reply(RENAMED))
    result = cli("services", "--refresh")
    assert result.exit_code == 1 and result.stdout == ""
    assert "sim: services: listed 1 item(s), none a service: {'id': 1, 'name'" in result.stderr
    assert "the panel lists none" not in result.stderr  # it listed one, unread


def test_a_catalogue_stored_stays_when_the_panel_lists_no_service_it_can_read(panel):
    set_services, cli = panel
    assert cli("services", "--refresh").exit_code == 0
    set_services(json_reply(RENAMED))
    result = cli("services", "--refresh")
    assert result.exit_code == 1  # it read exit 0, the table as synced before: nothing said
    assert "none a service" in result.stderr
    shown = cli("services")
    assert shown.exit_code == 0 and "Followers" in shown.stdout


def test_an_empty_list_is_still_an_empty_catalogue(panel):
    set_services, cli = panel
    set_services(json_reply([]))
    result = cli("services", "--refresh")
    assert result.exit_code == 0
    assert "no services: the panel lists none" in result.stderr
