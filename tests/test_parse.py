import json
import re
from decimal import Decimal

import pytest

from tracker.errors import AuthError, BadAnswerError, PanelAnswerError
from tracker.panel import (
    flags,
    parse,
    parse_account,
    parse_refill_status,
    parse_refills,
    parse_single,
)


def test_status_with_string_numbers(answers):
    s = parse_single.parse_status_single(7, answers["status_single_strings"])
    assert (s.status, s.remains, s.start_count) == ("Partial", 157, 3572)
    assert s.charge == Decimal("0.27819") and s.currency == "USD"


def test_status_with_real_numbers_and_other_currency(answers):
    s = parse_single.parse_status_single(7, answers["status_single_numbers"])
    assert s.charge == Decimal("0.08011655652") and s.remains == 10 and s.currency == "RUB"


def test_pending_order_has_null_start_count(answers):
    assert parse_single.parse_status_single(7, answers["status_single_pending"]).start_count is None


def test_negative_remains_after_overdelivery(answers):
    assert parse_single.parse_status_single(7, answers["status_single_overdelivered"]).remains == -2


def test_dripfeed_status_with_child_orders(answers):
    s = parse_single.parse_status_single(7, answers["status_dripfeed"])
    assert s.status == "In progress" and s.runs == 2 and s.child_orders == (1001, 1002)
    assert s.remains is None


def test_error_is_checked_before_numeric_status(answers):
    with pytest.raises(AuthError, match="API key is incorrect"):
        parse_single.parse_status_single(7, answers["status_error_with_code"])


def test_multi_status_object_with_per_item_error(answers):
    result = parse.parse_status_multi([1, 10, 100], answers["status_multi_dict"])
    assert result[1].status == "Partial"
    assert result[10].error == "Incorrect order ID" and result[10].status is None
    assert result[100].remains == 10


def test_multi_status_bare_string_error_and_british_spelling(answers):
    result = parse.parse_status_multi([1, 2], answers["status_multi_bare_string"])
    assert result[1].status == "Canceled" and result[1].raw_status == "Cancelled"
    assert result[2].error == "Incorrect order ID"


def test_multi_status_items_with_order_field_and_typos(answers):
    result = parse.parse_status_multi([1, 2], answers["status_multi_with_order_field"])
    assert result[1].status == "On hold at provider"  # unknown: kept verbatim
    assert result[1].known_status is False
    assert result[2].status == "Completed"


def test_multi_status_list_shape_drops_unknown_ids(answers):
    result = parse.parse_status_multi([1, 2, 3], answers["status_multi_list"])
    assert set(result) == {1, 3}
    assert result[3].status == "Pending"


def test_multi_status_whole_answer_error(answers):
    with pytest.raises(PanelAnswerError, match="Order not found"):
        parse.parse_status_multi([1, 2], answers["status_multi_not_found"])


@pytest.mark.parametrize(
    ("error", "raised"),
    [("Invalid API key", AuthError), ("Database error, results may be stale", PanelAnswerError)],
)
def test_an_error_beside_order_items_is_the_whole_calls(error, raised):
    # Items next to a top-level error are no order's news: read, every order
    # asked was stored Canceled (terminal) on a refused key.
    data = {str(i): {"status": "Canceled", "remains": "1000", "charge": "0"} for i in (1, 2)}
    data["error"] = error
    with pytest.raises(raised, match=re.escape(error)):
        parse.parse_status_multi([1, 2], data)
    with pytest.raises(raised):
        parse.parse_status_multi([2], {"2": "Canceled", "error": error})


def test_ids_nobody_asked_for_are_ignored(answers):
    assert set(parse.parse_status_multi([1], answers["status_multi_dict"])) == {1}


def test_add(answers):
    assert parse.parse_add(answers["add_ok"]) == 23501
    assert parse.parse_add(answers["add_ok_numeric_status"]) == 123
    with pytest.raises(PanelAnswerError, match="Not enough funds"):
        parse.parse_add(answers["add_no_funds"])
    with pytest.raises(PanelAnswerError, match="neworder.error.not_enough_funds"):
        parse.parse_add(answers["add_untranslated"])


