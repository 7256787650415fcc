"""An order asked alone and refused in words the tracker does not know is not
blamed on an answer the panel gave a while ago: the panel must answer an
order it knows now (the witness, or an order of the same batch), else the
refusal is the call's and the order is asked again at the next poll.

Each test serves a scripted panel on loopback, tracks orders with the real
CLI, runs ``run --once`` and reads what was stored.
"""

from __future__ import annotations

import pytest
from blame_panel import asked, config_for, panel_fixture, shaped, status_of, stored
from hostile import Reply, json_reply

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is blamed, not the wait

KEY = "blame-lone-key-Rt5Yp2Wq8Zm"
IDS = [7001, 7002]
ONE_BY_ONE = "max_batch = 1\nconcurrency = 1"  # each order its own batch: asked alone
OUTAGE = "Something went wrong"  # no pattern of refusals.py or not_found.py knows it

config = config_for("3d")


panel = panel_fixture(config, IDS, KEY)


def answered(form: dict[str, str]) -> Reply:
    return shaped(form, status_of)


def test_an_outage_in_unknown_words_blames_no_order_asked_alone(panel, tmp_path):
    # The panel answers the first order, then refuses every status call in
    # words nobody knows (its balance still answers): the second order, asked
    # alone a moment later, was that order's error, held back an hour (then 6 h,
    # a day, given up after unknown_give_up), the panel back minutes later.
    state = {"down": False}

    def status(form: dict[str, str]) -> Reply:
        if state["down"]:
            return json_reply({"error": OUTAGE})
        state["down"] = True  # after this answer
        return answered(form)

    cli, _ = panel(status, ONE_BY_ONE)
    result = cli("run", "--once")
    found = stored(tmp_path)  # the second order untouched: no error, asked at the next poll
    assert set(found.values()) == {(None, None, 0, 1), ("In progress", None, 0, 1)}
    assert result.exit_code == 1, result.output  # the poll failed: the panel's, not the order's
    assert "1 order left unsettled" in result.output and OUTAGE in result.output

    state["down"] = None  # the panel is back: every call answered
    panel_back = cli("run", "--once")  # not --all: the orders due now
    assert panel_back.exit_code == 0, panel_back.output
    assert set(stored(tmp_path).values()) == {("In progress", None, 0, 1)}


def test_an_order_refused_alone_while_the_panel_answers_another_is_still_blamed(panel, tmp_path):
    # The same words, while the panel answers the other order when asked now
    # (the witness: an order it answered before): about this order (a poisoned
    # ID), counted toward giving it up. At the first run no order had answered
    # yet: nothing vouched for the panel, the order was left untouched.
    poisoned = IDS[1]

    def status(form: dict[str, str]) -> Reply:
        return json_reply({"error": OUTAGE}) if poisoned in asked(form) else answered(form)

    cli, _ = panel(status, ONE_BY_ONE)
    assert cli("run", "--once").exit_code == 1
    assert stored(tmp_path)[poisoned] == (None, None, 0, 1)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = stored(tmp_path)
    assert found[poisoned] == (None, OUTAGE, 1, 1)
    assert found[IDS[0]] == ("In progress", None, 0, 1)


ENDED = 7003  # the newest order, Completed at the first run
panel_with_ended = panel_fixture(config, [*IDS, ENDED], KEY)


def test_an_order_the_panel_answers_from_its_archive_vouches_for_no_open_order(
    panel_with_ended, tmp_path
):
    # The panel answers an order that ended from its database, while every
    # live lookup fails in words nobody knows. The witness was the newest
    # order answered, the ended one: it answered, so each open order asked
    # alone was blamed (its error, counted toward giving it up). The witness
    # is now an open order the panel answered: it fails too, nothing blamed.
    state = {"live": True}

    def status(form: dict[str, str]) -> Reply:
        ids = asked(form)
        if ids == [ENDED]:
            done = {**status_of(ENDED), "status": "Completed", "remains": "0"}
            return json_reply(done if "order" in form else {str(ENDED): done})
        if not state["live"]:
            return json_reply({"error": OUTAGE})
        return answered(form)

    cli, _ = panel_with_ended(status, ONE_BY_ONE)
    first = cli("run", "--once")
    assert first.exit_code == 0, first.output
    assert stored(tmp_path)[ENDED][0] == "Completed" and stored(tmp_path)[ENDED][3] == 0

    state["live"] = False
    result = cli("run", "--once", "--all")
    found = stored(tmp_path)  # both untouched: no error, asked again at the next poll
    assert [found[i] for i in IDS] == [("In progress", None, 0, 1)] * 2
    assert result.exit_code == 1, result.output  # the poll failed: the panel's, not the orders'
    assert "2 failed status calls" in result.output and OUTAGE in result.output
