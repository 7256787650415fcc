"""Status words the tracker does not know, told to the operator by an alert.

A panel answers some orders' status with its own words ("Awaiting
moderation", "Заказ в обработке", "Stuck"): the orders keep them verbatim and
stay open, but no refill, cancel or stall rule applies to them. Against the
simulated panel, answering the orders a test names in the words it sets, the
real Tracker polls (as the daemon does) or the real CLI runs ``run --once``:
one ``unknown_status`` alert per panel and episode, none for the spellings the
tracker maps or for words saying the order does not exist, the episode closed
once no open order carries such words, and a new one alerting again.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

from refill_world import KEY, World
from words_panel import WordsPanel, in_progress, poll

from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Episode
from tracker.rules.unknown_status import judge_unknown, listing_hint

HOUR = 3600.0


def unknown_alerts(w: World) -> list[dict[str, Any]]:
    found = json.loads(w.cli("alerts", "--json").stdout)
    return [a for a in found["alerts"] if a["kind"] == "unknown_status"]


def open_episode(w: World) -> bool:
    found = json.loads(w.cli("alerts", "--json").stdout)["open"]
    return any(e["panel"] == "sim" and e["kind"] == "unknown_status" for e in found)


def test_one_alert_names_the_panel_words_count_and_orders_across_polls_and_a_restart(world):
    w = world(panel_class=WordsPanel)
    a, b, c = in_progress(w, 3)
    w.panel.words = {a: "Awaiting moderation", b: "Awaiting moderation", c: "Заказ в обработке"}
    poll(w)
    poll(w)
    again = Tracker(w.config, clock=w.clock)  # a restart: the episode is kept
    again.everything = True
    try:
        assert again.poll("sim")
    finally:
        again.close()
    [alert] = unknown_alerts(w)
    assert alert["panel"] == "sim" and alert["severity"] == "warning"
    message = alert["message"]
    assert message.startswith("sim: 3 open orders in status words the tracker does not know: ")
    assert f"'Awaiting moderation' (2: #{a}, #{b})" in message
    assert f"'Заказ в обработке' (1: #{c})" in message
    assert alert["data"]["orders"] == 3 and alert["data"]["count"] == 2
    assert alert["data"]["spellings"] == [
        {"status": "Awaiting moderation", "orders": 2, "order_ids": [a, b]},
        {"status": "Заказ в обработке", "orders": 1, "order_ids": [c]},
    ]
    assert open_episode(w)
    # The command the alert names lists the orders in those words.
    hint = message.split("`")[1]
    assert hint == "smm-tracker orders --panel sim --status 'Awaiting moderation'"
    listed = w.cli(*shlex.split(hint)[1:], "--json")
    assert listed.exit_code == 0, listed.output
    assert sorted(r["order_id"] for r in json.loads(listed.stdout)) == [a, b]


def test_known_spellings_and_not_found_words_raise_nothing_unknown_words_do(world):
    w = world(panel_class=WordsPanel)
    orders = in_progress(w, 7)
    poll(w)
    known = ["in progess", "Queued", "PROCESSING", "active", "Paused", "In_Progress"]
    w.panel.words = dict(zip(orders, [*known, "Order not found"], strict=True))
    poll(w)
    poll(w)
    assert unknown_alerts(w) == []
    assert not open_episode(w)
    stuck = in_progress(w, 1)[0]
    w.panel.words[stuck] = "Stuck"
    poll(w)
    [alert] = unknown_alerts(w)  # only the words it does not know, only that order
    assert alert["data"]["orders"] == 1
    assert alert["data"]["spellings"] == [{"status": "Stuck", "orders": 1, "order_ids": [stuck]}]
    assert alert["message"].startswith(
        f"sim: 1 open order in status words the tracker does not know: 'Stuck' (1: #{stuck});"
    )
    for words in [*known, "In progress", "Pending", "Order not found"]:
        assert words not in alert["message"]


def test_the_episode_closes_when_the_panel_moves_the_orders_to_a_known_status(world):
    w = world(panel_class=WordsPanel)
    a, b = in_progress(w, 2)
    w.panel.words = {a: "Stuck", b: "Awaiting moderation"}
    poll(w)
    assert open_episode(w)
    w.panel.words = {b: "Awaiting moderation"}  # one left: still open, nothing new
    poll(w)
    assert open_episode(w) and len(unknown_alerts(w)) == 1
    w.panel.words = {}  # both answered In progress again
    poll(w)
    assert not open_episode(w)
    assert len(unknown_alerts(w)) == 1  # closing is quiet
    rows = w.store.rows("SELECT active FROM alert_state WHERE kind = 'unknown_status'")
    assert rows == [{"active": 0}]


def test_a_new_episode_alerts_again(world):
    w = world(panel_class=WordsPanel)
    a, b = in_progress(w, 2)
    w.panel.words = {a: "Stuck"}
    poll(w)
    w.panel.words = {}
    poll(w)
    assert not open_episode(w)
    w.clock.advance(HOUR)  # an hour without such words: the next is news
    w.panel.words = {b: "On hold at provider"}
    poll(w)
    poll(w)
    first, second = unknown_alerts(w)
    assert "'Stuck'" in first["message"] and f"#{a}" in first["message"]
    assert "'On hold at provider'" in second["message"] and f"#{b}" in second["message"]
    assert "Stuck" not in second["message"]
    assert open_episode(w)


def test_an_order_flapping_between_a_known_spelling_and_its_own_words_raises_one_alert(world):
    w = world(panel_class=WordsPanel)
    [order] = in_progress(w, 1)
    for turn in range(6):  # every other answer in the panel's own words
        w.panel.words = {order: "Processing at provider"} if turn % 2 == 0 else {}
        poll(w)
    assert not open_episode(w)  # ended at the last poll, in the database
    again = Tracker(w.config, clock=w.clock)  # a restart: the end is kept
    again.everything = True
    try:
        for turn in range(6):
            w.panel.words = {order: "Processing at provider"} if turn % 2 == 0 else {}
            w.clock.advance(60)
            assert again.poll("sim")
    finally:
        again.close()
    assert len(unknown_alerts(w)) == 1
    # Quiet for an hour (the order back In progress at every poll): then the
    # same words are a new episode, told again.
    for _ in range(61):
        poll(w)
    assert not open_episode(w)
    w.panel.words = {order: "Processing at provider"}
    poll(w)
    assert len(unknown_alerts(w)) == 2 and open_episode(w)


def test_words_back_after_the_clock_was_set_back_past_the_end_are_told():
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    opened, told = judge_unknown(Episode(), True, start)
    assert told
    ended, told = judge_unknown(opened, False, start + timedelta(minutes=5))
    assert not ended.active and not told
    back, told = judge_unknown(ended, True, start + timedelta(minutes=10))
    assert back.active and not told and back.since == start  # resumed: open since its alert
    # An end stamped ahead of now says nothing of how long ago it was.
    again, told = judge_unknown(ended, True, start - timedelta(days=1))
    assert again.active and told


def test_the_alert_never_holds_the_key_the_panel_echoes_in_its_status_words(world):
    w = world(panel_class=WordsPanel)
    [order] = in_progress(w, 1)
    w.panel.words = {order: f"Awaiting moderation (api_key={KEY})"}
    poll(w)
    [alert] = unknown_alerts(w)
    assert "'Awaiting moderation (api_key=***)'" in alert["message"]
    assert alert["data"]["spellings"][0]["status"] == "Awaiting moderation (api_key=***)"
    shown = w.cli("alerts")
    assert shown.exit_code == 0 and "unknown_status" in shown.stdout
    for text in (shown.stdout, json.dumps(alert, ensure_ascii=False)):
        assert KEY not in text
    stored = w.store.rows("SELECT message, data FROM alerts WHERE kind = 'unknown_status'")
    assert stored and all(KEY not in r["message"] + r["data"] for r in stored)


def test_control_characters_in_the_words_come_out_escaped(world):
    w = world(panel_class=WordsPanel)
    [order] = in_progress(w, 1)
    w.panel.words = {order: "Stuck\x1b[2J\u202e at provider"}
    poll(w)
    [alert] = unknown_alerts(w)
    assert "'Stuck\\x1b[2J\\u202e at provider'" in alert["message"]
    assert "\x1b" not in alert["message"] and "\u202e" not in alert["message"]
    # Words a terminal cannot be given as typed: the hint says where they go.
    assert "--status 'THE WORDS'" in alert["message"]


def test_run_once_raises_it_once(world):
    w = world(panel_class=WordsPanel)
    a, b = in_progress(w, 2)
    w.panel.words = {a: "Stuck", b: "Stuck"}
    for _ in range(2):
        ran = w.cli("run", "--once", "--all")
        assert ran.exit_code == 0, ran.output
    [alert] = unknown_alerts(w)
    assert f"'Stuck' (2: #{a}, #{b})" in alert["message"]


def test_doctor_warns_of_the_open_orders_in_unknown_words_and_still_passes(world):
    w = world(panel_class=WordsPanel)
    a, b, c = in_progress(w, 3)
    poll(w)
    before = w.cli("doctor")
    assert before.exit_code == 0 and "does not know" not in before.stdout
    w.panel.words = {a: "Stuck", b: "Stuck", c: "Awaiting moderation"}
    poll(w)
    checked = w.cli("doctor")
    assert checked.exit_code == 0, checked.output  # a warning, not a failure
    assert (
        "warn panel sim: 3 open orders in status words the tracker does not know ('Stuck' 2, "
        "'Awaiting moderation' 1): still polled, but no refill, cancel or stall rule applies; "
        "`smm-tracker orders --panel sim --status Stuck` lists the first spelling's orders"
    ) in checked.stdout


def test_the_command_the_alert_names_lists_exactly_the_orders_in_those_words(world):
    # The panel's words as stored: two spaces inside, or another order's
    # words but for their case. Typed as the alert writes them, the command
    # refused them ("unknown status ...; valid: ... 'Stuck  at provider'") or
    # listed the other spelling's orders.
    w = world(panel_class=WordsPanel)
    a, b, c, d = in_progress(w, 4)
    w.panel.words = {a: "Stuck  at provider", b: "STUCK", c: "STUCK", d: "Stuck"}
    poll(w)
    [alert] = unknown_alerts(w)
    assert alert["data"]["count"] == 3
    assert listing_hint("sim", "STUCK") in alert["message"]  # the first spelling's
    for words, ids in (("Stuck  at provider", [a]), ("STUCK", [b, c]), ("Stuck", [d])):
        hint = listing_hint("sim", words).strip("`")  # as doctor names it too
        listed = w.cli(*shlex.split(hint)[1:], "--json")
        assert listed.exit_code == 0, listed.output
        assert sorted(r["order_id"] for r in json.loads(listed.stdout)) == ids, words