def test_balance(answers):
    assert parse_account.parse_balance(answers["balance"]).balance == Decimal("100.84292")
    b = parse_account.parse_balance(answers["balance_number"])
    assert b.balance == Decimal("12.5") and b.currency == "EUR"


def test_services_flags_and_broken_items(answers):
    services = {s.service: s for s in parse_account.parse_services(answers["services"])}
    assert set(services) == {1, 2, 3, 4}
    assert services[1].refill and services[1].cancel
    assert not services[2].refill and services[2].cancel
    assert services[3].refill and services[3].dripfeed and not services[3].cancel
    assert not services[4].refill and not services[4].cancel  # missing means false
    assert services[2].rate == Decimal(8) and services[1].min == 50


@pytest.mark.parametrize("service", [-5, "-5", 0, "0", -7.0])
def test_a_service_id_below_one_is_no_service(service):
    # Stored as they came, `services` listed a service -5 that `add` cannot
    # place an order for (the CLI takes service IDs from 1).
    listed = [{"service": service, "name": "Odd"}, {"service": "7", "name": "Likes"}]
    assert [s.service for s in parse_account.parse_services(listed)] == [7]


def test_refill_answers(answers):
    assert parse_refills.parse_refill_single(5, answers["refill_single"]).refill_id == "1"
    assert (
        parse_refills.parse_refill_single(5, answers["refill_single_success_text"]).refill_id
        == "12345"
    )
    refused = parse_refills.parse_refill_single(5, answers["refill_single_refused"])
    assert refused.refill_id is None and refused.error == "Refill is disabled for this service"
    multi = parse_refills.parse_refill_multi([1, 2, 3], answers["refill_multi"])
    assert [(r.order_id, r.refill_id, r.error) for r in multi] == [
        (1, "1", None),
        (2, "2", None),
        (3, None, "Incorrect order ID"),
    ]


def test_refill_status_answers(answers):
    assert parse_refill_status.parse_refill_status_single(
        "1", answers["refill_status_single"]
    ).status == ("Completed")
    multi = parse_refill_status.parse_refill_status_multi(
        ["1", "2", "3"], answers["refill_status_multi"]
    )
    assert [(r.refill_id, r.status, r.error) for r in multi] == [
        ("1", "Completed", None),
        ("2", "In progress", None),
        ("3", None, "Refill not found"),
    ]


def test_cancel_answers(answers):
    result, ignored = parse_refills.parse_cancel([9, 2], answers["cancel_multi"])
    assert ignored == []
    assert [(c.order_id, c.ok, c.error) for c in result] == [
        (9, False, "Incorrect order ID"),
        (2, True, None),
    ]


@pytest.mark.parametrize("value", [1, True, "1", "true", " TRUE "])
def test_a_plain_yes_is_an_accepted_cancel(value):
    [result], _ = parse_refills.parse_cancel([5], [{"order": 5, "cancel": value}])
    assert (result.ok, result.unknown, result.error) == (True, False, None)


@pytest.mark.parametrize("value", [2, "2", -1, 0.5, 1.0, "yes", "on", "y", "ok", "success"])
def test_a_cancel_result_that_is_no_plain_yes_is_unknown_and_shown(value):
    [result], _ = parse_refills.parse_cancel([5], {"5": value})
    assert (result.ok, result.unknown) == (False, True)
    assert result.error == f"answered without a readable cancel result: {value!r}"
    if value not in ("2", "ok", "success"):  # beside an error, what may be a yes:
        item = {"order": 5, "cancel": value, "error": "x"}  # unknown, as before
        [result], _ = parse_refills.parse_cancel([5], [item])
        assert (result.ok, result.unknown) == (False, True)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
        b"<html><title>502 Bad Gateway</title></html>",
        b'{"order": 12',
        b"",
        b"\xff\xfe garbage",
    ],
)
def test_non_json_bodies_are_a_clear_error(body):
    with pytest.raises(BadAnswerError):
        parse.decode_json(body)


