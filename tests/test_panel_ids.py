"""IDs written with leading zeros, through the real CLI and the refill job
against a scripted panel on loopback.

A refill ID is the panel's text, kept as written: "007" is stored and asked
for as "007" (read as the number, it was asked for as 7: another refill, or
none). An order ID is a number, as every panel's `status` keys it: "0078" is
order 78, and every call names 78; so is a status key " 78" or "78.0" (the
order asked, as `add` reads " 78"). A key that is no ID as panels write them
("78.5", "+78") is not the order asked for: that order is left out of the
answer, so asked again alone. In a refill or cancel answer (a key or an
item's "order"), such a name makes the order Unknown: never refilled or
canceled (" 78", "78.0" and 78.0 name order 78 there, as in a status
answer). An answer to refill=7 naming another refill is none of 7's: 7 stays
open and is asked again. A refill answer keyed by an asked order ID, its item
naming no order, is that order's.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply, text_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, request_refills_once, sim_config
from structlog.testing import capture_logs

from tracker.clock import utcnow
from tracker.config.model import PanelConfig, Secret
from tracker.errors import BadAnswerError
from tracker.jobs.refill_follow import follow_refills
from tracker.jobs.refill_requests import PanelModes
from tracker.panel import parse_refill_status
from tracker.panel.client import PanelClient
from tracker.store.orders import Store

KEY = "hostile-key-LeadingZero0"


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli); ``replies[action]`` scripts an answer."""
    replies: dict[str, Any] = {
        "balance": json_reply({"balance": "10.5"}),
        "services": json_reply([]),
    }

    def respond(form: dict[str, str]) -> Reply:
        reply = replies.get(form.get("action", ""))
        if callable(reply):  # answers by the form: orders= or order=
            return reply(form)
        return reply or json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield server, replies, cli
    server.stop()


