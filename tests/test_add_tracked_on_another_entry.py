"""An ``add`` on one panel entry answered with an order ID another entry for
the same panel (the same url, another name: another account on it) tracks
already: outcome unknown, naming that entry, as an ID tracked under the
same name is (tests/test_cli_add_answers.py).

One panel numbers all its orders in one series, whichever account places
them: the ID is no proof of a new order. It was tracked as a new order under
the second name, a second row for one real order, its status asked twice.
Another panel (another url) numbers its own: its IDs may overlap, tracked
as before. Through the real CLI and a scripted panel on loopback.
"""

from __future__ import annotations

import sqlite3

import pytest
from hostile import HostileServer, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in

UNKNOWN = "outcome unknown — check the panel before placing it again"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


def _config(url: str, other_url: str) -> str:
    return f"""
[database]
path = "t.db"
[[panels]]
name = "main"
url = "{url}"
key_env = "MAIN_KEY"
timeout = "5s"
[[panels]]
name = "second"
url = "{other_url}"
key_env = "SECOND_KEY"
timeout = "5s"
"""


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return cli(other_url): the real CLI with "main" at the scripted
    panel's url and "second" at ``other_url`` (a format of the url); every
    ``add`` is answered order 23501."""
    server = HostileServer(lambda form: json_reply({"order": 23501})).start()
    env = {"MAIN_KEY": "main-key-Hy5Gt7Fr9De3", "SECOND_KEY": "second-key-Sw2Aq4Zx6Cv8"}

    def make(other_url: str):
        config = _config(server.url, other_url.format(url=server.url))
        return cli_in(tmp_path, monkeypatch, config, env=env)

    yield make
    server.stop()


def _rows(tmp_path) -> list[tuple[str, int]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute("SELECT panel, order_id FROM orders ORDER BY panel"))


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("other_url", ["{url}", "{url}/"], ids=["same", "slash"])
def test_an_add_answered_an_id_another_entry_of_the_panel_tracks_is_outcome_unknown(
    panel, tmp_path, other_url
):
    cli = panel(other_url)
    assert cli("track", "--panel", "main", "23501").exit_code == 0
    result = cli(*ADD, "--panel", "second")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"smm-tracker: second: add: {UNKNOWN} (the panel answered order 23501, "
        "which is already tracked on main, the same panel's url)"
    )
    warned = [line for line in result.stderr.splitlines() if "add_answer_already_tracked" in line]
    assert len(warned) == 1 and "tracked_on=main" in warned[0], result.stderr
    assert _rows(tmp_path) == [("main", 23501)]  # one row for one order


def test_an_add_answered_an_id_another_panel_tracks_is_tracked(panel, tmp_path):
    # Another url: another panel numbering its own orders.
    cli = panel("{url}/other")
    assert cli("track", "--panel", "main", "23501").exit_code == 0
    result = cli(*ADD, "--panel", "second")
    assert result.exit_code == 0, result.output
    assert result.stdout == "23501\n"
    assert _rows(tmp_path) == [("main", 23501), ("second", 23501)]