@pytest.mark.parametrize("data", [None, 3, "x", [], [1, 2], {"foo": 1}, True])
def test_wrong_shapes_raise_only_the_clients_errors(data):
    for fn in (parse.parse_add, parse_account.parse_balance):
        with pytest.raises(BadAnswerError):
            fn(data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("157", 157),
        (157, 157),
        (157.0, 157),
        ("-2", -2),
        ("+2", 2),
        (None, None),
        ("", None),
        ("abc", None),
        (True, None),
        ("1.5", None),
        ("1,000", 1000),
    ],
)
def test_to_int(value, expected):
    assert parse.to_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (1, True),
        ("1", True),
        ("0", False),
        (0, False),
        (None, False),
        ("true", True),
        (False, False),
    ],
)
def test_to_bool(value, expected):
    assert flags.to_bool(value) is expected


def test_auth_errors_are_recognised():
    for text in ["Invalid API key", "API key is incorrect", "Your account is inactive"]:
        with pytest.raises(AuthError):
            parse.raise_for_error({"error": text})


@pytest.mark.parametrize(
    ("charge", "expected"), [("-3", None), (-0.5, None), ("0", "0"), ("2.5", "2.5")]
)
def test_a_negative_charge_is_unreadable(charge, expected):
    from decimal import Decimal

    got = parse.parse_order_status(1, {"status": "Completed", "charge": charge}).charge
    assert got == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5", Decimal("1.5")),  # a decimal comma: was read as 15
        ("0,27819", Decimal("0.27819")),
        ("1,234.5", Decimal("1234.5")),  # thousands
        ("12,345,678", Decimal("12345678")),
        ("1,2,3", None),  # neither: unreadable, never a guess
        ("0,250", Decimal("0.25")),  # no thousands writer puts a 0 first: was 250
        ("-0,125", Decimal("-0.125")),
        ("1,250", Decimal("1250")),  # thousands, as PHP's number_format writes them
        ("1.234,56", Decimal("1234.56")),  # points for thousands before a decimal comma
        ("1 250,50", Decimal("1250.50")),  # PHP's number_format(x, 2, ',', ' '): RUB panels
        ("1\u00a0250,50", Decimal("1250.50")),
        ("1 250.50", Decimal("1250.50")),
        ("12 345 678", Decimal("12345678")),
        ("1.234.567,5", Decimal("1234567.5")),
        ("1.2,5", None),  # neither
        ("1 25,5", None),  # a group of two: no thousands writer puts it so
        ("0 250", None),
    ],
)
def test_a_comma_in_a_number_is_read_as_written_or_not_at_all(text, expected):
    from tracker.panel.values import to_decimal

    assert to_decimal(text) == expected
    parsed = parse_account.parse_services(
        [{"service": 1, "name": "x", "rate": text, "min": 1, "max": 9}]
    )
    assert parsed[0].rate == expected
    if expected is not None:  # a balance so written failed every balance check
        assert parse_account.parse_balance({"balance": text, "currency": "RUB"}).balance == expected


