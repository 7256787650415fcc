"""IDs in odd answers a hostile panel sent, read as the rest of the
tracker already reads them (against an in-process fake panel):

- a service ID written "1e3" or "1,000" was stored as service 1000, where an
  order ID written so is refused: a service is listed under an ID `add` can
  send back, read as an `add` answer's order ID is;
- a cancel or refill item naming ``"order": 1001.0`` (or "1001.0") was "not in
  the panel's answer", where a status answer's key "1001.0" is order 1001:
  every key and ``order`` field is now read by that one rule.
"""

from __future__ import annotations

import pytest
from test_client import FakePanel, make_client, ok

from tracker.errors import BadAnswerError


def _listing(*ids: object) -> list[dict[str, object]]:
    return [{"service": i, "name": f"S {i!r}", "rate": "1.00"} for i in ids]


def test_a_service_id_no_order_id_is_written_as_is_no_service():
    odd = ["1e3", "1,000", "+1000", "1000.0", 1e3 + 0.5, "١٠٠٠"]
    client = make_client(FakePanel(ok(_listing(*odd, "7", " 8 ", 9.0, 10))))
    # Before: "1e3", "1,000", "+1000" and "1000.0" were each stored as service 1000.
    assert [s.service for s in client.services()] == [7, 8, 9, 10]


def test_a_listing_of_only_ids_no_order_id_is_written_as_is_no_catalogue():
    client = make_client(FakePanel(ok(_listing("1e3", "1,000"))), retries=0)
    with pytest.raises(BadAnswerError, match="listed 2 items, none a service"):
        client.services()


@pytest.mark.parametrize("named", [1001.0, "1001.0", " 1001", "1001"])
def test_a_cancel_item_naming_its_order_as_a_status_key_would_is_that_orders(named):
    answer = [{"order": named, "cancel": 1}, {"order": 1002, "cancel": 1}]
    client = make_client(FakePanel(ok(answer)))
    results = {r.order_id: r for r in client.cancel([1001, 1002])}
    # Before (1001.0, "1001.0", " 1001"): 1001 unknown, "not in the panel's answer".
    assert results[1001].ok and not results[1001].unknown
    assert results[1002].ok


@pytest.mark.parametrize("named", [1001.0, "1001.0", " 1001"])
def test_a_refill_item_naming_its_order_as_a_status_key_would_is_that_orders(named):
    multi = make_client(
        FakePanel(ok([{"order": named, "refill": 5}, {"order": 1002, "refill": 6}]))
    )
    assert [(r.order_id, r.refill_id, r.unknown) for r in multi.refills([1001, 1002])] == [
        (1001, "5", False),
        (1002, "6", False),
    ]
    single = make_client(FakePanel(ok({"order": named, "refill": 7})))
    request = single.refill(1001)
    assert (request.refill_id, request.unknown) == ("7", False)


@pytest.mark.parametrize("named", ["+1001", "1001.5", "10e2", True])
def test_a_cancel_item_naming_no_order_id_still_cancels_none(named):
    answer = [{"order": named, "cancel": 1}, {"order": 1002, "cancel": 1}]
    client = make_client(FakePanel(ok(answer)))
    results = {r.order_id: r for r in client.cancel([1001, 1002])}
    assert 1001 not in results or not results[1001].ok
    assert results[1002].ok


@pytest.mark.parametrize("named", [1001.0, "1001.0", " 1001"])
def test_a_status_items_order_is_read_by_the_rule_of_its_key(named):
    # One rule for a key and an ``order`` field in every answer: before, this
    # item under key "1001" (or alone, to order=1001) was another order's.
    item = {"order": named, "status": "Completed", "charge": "1", "remains": "0"}
    keyed = make_client(FakePanel(ok({"1001": item})))
    assert keyed.statuses([1001])[1001].status == "Completed"
    alone = make_client(FakePanel(ok(item)))
    assert alone.status(1001).status == "Completed"


DRIP = {"status": "In progress", "runs": 3, "charge": "1", "remains": "50"}
CHILDREN = [1101, 1102.0, "1103.0", " 1104", "1105", "+1106", "1107.5", "1e3", True, 0, None]


def test_a_drip_feed_orders_children_are_read_by_the_rule_of_a_status_key():
    item = {**DRIP, "orders": CHILDREN}
    keyed = make_client(FakePanel(ok({"1001": item})))
    alone = make_client(FakePanel(ok(item)))
    # Before: 1102.0, "1103.0" and " 1104" were no child order: (1101, 1105).
    # "No ID" stays as it was: such a child is left out, the order read.
    for read in (keyed.statuses([1001])[1001], alone.status(1001)):
        assert read.status == "In progress"
        assert read.child_orders == (1101, 1102, 1103, 1104, 1105)