def _rows(tmp_path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


def _sent(server, action: str) -> list[dict[str, str]]:
    return [form for form in server.requests if form.get("action") == action]


def _follow(tmp_path, url: str, modes: PanelModes | None = None) -> None:
    panel = PanelConfig(name="sim", url=url, key=Secret(KEY), timeout=5.0, retries=0)
    client = PanelClient(panel, sleep=lambda _seconds: None)
    store = Store(tmp_path / "t.db")
    try:
        follow_refills(store, client, clock=utcnow, modes=modes or PanelModes())
    finally:
        client.close()
        store.close()


def test_a_refill_id_with_leading_zeros_is_asked_for_as_the_panel_wrote_it(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5").exit_code == 0
    replies["refill"] = json_reply({"refill": "007"})
    result = cli("refill", "5")
    assert result.exit_code == 0, result.output
    assert "007" in result.output
    assert _rows(tmp_path, "SELECT refill_id, status FROM refills") == [("007", "Pending")]
    replies["refill_status"] = json_reply({"status": "Completed"})
    _follow(tmp_path, server.url)
    assert [form["refill"] for form in _sent(server, "refill_status")] == ["007"]
    assert _rows(tmp_path, "SELECT refill_id, status FROM refills") == [("007", "Completed")]


def test_a_multi_refill_keeps_each_refill_id_as_written(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    items = [{"order": 5, "refill": "007"}, {"order": 6, "refill": 7}]
    replies["refill"] = json_reply(items)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    stored = "SELECT order_id, refill_id FROM refills ORDER BY order_id"
    assert _rows(tmp_path, stored) == [(5, "007"), (6, "7")]
    # "007" and "7" both asked: an item naming 7 is refill "7", never both.
    replies["refill_status"] = json_reply(
        [{"refill": 7, "status": "Completed"}, {"refill": "007", "status": "In progress"}]
    )
    _follow(tmp_path, server.url)
    assert [form["refills"] for form in _sent(server, "refill_status")] == ["007,7"]
    stored = "SELECT refill_id, status FROM refills ORDER BY order_id"
    assert _rows(tmp_path, stored) == [("007", "In progress"), ("7", "Completed")]


def test_refill_status_answers_name_an_asked_refill_by_its_number_only_when_unambiguous():
    found = parse_refill_status.parse_refill_status_multi(["007"], {"7": {"status": "Completed"}})
    assert [(r.refill_id, r.status) for r in found] == [("007", "Completed")]
    # Two asked refills with the number 7, an answer naming "0007": neither is read.
    with pytest.raises(BadAnswerError, match="answered none of the 2 asked refills"):
        parse_refill_status.parse_refill_status_multi(
            ["07", "007"], [{"refill": "0007", "status": "Completed"}]
        )


def test_an_order_id_with_leading_zeros_is_that_number(panel, tmp_path):
    server, replies, cli = panel
    replies["add"] = json_reply({"order": "0078"})
    placed = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert placed.exit_code == 0, placed.output
    assert placed.stdout.strip() == "78"
    replies["status"] = json_reply({"0078": {"status": "In progress", "remains": "40"}})
    assert cli("run", "--once", "--all").exit_code == 0
    assert [form["orders"] for form in _sent(server, "status")] == ["78"]
    assert _rows(tmp_path, "SELECT order_id, status, remains FROM orders") == [
        (78, "In progress", 40)
    ]
    assert cli("history", "0078").exit_code == 0  # typed as the panel shows it: the same order


@pytest.mark.parametrize(
    "key", ["78.5", "+78", "7 8", "78.", "0x4E", "7_8", "78e0", "\u0667\u0668", "-78", "\u300078"]
)
@pytest.mark.parametrize("names_itself", [False, True])
def test_a_status_key_that_is_no_order_id_answers_no_order(panel, tmp_path, key, names_itself):
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    misfiled = {"status": "Completed", "remains": "0", **({"order": 78} if names_itself else {})}

    def status(form: dict[str, str]) -> Reply:
        if "orders" in form:  # read as order 78's, it was Completed and never asked again
            return json_reply({key: misfiled, "79": {"status": "Pending"}})
        return json_reply({"status": "In progress", "remains": "40"})

    replies["status"] = status
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    asked = [form.get("orders") or f"alone {form['order']}" for form in _sent(server, "status")]
    assert asked == ["78,79", "alone 78"]
    assert _rows(tmp_path, "SELECT order_id, status, remains FROM orders ORDER BY order_id") == [
        (78, "In progress", 40),
        (79, "Pending", None),
    ]


@pytest.mark.parametrize(
    "key", ["78.0", "78.00", " 78", "78 ", "78\n", "\u00a078", "78\u200b", "\ufeff78", " 78.0 "]
)
def test_a_status_key_naming_an_asked_order_with_blanks_or_a_zero_fraction_is_read(
    panel, tmp_path, key
):
    # It named no order: a panel keying every order so failed the whole call
    # ("answered none of the 2 asked IDs"), every order in it waiting.
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    answer = {key: {"status": "Completed", "remains": "0"}, key.replace("78", "79"): "Pending"}
    replies["status"] = json_reply(answer)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert [form.get("orders") or form.get("order") for form in _sent(server, "status")] == [
        "78,79"
    ]
    assert _rows(tmp_path, "SELECT order_id, status, remains FROM orders ORDER BY order_id") == [
        (78, "Completed", 0),
        (79, "Pending", None),
    ]


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        # Two keys naming 78, differently: neither read, 78 asked alone.
        ({"78": {"status": "Completed"}, " 78": {"status": "Pending"}}, "In progress"),
        ({"78.0": {"status": "Completed"}, "78 ": {"status": "Canceled"}}, "In progress"),
        # Alike: read once.
        ({"78": {"status": "Completed"}, "78.0": {"status": "Completed"}}, "Completed"),
        # A key naming an order not asked is nobody's: 78 left out, asked alone.
        ({"80.0": {"status": "Completed"}}, "In progress"),
        # Under 78's key, an item naming another order: neither's.
        ({" 78": {"order": 80, "status": "Completed"}}, "In progress"),
    ],
)
def test_status_keys_read_leniently_never_give_one_order_anothers_status(
    panel, tmp_path, answer, stored
):
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0

    def status(form: dict[str, str]) -> Reply:
        if "orders" in form:
            return json_reply({**answer, "79": {"status": "Pending"}})
        return json_reply({"status": "In progress", "remains": "40"})

    replies["status"] = status
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    asked_alone = [form["order"] for form in _sent(server, "status") if "order" in form]
    assert asked_alone == ([] if stored == "Completed" else ["78"])
    assert _rows(tmp_path, "SELECT order_id, status FROM orders ORDER BY order_id") == [
        (78, stored),
        (79, "Pending"),
    ]


# Read leniently (to_int), an answer naming "7.8e1" or "+78" (filed under it) was
# order 78's: a refill or cancel the panel made for whatever it meant.
@pytest.mark.parametrize(
    "answer",
    [
        {"78.5": {"order": 78, "refill": 5}, "79": {"order": 79, "refill": 6}},
        {"78": {"order": "+78", "refill": 5}, "79": {"order": 79, "refill": 6}},
        [{"order": "7.8e1", "refill": 5}, {"order": 79, "refill": 6}],
    ],
)
def test_a_multi_refill_answer_naming_no_order_id_refills_no_order(panel, tmp_path, answer):
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["refill"] = json_reply(answer)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [78, 79])
    # 78 Unknown: refill 5 may exist, so it is not asked again inside the cooldown.
    assert _rows(tmp_path, "SELECT order_id, refill_id, status FROM refills ORDER BY order_id") == [
        (78, None, "Unknown"),
        (79, "6", "Pending"),
    ]
    assert len(_sent(server, "refill")) == 1