# Python's Decimal(), int() and float() read "_" between digits and any
# script's digits: "1_000" was a charge of 1000, "١٢" a remains of 12.
NOT_NUMBERS = ["1_000", "1_0.5", "١٢", "١٢,٥", "１２", "1,٠٠٠", "0.٢٥", "๑"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
@pytest.mark.parametrize("field", ["charge", "remains", "start_count", "runs"])
def test_a_status_number_in_other_digits_or_with_underscores_is_unreadable(field, text):
    read = parse.parse_order_status(1, {"status": "Partial", field: text})
    assert getattr(read, field) is None  # as "abc" is
    abc = parse.parse_order_status(1, {"status": "Partial", field: "abc"})
    assert read._replace(unread_remains=None) == abc._replace(unread_remains=None)
    # An unreadable remains is said as sent (remains_unreadable), as "abc" is.
    assert read.unread_remains == (text if field == "remains" else None)


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_balance_or_service_in_other_digits_or_with_underscores_is_unreadable(text):
    with pytest.raises(BadAnswerError, match="without a number"):
        parse_account.parse_balance({"balance": text, "currency": "USD"})
    listed = {"service": 1, "name": "x", "rate": text, "min": text, "max": text}
    read = parse_account.parse_services([listed, {"service": text, "name": "y", "rate": "1"}])
    assert [(s.service, s.rate, s.min, s.max) for s in read] == [(1, None, None, None)]


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\u00a0", "\u2009", "\u3000"])
def test_spaces_around_a_number_are_read_past_and_inside_it_are_not(space):
    def read(field: str, text: str):
        return getattr(parse.parse_order_status(1, {"status": "Partial", field: text}), field)

    assert read("charge", f"{space}1.5{space}") == Decimal("1.5")
    assert read("remains", f"{space}12") == 12
    assert read("remains", f"1{space}2") is None
    # Thousands grouped by a space, a no-break or a thin space are read; by
    # other white space, not.
    grouped = Decimal("1000") if space in (" ", "\u00a0", "\u2009") else None
    assert read("charge", f"1{space}000") == grouped


def test_multi_status_item_filed_under_another_key_is_neither_orders():
    answer = {"1": {"order": 2, "status": "Canceled"}, "3": {"order": "3", "status": "Pending"}}
    assert set(parse.parse_status_multi([1, 2, 3], answer)) == {3}
    twice = [{"order": 1, "status": "Completed"}, {"order": 1, "status": "Pending"}]
    with pytest.raises(BadAnswerError, match="nothing readable about the asked ID"):
        parse.parse_status_multi([1], twice)


def test_single_status_naming_another_order_is_a_bad_answer():
    with pytest.raises(BadAnswerError, match="answered order 2 when asked for order 1"):
        parse_single.parse_status_single(1, {"order": "2", "status": "Completed"})
    assert (
        parse_single.parse_status_single(1, {"order": "1", "status": "Completed"}).status
        == "Completed"
    )


def test_an_order_given_twice_differently_in_one_status_answer_is_read_for_neither():
    # The decoder kept the last: order 1 was read Canceled (the panel also said
    # Completed); now it is left out (asked again alone), order 2 read as said.
    body = (
        b'{"1": {"status": "Completed", "remains": "0"}, "2": {"status": "Pending"},'
        b' "1": {"status": "Canceled", "remains": "100"}}'
    )
    found = parse.parse_status_multi([1, 2], parse.decode_json(body))
    assert set(found) == {2} and found[2].status == "Pending"
    alike = b'{"1": {"status": "Completed"}, "1": {"status": "Completed"}}'
    assert parse.parse_status_multi([1], parse.decode_json(alike))[1].status == "Completed"


def test_a_status_given_twice_differently_in_one_item_is_no_status():
    body = b'{"1": {"status": "Completed", "status": "Canceled"}, "2": {"status": "Pending"}}'
    found = parse.parse_status_multi([1, 2], parse.decode_json(body))
    assert set(found) == {2}
    with pytest.raises(BadAnswerError):
        parse_account.parse_balance(parse.decode_json(b'{"balance": "5.00", "balance": "900.00"}'))


def test_a_services_listing_giving_a_term_twice_is_read_once_per_value():
    # Lone surrogates (U+FFFD after decoding) keep the values given, too.
    for name in (b"Likes", b"Likes \\ud800"):
        body = b'[{"service": 1, "name": "' + name + b'", "refill": true, "refill": false}]'
        listed = parse_account.parse_services(parse.decode_json(body))
        assert [(s.service, s.refill) for s in listed] == [(1, True), (1, False)]


# Read leniently (to_int), each of these was order 78: an answer about whatever
# the panel meant was filed as order 78's news. ("78.0", " 78" and 78.0 are
# order 78, as a status key: tests/test_ids_read_alike.py.)
NOT_ORDER_78 = ["+78", "7.8e1", "78.5", "7_8"]


@pytest.mark.parametrize("said", NOT_ORDER_78)
def test_a_status_order_field_that_is_no_order_id_names_no_asked_order(said):
    shown = re.escape(f"answered order {said!r} when asked for order 78")
    with pytest.raises(BadAnswerError, match=shown):
        parse_single.parse_status_single(78, {"order": said, "status": "Completed"})
    keyed = {"78": {"order": said, "status": "Completed"}, "79": {"status": "Pending"}}
    assert set(parse.parse_status_multi([78, 79], keyed)) == {79}  # 78: asked again alone
    listed = [{"order": said, "status": "Completed"}, {"order": 79, "status": "Pending"}]
    assert set(parse.parse_status_multi([78, 79], listed)) == {79}


def test_another_orders_error_in_a_single_status_answer_is_not_this_orders():
    # Read as order 78's own "Order not found", it counted 78 unknown and,
    # in time, gave it up: for words the panel said about order 79.
    with pytest.raises(BadAnswerError, match="answered order 79 when asked for order 78"):
        parse_single.parse_status_single(78, {"error": "Order not found", "order": 79})
    with pytest.raises(PanelAnswerError, match="Order not found"):  # its own: still an error
        parse_single.parse_status_single(78, {"error": "Order not found", "order": 78})
    with pytest.raises(AuthError):  # the key refused is the key refused, whatever it names
        parse_single.parse_status_single(78, {"error": "Invalid API key", "order": 79})


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_order_field_names_no_order_and_the_key_decides(empty):
    # PHP panel scripts write "" for a field they have no value for: that is
    # no other order's ID, and the item is its key's order's news.
    assert parse_single.parse_status_single(78, {"order": empty, "status": "Completed"}).status == (
        "Completed"
    )
    keyed = {"78": {"order": empty, "status": "Completed"}, "79": {"status": "Pending"}}
    assert parse.parse_status_multi([78, 79], keyed)[78].status == "Completed"


def test_child_orders_are_only_usable_order_ids():
    # Read by the rule of a status key: "1002.0" and 1004.0 are 1002 and 1004.
    item = {"status": "In progress", "runs": 2, "orders": [1001, "1002.0", "+1003", 1004.0, "1005"]}
    assert parse_single.parse_status_single(7, item).child_orders == (1001, 1002, 1004, 1005)


@pytest.mark.parametrize("said", NOT_ORDER_78)
def test_a_cancel_answer_naming_no_order_id_cancels_no_order(said):
    results = {
        "under a key": parse_refills.parse_cancel([78, 79], {"78": {"order": said, "cancel": 1}}),
        "in a list": parse_refills.parse_cancel([78], [{"order": said, "cancel": 1}]),
    }
    assert not any(r.ok for answer in results.values() for r in answer.results)
    [keyed] = results["under a key"].results
    assert (keyed.order_id, keyed.unknown) == (78, True)
    assert keyed.error == f"answered under order 78 for order {said!r}"
    assert results["in a list"].results == []  # 78: "not in the panel's answer"
    assert results["in a list"].ignored == [json.dumps({"order": said, "cancel": 1})]


@pytest.mark.parametrize("key", ["78.5", "+78", "7_8", "78e0", "status"])
def test_a_cancel_item_under_a_key_that_is_no_order_id_is_unknown(key):
    answer = parse_refills.parse_cancel([78, 79], {key: {"order": 78, "cancel": 1}, "79": 1})
    assert [(r.order_id, r.ok, r.unknown, r.error) for r in answer.results] == [
        (78, False, True, f"answered under order {key!r} for order 78"),
        (79, True, False, None),
    ]
    # A PHP list index is no order's key: its item's order tells, as before.
    php = parse_refills.parse_cancel([78], {"0": {"order": 78, "cancel": 1}})
    assert [(r.order_id, r.ok) for r in php.results] == [(78, True)]
