"""Refill answers whose words are not what their place says: a refill_status
"status" that is the panel's refusal in words ("Refill not found"), an order
or refill named by no ID as panels write them ("78.0", " 7")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from refill_world import DAY, H, World

from tracker.errors import AuthError, BadAnswerError, NoOrderNamedError
from tracker.panel import parse_refill_status, parse_refills
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel


class WordyPanel(SimulatedPanel):
    """Says a lost refill is lost in its ``status`` field, as words, for the
    refill IDs in ``lost``: ``{"refill": 7, "status": "Refill not found"}``."""

    lost: set[str] = set()

    def _refill_status(self, form: Mapping[str, str], now: float) -> Any:
        answer = super()._refill_status(form, now)
        if "refills" in form:
            for item in answer:
                if str(item["refill"]) in self.lost:
                    item["status"] = "Refill not found"
            return answer
        if form.get("refill") in self.lost:
            return {"status": "Refill not found"}
        return answer


def test_refusing_words_as_a_refill_status_close_it_as_unknown(world):
    # Kept as an unknown status, "Refill not found" held the refill open for
    # ever: its order could never be refilled again, and nothing said so.
    w: World = world(panel_class=WordyPanel)
    w.sync_services()
    done, running = (w.order(SERVICE_FOLLOWERS), w.order(SERVICE_FOLLOWERS))
    w.poll()
    w.clock.advance(DAY)
    w.panel.drop(running, 30)
    assert w.round()
    w.clock.advance(90)
    assert w.round()
    refill_id = w.requests(running)[-1]["refill_id"]
    assert w.requests(running)[-1]["status"] == "In progress"
    w.panel.lost = {refill_id}
    for _ in range(3):
        w.clock.advance(H)
        assert w.round()
    row = w.requests(running)[-1]
    assert (row["status"], row["error"]) == ("Unknown", "Refill not found")
    assert w.requests(done)[-1]["status"] == "Rejected"  # it answered that one


def test_a_refill_status_in_refusing_words_is_an_error_not_a_status():
    (multi,) = parse_refill_status.parse_refill_status_multi(
        ["7"], [{"refill": "7", "status": "Refill not found"}]
    )
    assert (multi.status, multi.error) == (None, "Refill not found")
    keyed = parse_refill_status.parse_refill_status_multi(["7"], {"7": "Incorrect refill ID"})
    assert keyed[0].error == "Incorrect refill ID"
    single = parse_refill_status.parse_refill_status_single("7", {"status": "Refill not found"})
    assert single.error == "Refill not found"
    odd = parse_refill_status.parse_refill_status_single("7", {"status": "Queued at provider"})
    assert (odd.status, odd.known_status) == ("Queued at provider", False)  # verbatim


def test_a_refill_status_filed_under_another_refills_key_is_neither_refills():
    # {"7": {"refill": "8", "status": "Completed"}}: read by its key, refill 7
    # was closed as Completed while it ran, freeing its order for a second
    # (not idempotent) refill request. Left out, it is asked alone.
    misfiled = {
        "7": {"refill": "8", "status": "Completed"},
        "8": {"refill": 8, "status": "In progress"},
        "9": {"refill": "9", "status": "Pending"},
    }
    found = parse_refill_status.parse_refill_status_multi(["7", "8", "9"], misfiled)
    assert [(r.refill_id, r.status) for r in found] == [("9", "Pending")]
    twice = [
        {"refill": 7, "status": "Completed"},
        {"refill": 7, "status": {"error": "Refill not found"}},
        {"refill": 9, "status": "In progress"},
        {"refill": "9", "status": "in progress"},
    ]
    found = parse_refill_status.parse_refill_status_multi(["7", "9"], twice)
    assert [(r.refill_id, r.status) for r in found] == [("9", "In progress")]


def test_a_refill_request_answered_for_another_order_is_an_unknown_outcome():
    # To order=1, {"order": 2, "refill": 55}: stored as order 1's refill 55.
    answer = parse_refills.parse_refill_single(1, {"order": 2, "refill": 55})
    assert answer.unknown and answer.refill_id is None
    assert "answered for order 2" in (answer.error or "")
    assert parse_refills.parse_refill_single(1, {"order": "1", "refill": 55}).refill_id == "55"


def test_an_order_answered_twice_differently_by_a_multi_refill_is_unknown():
    # The first item won: "Refused", though refill 77 exists (a Refused
    # request is asked again after the cooldown: a second refill).
    answer = parse_refills.parse_refill_multi(
        [1, 2],
        [
            {"order": 1, "refill": {"error": "Incorrect order ID"}},
            {"order": 1, "refill": 77},
            {"order": 2, "refill": 78},
            {"order": 2, "refill": "78"},
        ],
    )
    by_order = {r.order_id: r for r in answer}
    assert len(answer) == 2
    assert by_order[1].unknown and "answered twice, differently" in (by_order[1].error or "")
    assert by_order[2].refill_id == "78" and not by_order[2].unknown
    keyed = parse_refills.parse_refill_multi([1], {"1": {"order": 2, "refill": 5}})
    # Order 2 was not asked: no report of it (order 1's is unknown all the same).
    assert [(r.order_id, r.unknown) for r in keyed] == [(1, True)]


def test_a_refill_id_a_multi_refill_gives_to_two_orders_is_believed_for_neither():
    # Order 1001, named twice, was Unknown; 1005 kept refill 55 and followed
    # it alone, though the panel gave 55 to 1001 too: whose refill is it?
    answer = parse_refills.parse_refill_multi(
        [1001, 1002, 1005],
        [
            {"order": 1001, "refill": 55},
            {"order": 1001, "refill": 56},
            {"order": 1002, "refill": 57},
            {"order": 1005, "refill": "55"},  # 55 as written
        ],
    )
    by_order = {r.order_id: r for r in answer}
    for order in (1001, 1005):
        assert by_order[order].unknown and by_order[order].refill_id is None
        assert "refill ID 55 for orders 1001 and 1005" in (by_order[order].error or "")
    assert by_order[1002].refill_id == "57" and not by_order[1002].unknown
    # One order given one ID twice, alike, keeps it (one order, one refill).
    [alike] = parse_refills.parse_refill_multi([1], [{"order": 1, "refill": 7}] * 2)
    assert alike.refill_id == "7" and not alike.unknown


@pytest.mark.parametrize(
    ("said", "status"),
    [
        ("Rejected: invalid link", "Rejected"),
        ("Canceled (incorrect link)", "Canceled"),
        ("Refill rejected - link is invalid", "Rejected"),
        ("Refill Canceled. Link invalid", "Canceled"),
        ("Completed: 120 restored", "Completed"),
    ],
)
def test_a_refill_status_with_the_panels_reason_after_it_is_that_status(said, status):
    # The reason's "invalid"/"incorrect" read as "this refill does not exist"
    # made a rejected refill an error, closed Unknown after three rounds.
    (multi,) = parse_refill_status.parse_refill_status_multi(
        ["7"], [{"refill": "7", "status": said}]
    )
    assert (multi.status, multi.known_status, multi.raw_status, multi.error) == (
        status,
        True,
        said,
        None,
    )


@pytest.mark.parametrize("said", ["Not completed yet", "Completed orders only", "Rejected-ish"])
def test_a_status_word_without_a_reason_after_it_is_not_read_as_that_status(said):
    single = parse_refill_status.parse_refill_status_single("7", {"status": said})
    assert (single.status, single.known_status) == (said, False)  # verbatim


@pytest.mark.parametrize(
    "said",
    [
        "Completed: rejected",
        "Completed (rejected by provider)",
        "Completed - failed",
        "Pending: canceled",
    ],
)
def test_a_refill_status_whose_reason_names_another_status_is_not_read(said):
    # As for order statuses: "Completed: rejected" read as Completed ended the
    # refill as done, and the refill_lost alert a rejection raises never came.
    single = parse_refill_status.parse_refill_status_single("7", {"status": said})
    assert (single.status, single.known_status, single.raw_status) == (said, False, said)


# Read leniently (to_int), each of these was order 78: a refill the panel made
# for whatever it meant was stored as order 78's, and 78 was not refilled again.
# ("78.0", " 78" and 78.0 are order 78, as a status key: tests/test_ids_read_alike.py.)
NOT_ORDER_78 = ["+78", "7.8e1", "78.5", "7_8"]


@pytest.mark.parametrize("said", NOT_ORDER_78)
def test_a_refill_answer_whose_order_is_no_order_id_is_no_refill_of_that_order(said):
    single = parse_refills.parse_refill_single(78, {"order": said, "refill": 55})
    assert (single.refill_id, single.unknown) == (None, True)  # it may exist: not resent
    assert f"answered for order {said!r}" in (single.error or "")
    listed = parse_refills.parse_refill_multi([78], [{"order": said, "refill": 55}])
    assert listed == []  # 78: "not in the panel's answer" (unknown)
    keyed = parse_refills.parse_refill_multi([78], {"78": {"order": said, "refill": 55}})
    assert [(r.order_id, r.refill_id, r.unknown) for r in keyed] == [(78, None, True)]
    assert keyed[0].error == f"answered under order 78 for order {said!r}"


@pytest.mark.parametrize("key", ["78.5", "+78", "7_8", "78e0", "0"])
def test_a_multi_refill_item_under_a_key_that_is_no_order_id_is_unknown(key):
    answer = parse_refills.parse_refill_multi(
        [78, 79], {key: {"order": 78, "refill": 55}, "79": {"order": 79, "refill": 56}}
    )
    assert [(r.order_id, r.refill_id, r.unknown) for r in answer] == [
        (78, None, True),
        (79, "56", False),
    ]
    assert answer[0].error == f"answered under order {key!r} for order 78"


@pytest.mark.parametrize("said", [" 7", "7 ", True])
def test_a_refill_status_item_naming_no_refill_id_as_written_is_no_asked_refills(said):
    # " 7" was stripped to "7": whatever the panel meant was read as refill 7's
    # status, and a running refill closed as Completed.
    listed = [{"refill": said, "status": "Completed"}, {"refill": 8, "status": "Pending"}]
    found = parse_refill_status.parse_refill_status_multi(["7", "8"], listed)
    assert [(r.refill_id, r.status) for r in found] == [("8", "Pending")]  # 7: asked alone
    keyed = {"7": {"refill": said, "status": "Completed"}, "8": {"status": "Pending"}}
    found = parse_refill_status.parse_refill_status_multi(["7", "8"], keyed)
    assert [(r.refill_id, r.status) for r in found] == [("8", "Pending")]


@pytest.mark.parametrize(
    ("said", "named"),
    [
        (8, "8"),
        ("8", "8"),
        ("008", "008"),
        (" 7", "' 7'"),
        ("7.0", "'7.0'"),
        (7.0, "7.0"),
        (True, "True"),
    ],
)
def test_a_single_refill_status_naming_another_refill_is_no_answer_for_the_asked_one(said, named):
    # Read as refill 7's, refill 8's "Completed" closed refill 7 while it ran.
    why = f"answered refill {named} when asked for refill 7"
    for answer in (
        {"refill": said, "status": "Completed"},
        {"refill": said, "error": "Refill not found"},
    ):
        with pytest.raises(BadAnswerError, match=re.escape(why)):
            parse_refill_status.parse_refill_status_single("7", answer)
    # The same refill written otherwise is the asked one's answer.
    same = parse_refill_status.parse_refill_status_single(
        "007", {"refill": 7, "status": "Completed"}
    )
    assert same.status == "Completed"


def test_an_empty_refill_field_names_no_refill_and_the_asked_one_decides():
    # PHP panel scripts write "" for a field they have no value for: no other
    # refill's ID, as an empty order field is no other order's.
    single = parse_refill_status.parse_refill_status_single(
        "7", {"refill": "", "status": "Completed"}
    )
    assert (single.refill_id, single.status) == ("7", "Completed")
    keyed = {"7": {"refill": "", "status": "Completed"}, "8": {"refill": None, "status": "Pending"}}
    found = parse_refill_status.parse_refill_status_multi(["7", "8"], keyed)
    assert [(r.refill_id, r.status) for r in found] == [("7", "Completed"), ("8", "Pending")]


@pytest.mark.parametrize("empty", [{}, {"order": None}, {"order": ""}])
def test_a_multi_refill_item_under_an_asked_orders_key_naming_no_order_is_its_answer(empty):
    # Dropped, order 78's refill 55 was "not in the panel's answer": Unknown.
    keyed = {"78": {**empty, "refill": 55}, "79": {**empty, "refill": {"error": "Bad Link"}}}
    answer = parse_refills.parse_refill_multi([78, 79], keyed)
    assert [(r.order_id, r.refill_id, r.error, r.unknown) for r in answer] == [
        (78, "55", None, False),
        (79, None, "Bad Link", False),
    ]
    # A key nobody asked for, or a PHP index ("0", "1"), names no order: with
    # no item naming one either, the answer names none (asked one at a time).
    for key in ("80", "0", "1", "+78"):
        with pytest.raises(NoOrderNamedError, match="not naming the order asked"):
            parse_refills.parse_refill_multi([78], {key: {**empty, "refill": 55}})


# A keyed answer with a bare string under an order's key was refused whole:
# every order Unknown, order 78's refill 5 (which the panel made) never followed.
@pytest.mark.parametrize(
    "refusal", ["Incorrect order ID", "Order not eligible for refill.", "neworder.error.x"]
)
def test_a_bare_refusal_under_an_asked_orders_key_is_that_orders_refusal(refusal):
    keyed = {"78": {"refill": 5}, "79": refusal, "80": "Incorrect order ID", "x": "no"}
    answer = parse_refills.parse_refill_multi([78, 79], keyed)
    assert [(r.order_id, r.refill_id, r.error, r.unknown) for r in answer] == [
        (78, "5", None, False),
        (79, None, refusal, False),
    ]
    # The same as an item giving the error in its own field.
    listed = parse_refills.parse_refill_multi([79], [{"order": 79, "error": refusal}])
    assert listed == answer[1:]


@pytest.mark.parametrize("said", [5, "5", 0, None, [], [5], "", "  ", True, 1.5])
def test_a_bare_non_refusal_under_an_asked_orders_key_refuses_nothing(said):
    # 5 or "5" may be a refill the panel made: never Refused (asked again).
    answer = parse_refills.parse_refill_multi([78, 79], {"78": said, "79": {"refill": 6}})
    assert (78, None, False) not in [(r.order_id, r.refill_id, r.unknown) for r in answer]
    assert [r.order_id for r in answer if not r.unknown] == [79]
    assert answer[-1].refill_id == "6"


def test_a_key_refused_under_an_orders_key_is_the_key_refused_not_the_orders():
    # Stored as order 78's refusal, it could be read as refused for good.
    with pytest.raises(AuthError):
        parse_refills.parse_refill_multi([78, 79], {"78": "Invalid API key", "79": {"refill": 6}})


def test_accepting_words_under_an_asked_orders_key_are_an_unknown_outcome():
    said = "Your refill request has been accepted"
    answer = parse_refills.parse_refill_multi([78, 79], {"78": said, "79": [1]})
    assert [(r.order_id, r.refill_id, r.unknown) for r in answer] == [(78, None, True)]
    assert said in (answer[0].error or "")
    with pytest.raises(BadAnswerError):  # no key names an asked order: as before
        parse_refills.parse_refill_multi([78], {"refill": 5, "80": "Incorrect order ID"})


@pytest.mark.parametrize(
    "answer",
    [
        [{"refill": "501"}, {"refill": "502"}],
        ["501", "502"],
        {"refill": "100"},
        {"0": {"refill": 7}},
    ],
)
def test_a_multi_refill_answer_naming_no_order_says_so(answer):
    # Read as "not in the panel's answer" (or "expected a list"), every order
    # ended Unknown and multi calls went on using up their requests.
    with pytest.raises(NoOrderNamedError, match="naming none of the 2 orders asked"):
        parse_refills.parse_refill_multi([78, 79], answer)
    # An item naming an order, even one that is no ID, is read as before.
    assert parse_refills.parse_refill_multi([78, 79], [{"order": "+78", "refill": 5}]) == []


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {},
        {"error": ""},
        {"status": "error", "message": "try later"},
        {"data": [{"order": 78, "refill": 5}]},
        [{"status": "queued"}],
        {"refill": "Refill is disabled for this service"},  # words refusing, no ID
        [{"refill": "Not available"}, {"refill": "Not available"}],
    ],
)
def test_a_multi_refill_answer_with_no_refill_id_at_all_is_no_lesson(answer):
    # Read as naming no order, a glitch ({}) or a panel listing only what it
    # accepted ([]) had every later refill asked one order at a time, for good.
    # Each order of it ends Unknown, as before: not in the answer, or garbled.
    try:
        assert parse_refills.parse_refill_multi([78, 79], answer) == []
    except NoOrderNamedError:
        raise
    except BadAnswerError:
        pass


@pytest.mark.parametrize("answer", [{}, {"status": None}, {"refill": "7"}])
def test_a_refill_status_answer_without_a_status_says_so_in_words(answer):
    # {} read "no refill status: None" in `refills` and the refill_unknown alert.
    single = parse_refill_status.parse_refill_status_single("7", answer)
    assert single.status is None
    assert single.error == "no refill status: the answer has no status field"