def test_a_refill_answer_naming_no_order_id_is_an_unknown_refill(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "78").exit_code == 0
    replies["refill"] = json_reply({"order": "+78", "refill": 5})
    result = cli("refill", "78")
    assert result.exit_code == 1, result.output
    assert "answered for order '+78'" in result.stderr
    assert _rows(tmp_path, "SELECT order_id, refill_id, status FROM refills") == [
        (78, None, "Unknown")
    ]


@pytest.mark.parametrize(
    "answer",
    [
        {"78.5": {"order": 78, "cancel": 1}, "79": {"order": 79, "cancel": 1}},
        {"78": {"order": "7_8", "cancel": 1}, "79": 1},
        [{"order": "+78", "cancel": 1}, {"order": 79, "cancel": 1}],
        [{"order": 78.5, "cancel": 1}, {"order": 79, "cancel": 1}],
    ],
)
def test_a_cancel_answer_naming_no_order_id_cancels_no_order(panel, tmp_path, answer):
    _server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["cancel"] = json_reply(answer)
    result = cli("cancel", "--yes", "78", "79")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0].startswith("#78  unknown: ")
    assert _rows(tmp_path, "SELECT order_id, result FROM cancels ORDER BY order_id") == [
        (78, "Unknown"),
        (79, "Accepted"),
    ]


def _refills(server, replies, cli, tmp_path, refill_of: dict[int, int]) -> None:
    """Track the orders and have their refills requested (order: refill ID)."""
    orders = list(refill_of)
    assert cli("track", *map(str, orders)).exit_code == 0
    replies["refill"] = json_reply([{"order": o, "refill": r} for o, r in refill_of.items()])
    request_refills_once(tmp_path / "t.db", server.url, KEY, orders)


def _refills_asked(server) -> list[str]:
    """The refill_status calls the panel got: "7,8" for a multi call, "alone 7"."""
    return [f.get("refills") or f"alone {f['refill']}" for f in _sent(server, "refill_status")]


def test_a_refill_status_naming_no_refill_id_as_written_closes_no_refill(panel, tmp_path):
    server, replies, cli = panel
    _refills(server, replies, cli, tmp_path, {5: 7, 6: 8})

    def refill_status(form: dict[str, str]) -> Reply:
        if "refills" in form:  # " 7" read as "7": refill 7 closed Completed while it ran
            said = [{"refill": " 7", "status": "Completed"}, {"refill": 8, "status": "Completed"}]
            return json_reply(said)
        return json_reply({"status": "In progress"})

    replies["refill_status"] = refill_status
    _follow(tmp_path, server.url)
    assert _refills_asked(server) == [
        "7,8",
        "alone 7",
    ]
    assert _rows(tmp_path, "SELECT refill_id, status FROM refills ORDER BY order_id") == [
        ("7", "In progress"),
        ("8", "Completed"),
    ]


# Read as refill 7's, another refill's answer to refill=7 closed refill 7 while
# it ran (Completed; Unknown after three "Refill not found"): its order could
# then be refilled a second time.
@pytest.mark.parametrize(
    ("said", "named"),
    [
        ({"refill": 8, "status": "Completed"}, "8"),
        ({"refill": " 7", "status": "Completed"}, "' 7'"),
        ({"refill": "8", "error": "Refill not found"}, "8"),
    ],
)
@pytest.mark.usefixtures("fresh_logs")
def test_a_refill_status_answered_for_another_refill_leaves_the_refill_open(
    panel, tmp_path, said, named
):
    server, replies, cli = panel
    assert cli("track", "5").exit_code == 0
    replies["refill"] = json_reply({"refill": 7})
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5])
    replies["refill_status"] = json_reply(said)
    for _ in range(3):  # as many rounds as close a refill the panel says is lost
        with capture_logs() as logs:
            _follow(tmp_path, server.url)
        failed = [e["error"] for e in logs if e["event"] == "refill_status_failed"]
        assert len(failed) == 1
        assert f"answered refill {named} when asked for refill 7" in failed[0]
    stored = "SELECT refill_id, status, error_count FROM refills"
    assert _rows(tmp_path, stored) == [("7", "Pending", 0)]
    replies["refill_status"] = json_reply({"refill": "7", "status": "In progress"})
    _follow(tmp_path, server.url)  # still open: asked again
    assert [form["refill"] for form in _sent(server, "refill_status")] == ["7"] * 4
    assert _rows(tmp_path, stored) == [("7", "In progress", 0)]


