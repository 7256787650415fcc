"""The same vague words on every order of a status call are the panel's.

A panel in an outage may answer every item of a status call with the very
same words (``{"1": {"error": "Something went wrong"}, ...}``), a moment
after it answered statuses. Those words are the panel's failure, not each
order's: with ``unknown_give_up = "0s"`` one order wrongly called unknown is
given up (``order_lost``) in the same run, so each run here is a whole
``unknown_give_up`` of such answers. Words saying an order does not exist,
one item's error among statuses, and the same words while an order the
panel knows answers now, stay each order's.
"""

from __future__ import annotations

import threading

import pytest
from blame_panel import Respond, asked, config_for, panel_fixture, shaped, status_of
from hostile import Reply
from test_panel_blame_calls import ANSWERED, UNTOUCHED, alert_kinds, stored

pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "blame-alike-key-Hq4Zt8Lm2Xc"
IDS = list(range(7001, 7031))  # 30 orders: batches of 8, 8, 8, 6
VAGUE = "Something went wrong"
BATCHES_OF_8 = "max_batch = 8\nconcurrency = 1"

panel = panel_fixture(config_for("0s"), IDS, KEY)


def vague_after(calls: int, words: str = VAGUE) -> Respond:
    """A panel answering its first ``calls`` status calls, then every item of
    every call (one ID or many) with ``{"error": words}``."""
    count = [0]
    lock = threading.Lock()

    def status(form: dict[str, str]) -> Reply:
        with lock:
            count[0] += 1
            down = count[0] > calls
        return shaped(form, lambda i: {"error": words} if down else status_of(i))

    return status


@pytest.mark.parametrize("shape", [BATCHES_OF_8, "max_batch = 1\nconcurrency = 1"])
def test_every_item_in_the_same_vague_words_is_no_orders_error(panel, tmp_path, shape):
    # Each order's error: every order asked after the outage began was
    # counted unknown and given up (order_lost), run after run.
    cli, _ = panel(vague_after(16 if shape != BATCHES_OF_8 else 2), shape)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1, result.output  # the poll failed: the panel's
    said = "left unsettled: status refused alike for every order asked, none answered: "
    assert said + VAGUE in result.output
    for _ in range(2):  # no status call answered lately: unblame's, as before
        assert cli("run", "--once", "--all").exit_code == 1
    found = list(stored(tmp_path).values())
    assert (found.count(ANSWERED), found.count(UNTOUCHED)) == (16, 14)
    assert "order_lost" not in alert_kinds(tmp_path)


def test_the_same_vague_words_told_once_per_episode(panel, tmp_path):
    cli, _ = panel(vague_after(2), BATCHES_OF_8)
    said = []
    for _ in range(3):
        result = cli("--log-level", "warning", "run", "--once", "--all")
        said.append(result.output.count(" status_refused_alike "))
    assert said[0] >= 1 and said[1:] == [0, 0]


def test_every_item_not_found_is_still_each_orders(panel, tmp_path):
    # The last batch's orders are unknown to the panel: "Incorrect order ID"
    # for each is each one's, given up (0s) and told.
    unknown = set(IDS[24:])

    def status(form: dict[str, str]) -> Reply:
        if set(asked(form)) <= unknown:
            return shaped(form, lambda i: {"error": "Incorrect order ID"})
        return shaped(form, status_of)

    cli, _ = panel(status, BATCHES_OF_8)
    assert cli("run", "--once", "--all").exit_code == 0
    found = stored(tmp_path)
    assert {found.pop(i)[1:] for i in unknown} == {("Incorrect order ID", 1, 1, 0)}
    assert set(found.values()) == {ANSWERED}
    assert "order_lost" in alert_kinds(tmp_path)


@pytest.mark.parametrize(
    "vague_ids",
    [IDS[12:13], IDS[8:16], IDS[:8]],
    ids=["one among statuses", "a batch", "the run's first call"],
)
def test_vague_words_while_the_panel_answers_others_are_each_orders(panel, tmp_path, vague_ids):
    # One item's error among statuses is that item's; a whole batch in the
    # same words while an order the panel knows answers now is each one's
    # (the orders answered at an earlier run: one of them asked again).
    vague = set()

    def status(form: dict[str, str]) -> Reply:
        return shaped(form, lambda i: {"error": VAGUE} if i in vague else status_of(i))

    cli, _ = panel(status, BATCHES_OF_8)
    assert cli("run", "--once", "--all").exit_code == 0
    vague.update(vague_ids)
    assert cli("run", "--once", "--all").exit_code == 0
    found = stored(tmp_path)
    assert {found.pop(i)[1:] for i in vague_ids} == {(VAGUE, 1, 1, 0)}
    assert set(found.values()) == {ANSWERED}
    assert "order_lost" in alert_kinds(tmp_path)
