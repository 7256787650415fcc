"""An ``add`` answered an order ID beside words that read as a refusal
(``{"order": 77, "message": "Not enough funds"}``), through the real CLI on
a scripted loopback panel and the automation's re-orders on the simulated
panel: the order is tracked (never lost, never placed twice: the status
checks tell whether it exists), but never said a plain "placed": the
panel's words are said with it ("#77 placed by the panel's answer, but it
also said: Not enough funds; check it on the panel"). It printed ``77``
alone and the words were dropped. Words that refuse nothing, or lead with
the placement ("Your order has been placed. Not refundable."), stay a
plain placement."""

from __future__ import annotations

import pytest
from automation_kit import REORDER, cli_today, run  # noqa: F401  (fixture)
from envelope_kit import added_once
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import World
from simconfig import tracked_ids
from structlog.testing import capture_logs

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql

KEY = "hostile-key-BesideWords205"
ALSO = "#77 placed by the panel's answer, but it also said: {}; check it on the panel"

REFUSING = {
    "funds": {"order": 77, "message": "Not enough funds"},
    "msg": {"order": "77", "msg": "You have insufficient balance"},
    "key": {"order": 77, "message": "neworder.error.not_enough_funds"},
    "detail": {"order": 77, "detail": "Incorrect service ID"},
}
PLAIN = {
    "terms": {"order": 77, "message": "Your order has been placed. Not refundable."},
    "placed": {"order": 77, "message": "Order placed"},
    "bare": {"order": 77},
}


def _added(tmp_path, monkeypatch, answer):
    placed = added_once(tmp_path, monkeypatch, KEY, json_reply(answer))
    assert placed.exit_code == 0, placed.output
    assert placed.stdout == "77\n"  # the ID a script reads: it exists, maybe
    assert tracked_ids(tmp_path) == [77]  # tracked: the status checks tell
    return placed


@pytest.mark.parametrize("answer", REFUSING.values(), ids=REFUSING.keys())
def test_an_order_id_beside_refusing_words_is_tracked_and_said_with_them(
    tmp_path, monkeypatch, answer
):
    placed = _added(tmp_path, monkeypatch, answer)
    words = next(v for k, v in answer.items() if k != "order")
    assert f"smm-tracker: sim: {ALSO.format(words)}" in placed.stderr.splitlines(), placed.stderr


@pytest.mark.parametrize("answer", PLAIN.values(), ids=PLAIN.keys())
def test_an_order_id_beside_words_refusing_nothing_is_a_plain_placement(
    tmp_path, monkeypatch, answer
):
    placed = _added(tmp_path, monkeypatch, answer)
    assert placed.stderr == ""


@pytest.mark.usefixtures("fresh_logs")
def test_a_reorder_answered_an_id_beside_refusing_words_is_tracked_and_said(world):
    w: World = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    original = w.panel._add

    def add(form, now):  # placed, and the panel's words beside its ID
        return {**original(form, now), "message": "Not enough funds"}

    w.panel._add = add  # type: ignore[method-assign]
    with capture_logs() as logs:
        assert run(w)
    (row,) = [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    assert (row["order_id"], row["status"]) == (parent, "Placed")
    new = row["new_order_id"]
    assert w.store.order("sim", new)["parent_order_id"] == parent  # tracked
    [told] = [e for e in logs if e["event"] == "reorder_placed_with_words"]
    assert told["log_level"] == "warning"
    assert (told["order"], told["new_order"], told["said"]) == (parent, new, "Not enough funds")
    assert told["hint"] == "check it on the panel"
    [done] = [e for e in logs if e["event"] == "reordered"]
    assert done["also_said"] == "Not enough funds"
    # The round's alert says the words too, never a plain "#N placed".
    said = w.cli("alerts")
    assert said.exit_code == 0, said.output
    also = f"#{parent} placed, but the panel also said: 'Not enough funds' - check the panel"
    assert f"sim: automatic re-order of 1 order: {also}" in said.output, said.output
    [line] = [x for x in said.output.splitlines() if "automation_reordered" in x]
    assert line.split()[1] == "warning"  # a person should look, as at a refusal


@pytest.mark.usefixtures("fresh_logs")
def test_a_reorder_answered_an_id_beside_placement_words_is_plain(world):
    w: World = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    w.ended(SERVICE_FOLLOWERS)
    w.poll()
    original = w.panel._add

    def add(form, now):
        return {**original(form, now), "message": "Your order has been placed. Not refundable."}

    w.panel._add = add  # type: ignore[method-assign]
    with capture_logs() as logs:
        assert run(w)
    assert not [e for e in logs if e["event"] == "reorder_placed_with_words"]
    [done] = [e for e in logs if e["event"] == "reordered"]
    assert "also_said" not in done