@pytest.mark.usefixtures("fresh_logs")
def test_a_refill_left_out_and_answered_alone_for_another_refill_stays_open(panel, tmp_path):
    server, replies, cli = panel
    _refills(server, replies, cli, tmp_path, {5: 7, 6: 8})

    def refill_status(form: dict[str, str]) -> Reply:
        if "refills" in form:  # 7 left out: asked alone, answered with 8's news
            return json_reply([{"refill": 8, "status": "In progress"}])
        return json_reply({"refill": 8, "status": "Completed"})

    replies["refill_status"] = refill_status
    with capture_logs() as logs:
        _follow(tmp_path, server.url)
    assert _refills_asked(server) == [
        "7,8",
        "alone 7",
    ]
    stored = "SELECT refill_id, status, error_count, error FROM refills ORDER BY order_id"
    (seven, eight) = _rows(tmp_path, stored)
    assert seven[:3] == ("7", "Pending", 0)  # open, asked again next run
    assert "answered refill 8 when asked for refill 7" in seven[3]
    assert eight == ("8", "In progress", 0, None)
    alone = [e for e in logs if e["event"] == "refill_status_not_answered_alone"]
    assert [e["refill"] for e in alone] == ["7"]
    assert "answered refill 8 when asked for refill 7" in alone[0]["error"]


# Keyed by order ID as a multi status answer is, with no "order" field: dropped,
# refill 5 was stored as order 78's Unknown (never followed, and counted as a
# lost request), and order 79's refusal too. A bare string under an order's
# key refused the whole answer: both orders Unknown, refill 5 never followed.
@pytest.mark.parametrize(
    "answer",
    [
        '{"78": {"refill": 5}, "79": {"refill": {"error": "Incorrect order ID"}},'
        ' "80": {"refill": 9}, "0": {"refill": 10}}',  # not asked, a PHP index: no order
        '{"78": {"refill": 5}, "79": "Incorrect order ID"}',
    ],
)
def test_a_multi_refill_answer_keyed_by_asked_orders_is_read_order_by_order(
    panel, tmp_path, answer
):
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["refill"] = text_reply(answer)
    request_refills_once(tmp_path / "t.db", server.url, KEY, [78, 79])
    assert len(_sent(server, "refill")) == 1
    stored = "SELECT order_id, refill_id, status, error FROM refills ORDER BY order_id"
    assert _rows(tmp_path, stored) == [
        (78, "5", "Pending", None),
        (79, None, "Refused", "Incorrect order ID"),
    ]
    replies["refill_status"] = json_reply({"status": "Completed"})
    _follow(tmp_path, server.url)  # refill 5 is followed as order 78's
    assert [form["refill"] for form in _sent(server, "refill_status")] == ["5"]
    assert _rows(tmp_path, stored)[0] == (78, "5", "Completed", None)


