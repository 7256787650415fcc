"""`services` after a sync that listed no service (the panel answered [] or
"No services available"): an empty catalogue, or a key that sees none, told
apart from a catalogue never synced, through the real CLI on loopback."""

from __future__ import annotations

import re

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "listed-none-key-Qw7Er4Ty"
LISTED = [{"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "refill": True}]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00"


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (answers, cli, asked): what the panel answers per action, the
    CLI, and the actions asked, in order."""
    asked: list[str] = []  # the actions, in the order asked
    answers: dict[str, Reply] = {
        "services": json_reply([]),
        "balance": json_reply({"balance": "12.50", "currency": "USD"}),
    }

    def respond(form: dict[str, str]) -> Reply:
        asked.append(form.get("action", ""))
        return answers.get(form.get("action", ""), json_reply({"error": "Incorrect request"}))

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield answers, cli, asked
    server.stop()


def test_services_after_an_empty_catalogue_was_synced_says_the_panel_listed_none(panel):
    # The daemon (here `run --once`) synced an empty list; `services` said "no
    # services stored yet (the daemon syncs them; or pass --refresh)", as if
    # no sync had run: the user waited for one that had come and gone.
    _answers, cli, _asked = panel
    ran = cli("run", "--once")
    assert ran.exit_code == 0, ran.output
    shown = cli("services")
    assert shown.exit_code == 0 and shown.stdout == ""
    assert re.fullmatch(
        f"no services: sim listed none at its last sync \\({STAMP}\\): its catalogue "
        "is empty, or its API key sees no services\n",
        shown.stderr,
    ), shown.stderr


def test_run_once_asks_an_empty_catalogue_once(panel):
    # The refill round, finding no service stored, synced the catalogue again
    # after the catalogue job's sync had listed none: two `services` calls a
    # run (the daemon's every refill round one more, for the same empty list).
    _answers, cli, asked = panel
    for _ in range(2):  # each run its catalogue job's sync, and no other
        asked.clear()
        ran = cli("run", "--once")
        assert ran.exit_code == 0, ran.output
        assert asked.count("services") == 1, asked


def test_a_catalogue_listed_before_an_empty_sync_is_shown_with_a_note(panel):
    answers, cli, _asked = panel
    answers["services"] = json_reply(LISTED)
    assert cli("services", "--refresh").exit_code == 0
    answers["services"] = json_reply({"error": "No services available"})
    refreshed = cli("services", "--refresh")
    assert refreshed.exit_code == 0 and "Followers" in refreshed.stdout
    assert re.fullmatch(
        f"note: sim listed no services at its last sync \\({STAMP}\\): the services "
        "shown are those it listed before\n",
        refreshed.stderr,
    ), refreshed.stderr
    answers["services"] = json_reply(LISTED)  # listed again: no note
    again = cli("services", "--refresh")
    assert again.exit_code == 0 and "Followers" in again.stdout and again.stderr == ""


def test_every_empty_sync_in_a_row_is_kept_until_one_lists_a_service(tmp_path):
    from datetime import UTC, datetime, timedelta

    from tracker.cli.services import _listed_none
    from tracker.store.catalogue import listed_none, save_services
    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db")
    first = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
    save_services(store, "main", [], first)
    save_services(store, "main", [], first + timedelta(hours=1))
    empty = listed_none(store)
    assert empty == {
        "main": {"since": "2026-12-06T01:00:00+00:00", "last": "2026-12-06T02:00:00+00:00"}
    }
    assert _listed_none(empty, set(), None) == [
        (
            "main",
            "at its last sync (2026-12-06T02:00:00+00:00, and at every sync since "
            "2026-12-06T01:00:00+00:00): its catalogue is empty, or its API key sees no services",
        )
    ]
    assert listed_none(store, "other") == {}
    store.close()


def test_empty_syncs_within_the_minute_shown_on_a_terminal_read_as_one():
    # On a terminal, where moments show the minute: "(10:51 UTC, and at every
    # sync since 10:51 UTC)" for a run --once and a services --refresh 5 s apart.
    from datetime import UTC, datetime

    from tracker.cli.screen import Screen
    from tracker.cli.services import _listed_none

    screen = Screen(datetime(2026, 12, 6, 11, 0, tzinfo=UTC))
    empty = {"main": {"since": "2026-12-06T10:51:00+00:00", "last": "2026-12-06T10:51:05+00:00"}}
    kept = "its catalogue is empty, or its API key sees no services"
    assert _listed_none(empty, set(), screen) == [("main", f"at its last sync (10:51 UTC): {kept}")]
    empty["main"]["since"] = "2026-12-06T10:40:00+00:00"  # minutes apart: said
    assert _listed_none(empty, set(), screen) == [
        ("main", f"at its last sync (10:51 UTC, and at every sync since 10:40 UTC): {kept}")
    ]
    assert _listed_none(empty, set(), None)[0][1].startswith(  # piped: to the second
        "at its last sync (2026-12-06T10:51:05+00:00, and at every sync since "
        "2026-12-06T10:40:00+00:00)"
    )
