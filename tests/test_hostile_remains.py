"""A `remains` that is no delivery figure, through the real CLI against a
scripted panel on loopback: "-99999999999", 5000 of 1000, 9e18.

Over a good remains stored, it is read as one that cannot be read: the good
one kept (it was overwritten by the nonsense), an order it ends has none.
With no good one stored (none yet, or a quantity tracked wrong) the panel's
number is stored as it sent it (``orders.remains``), but the orders listing
and ``order_overview`` show no delivered count for it (it read
"100000000999/1000"). The poll logs a warning once per order, not at every
poll of the same nonsense. Over-delivery ("-2") still counts.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

KEY = "hostile-key-Remains0dd42"
WARNING = "remains_not_a_delivery_figure"
ANSWER = {
    "5": {"status": "In progress", "remains": "-99999999999", "charge": "0.9"},
    "6": {"status": "In progress", "remains": "5000", "charge": "0.9"},
    "7": {"status": "In progress", "remains": "400", "charge": "0.9"},
    "8": {"status": "In progress", "remains": "9000000000000000000", "charge": "0.9"},
    "9": {"status": "Completed", "remains": "-2", "charge": "0.9"},
}


def respond(form: dict[str, str]) -> Reply:
    action = form.get("action")
    if action == "status":
        return json_reply({i: ANSWER[i] for i in form["orders"].split(",")})
    if action == "balance":
        return json_reply({"balance": "10", "currency": "USD"})
    if action == "services":
        return json_reply([])
    return json_reply({"error": "Incorrect request"})


def _rows(tmp_path, sql: str) -> dict[int, Any]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return dict(db.execute(sql).fetchall())


def test_a_remains_that_is_no_delivery_figure_is_kept_but_never_counted(tmp_path, monkeypatch):
    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", *ANSWER, "--quantity", "1000").exit_code == 0
        runs = [cli("run", "--once", "--all") for _ in range(2)]
        listing = cli("orders", "--all").output
    for run in runs:
        assert run.exit_code == 0, run.output
        assert "Traceback" not in run.output
    # Kept as the panel sent it: the raw answer is not lost.
    assert _rows(tmp_path, "SELECT order_id, remains FROM orders") == {
        5: -99_999_999_999,
        6: 5000,
        7: 400,
        8: 9_000_000_000_000_000_000,
        9: -2,
    }
    cells = {line.split()[1]: line.split() for line in listing.splitlines()[1:]}
    assert "600/1000" in cells["7"] and "1002/1000" in cells["9"]
    for odd in ("5", "6", "8"):
        assert not any("/1000" in cell for cell in cells[odd]), cells[odd]
    overview = _rows(tmp_path, "SELECT order_id, delivered FROM order_overview")
    assert overview == {5: None, 6: None, 7: 600, 8: None, 9: 1002}
    # One warning per order, in the first run; the second says nothing new.
    warned = [line for line in runs[0].output.splitlines() if WARNING in line]
    assert len(warned) == 3, runs[0].output
    assert any("remains=-99999999999" in line and "order=5" in line for line in warned)
    assert WARNING not in runs[1].output


@pytest.mark.parametrize("unreadable", ["garbage", None, "1e30", ""])
def test_a_final_status_without_a_readable_remains_has_none(tmp_path, monkeypatch, unreadable):
    # In progress with 100 left, then Partial with no usable remains: the 100
    # was kept, shown as 900/1000 delivered, quoted in the alert, and read
    # by the re-order rule as what to place again.
    answers = [{"status": "In progress", "remains": "100", "charge": "0.9"}]
    answers.append({"status": "Partial", "remains": unreadable, "charge": "0.5"})

    def panel(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            return json_reply({"5": answers[0]})
        return respond(form)

    with HostileServer(panel) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5", "--quantity", "1000").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        answers.pop(0)
        run = cli("run", "--once", "--all")
        listing = cli("orders", "--all").output
        alerts = cli("alerts").output
    assert run.exit_code == 0, run.output
    assert _rows(tmp_path, "SELECT order_id, remains FROM orders") == {5: None}
    last = "SELECT order_id, remains FROM transitions WHERE to_status = 'Partial'"
    assert _rows(tmp_path, last) == {5: None}
    assert "/1000" not in listing and "Partial" in listing
    assert "order #5 partial (remains ?, charge 0.50, was 0.90)" in alerts
    assert _rows(tmp_path, "SELECT order_id, delivered FROM order_overview") == {5: None}


def _answering(answers: list[dict[str, Any]]):
    """A panel answering each status call for order 5 with ``answers[0]``."""

    def panel(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            return json_reply({"5": answers[0]})
        return respond(form)

    return panel


def test_a_remains_that_is_no_delivery_figure_keeps_the_last_good_one(tmp_path, monkeypatch):
    # In progress with 400 left, then nonsense in every form: the 400 stays,
    # shown as 600/1000 delivered, until the panel says a figure again.
    answers = [{"status": "In progress", "remains": "400", "charge": "0.9"}]
    stored = []
    with HostileServer(_answering(answers)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5", "--quantity", "1000").exit_code == 0
        for remains in ["400", "-99999999999", "5000", "abc", "9000000000000000000", "300"]:
            answers[0] = {"status": "In progress", "remains": remains, "charge": "0.9"}
            run = cli("run", "--once", "--all")
            assert run.exit_code == 0, run.output
            stored.append(_rows(tmp_path, "SELECT order_id, remains FROM orders")[5])
            if remains == "5000":
                listing = cli("orders", "--all").output
                overview = _rows(tmp_path, "SELECT order_id, delivered FROM order_overview")
    assert stored == [400, 400, 400, 400, 400, 300]
    assert "600/1000" in listing and overview == {5: 600}
    # The nonsense is no change: no transition, no remains moved.
    changes = "SELECT order_id, count(*) FROM transitions GROUP BY order_id"
    assert _rows(tmp_path, changes) == {5: 1}  # first seen only


@pytest.mark.parametrize("odd", ["-5000", "5000", "-99999999999"])
def test_a_final_status_with_a_remains_that_is_no_delivery_figure_has_none(
    tmp_path, monkeypatch, odd
):
    # As an unreadable one: the 100 from before is not what was left undelivered.
    answers = [{"status": "In progress", "remains": "100", "charge": "0.9"}]
    with HostileServer(_answering(answers)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5", "--quantity", "1000").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        answers[0] = {"status": "Partial", "remains": odd, "charge": "0.5"}
        run = cli("run", "--once", "--all")
        alerts = cli("alerts").output
    assert run.exit_code == 0, run.output
    assert _rows(tmp_path, "SELECT order_id, remains FROM orders") == {5: None}
    last = "SELECT order_id, remains FROM transitions WHERE to_status = 'Partial'"
    assert _rows(tmp_path, last) == {5: None}
    assert "order #5 partial (remains ?, charge 0.50, was 0.90)" in alerts
    assert [
        line for line in run.output.splitlines() if WARNING in line and f"remains={odd}" in line
    ]


@pytest.mark.usefixtures("fresh_logs")
def test_the_daemon_warns_of_a_remains_that_is_no_figure_once_per_order(tmp_path, monkeypatch):
    # Polls of one process (the daemon's), the panel repeating the nonsense:
    # one warning, and the last good remains kept through all of them.
    from structlog.testing import capture_logs

    from tracker.clock import utcnow
    from tracker.config.model import PanelConfig, Secret
    from tracker.jobs.poll import poll_panel
    from tracker.panel.client import PanelClient
    from tracker.rules.transitions import Cadence
    from tracker.store.orders import Store

    answers = [{"status": "In progress", "remains": "400", "charge": "0.9"}]
    with HostileServer(_answering(answers)) as server:
        store = Store(tmp_path / "t.db")
        store.track("sim", [5], utcnow(), quantity=1000)
        client = PanelClient(PanelConfig(name="sim", url=server.url, key=Secret(KEY), retries=0))
        try:
            poll = dict(clock=utcnow, cadence=Cadence(every=300, max_every=3600), everything=True)
            poll_panel(store, client, **poll)
            answers[0] = {"status": "In progress", "remains": "-99999999999", "charge": "0.9"}
            with capture_logs() as logs:
                for _ in range(3):
                    poll_panel(store, client, **poll)
            remains = store.order("sim", 5)["remains"]
        finally:
            client.close()
            store.close()
    warned = [e for e in logs if e["event"] == WARNING]
    assert [(e["order"], e["remains"]) for e in warned] == [(5, -99_999_999_999)]
    assert remains == 400