def test_an_order_keyed_twice_differently_in_a_multi_refill_answer_is_unknown(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["refill"] = text_reply(
        '{"78": {"refill": 5}, "78": {"refill": 6}, "79": {"refill": 7}}'
    )
    request_refills_once(tmp_path / "t.db", server.url, KEY, [78, 79])
    stored = "SELECT order_id, refill_id, status FROM refills ORDER BY order_id"
    # 78: refill 5 or 6 (or both) may exist: Unknown, never Refused (asked again).
    assert _rows(tmp_path, stored) == [(78, None, "Unknown"), (79, "7", "Pending")]
    (error,) = _rows(tmp_path, "SELECT error FROM refills WHERE order_id = 78")[0]
    assert 'answered "78" twice, differently' in error


# One answer about another order or refill, to a call about one, ended the
# rest of its batch: a panel misfiling one refill's (or order's) answer for
# good left every other one of the batch unfollowed, run after run.
MISFILED_7 = {"refill": 8, "status": "Completed"}


@pytest.mark.usefixtures("fresh_logs")
def test_one_refill_answered_for_another_holds_up_no_other_refill(panel, tmp_path):
    server, replies, cli = panel
    _refills(server, replies, cli, tmp_path, {5: 7, 6: 8, 7: 9})
    said = {"7": MISFILED_7, "8": {"status": "In progress"}, "9": {"status": "Completed"}}
    replies["refill_status"] = lambda form: json_reply(said[form["refill"]])
    with capture_logs() as logs:
        _follow(tmp_path, server.url, PanelModes(multi_refill_status=False))  # one at a time
    assert [form["refill"] for form in _sent(server, "refill_status")] == ["7", "8", "9"]
    stored = "SELECT refill_id, status, error_count FROM refills ORDER BY order_id"
    assert _rows(tmp_path, stored) == [
        ("7", "Pending", 0),  # no news of 7: open, asked again next run
        ("8", "In progress", 0),
        ("9", "Completed", 0),
    ]
    failed = [e["error"] for e in logs if e["event"] == "refill_status_failed"]
    assert len(failed) == 1 and "answered refill 8 when asked for refill 7" in failed[0]


def test_refills_left_out_are_all_asked_alone_past_one_answered_for_another(panel, tmp_path):
    server, replies, cli = panel
    _refills(server, replies, cli, tmp_path, {5: 7, 6: 8, 7: 9})

    def refill_status(form: dict[str, str]) -> Reply:
        if "refills" in form:  # 7 and 8 left out: asked alone
            return json_reply([{"refill": 9, "status": "In progress"}])
        return json_reply(MISFILED_7 if form["refill"] == "7" else {"status": "Completed"})

    replies["refill_status"] = refill_status
    _follow(tmp_path, server.url)
    assert _refills_asked(server) == [
        "7,8,9",
        "alone 7",
        "alone 8",
    ]
    stored = "SELECT refill_id, status FROM refills ORDER BY order_id"
    assert _rows(tmp_path, stored) == [("7", "Pending"), ("8", "Completed"), ("9", "In progress")]


def test_orders_left_out_are_all_asked_alone_past_one_answered_for_another(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "78", "79", "80").exit_code == 0

    def status(form: dict[str, str]) -> Reply:
        if "orders" in form:  # 78 and 79 left out: asked alone
            return json_reply({"80": {"status": "Pending"}})
        if form["order"] == "78":  # 79's answer
            return json_reply({"order": 79, "status": "Completed", "remains": "0"})
        return json_reply({"order": 79, "status": "In progress", "remains": "40"})

    replies["status"] = status
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1  # 78 not asked: the panel's failure, said
    asked = [form.get("orders") or f"alone {form['order']}" for form in _sent(server, "status")]
    assert asked == ["78,79,80", "alone 78", "alone 79"]
    assert _rows(tmp_path, "SELECT order_id, status, remains FROM orders ORDER BY order_id") == [
        (78, None, None),  # untouched: asked again at the next poll
        (79, "In progress", 40),
        (80, "Pending", None),
    ]


def test_a_cancel_answer_keyed_with_leading_zeros_is_that_order(panel, tmp_path):
    # "0078" is order 78 in a status or refill answer: in a cancel answer too
    # (it was "not in the answer": Unknown, though the panel said it canceled).
    _server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["cancel"] = json_reply({"0078": 1, "0079": {"error": "Order is completed"}})
    result = cli("cancel", "--yes", "78", "79")
    assert result.stdout.splitlines()[0].startswith("#78  canceled"), result.output
    assert _rows(tmp_path, "SELECT order_id, result FROM cancels ORDER BY order_id") == [
        (78, "Accepted"),
        (79, "Refused"),
    ]


def test_a_refill_answer_refusing_the_key_for_every_order_refuses_none(panel, tmp_path):
    # Every item "Invalid API key": the key refused, no order's refusal. They
    # were stored Refused with the panel's words about the key, as if each
    # order had been judged; now nothing is stored and they stay eligible.
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["refill"] = json_reply(
        [{"order": 78, "error": "Invalid API key"}, {"order": 79, "error": "Invalid API key"}]
    )
    request_refills_once(tmp_path / "t.db", server.url, KEY, [78, 79])
    assert _rows(tmp_path, "SELECT order_id, status FROM refills") == []
    assert len(_sent(server, "refill")) == 1


def test_a_refill_answer_with_ids_beside_key_refusals_keeps_the_refills(panel, tmp_path):
    # A refill ID beside the words: the refill may exist. Never forgotten as
    # "the key refused, nothing sent" (asked again, a second refill).
    server, replies, cli = panel
    assert cli("track", "78", "79").exit_code == 0
    replies["refill"] = json_reply(
        [
            {"order": 78, "refill": 5, "error": "Invalid API key"},
            {"order": 79, "refill": 6, "error": "Invalid API key"},
        ]
    )
    request_refills_once(tmp_path / "t.db", server.url, KEY, [78, 79])
    assert _rows(tmp_path, "SELECT order_id, status FROM refills ORDER BY order_id") == [
        (78, "Unknown"),
        (79, "Unknown"),
    ]
