"""The plain path of a status answer (tracker/panel/plain_items.py) reads
exactly what the full path reads: both are fed the same answers, well-formed
and hostile, generated, and must return the same statuses or raise the same
error."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import PanelError
from tracker.panel import parse
from tracker.panel.plain_items import plain_answer, plain_status

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ASKED = [23501, 23502, 23503, 78]

statuses_list: list[Any] = [
    "Completed",
    "pending",
    " In progress ",
    "IN_PROGRESS",
    "Canceled: invalid link",
    "Order not found",
    "Error",
    "In queue (1532)",
    "",
    "   ",
    "Completed" + " " * 1000,
    "x" * 1001,
    "Partial\x00",
    "ｃｏｍｐｌｅｔｅｄ",
]
statuses = st.sampled_from(statuses_list) | st.text(max_size=12)
numbers_list: list[Any] = [
    "0",
    "1000",
    "0.90000",
    "-2",
    "+2",
    " 7",
    "12.0",
    "1,250",
    "0,25",
    "1 250,50",
    "$1.50",
    "12.00 USD",
    "1e5",
    "1e999999999",
    "٣",
    "",
    "9" * 19,
    "9" * 16,
    "0.1234567890123",
    "-0.00",
    "-0",
]
# Values the plain path could misread: each put in one field of a well-formed item.
SPOILERS: list[Any] = [
    " usd ",
    " 7",
    "-",
    "-0",
    "--2",
    "-+2",
    "-" + "9" * 17,
    "-" + "9" * 18,
    "-" + "9" * 19,
    "9" * 18,
    "9" * 19,
    "0" * 20 + "1",
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    10**15 - 1,
    10**15,
    1234.5678901234567,
    0.1 + 0.2,
    1e15,
    1e-19,
    -0.0,
    float("nan"),
    float("inf"),
    " Completed ",
    "Completed" + " " * 1000,
    " " * 992 + "Completed",
    "Canceled: " + "x" * 991,  # its 1001 characters stored cut: read in full
    "x" * 1001,
    True,
    False,
    [],
    {},
]
numbers = st.sampled_from(numbers_list + SPOILERS) | st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)
texts = st.none() | st.sampled_from(["USD", " usd ", "", "€", "x" * 1001]) | st.integers()
order_fields = st.sampled_from([23501, "23501", 23501.0, "023501", "", True, 78, "78", None, 0])


WELL_FORMED = {
    "status": st.sampled_from(["Completed", "pending", "In progress", "PARTIAL", "Canceled"]),
    "charge": st.sampled_from(["0.90000", "12", 0.9, 3, 0, None]),
    "start_count": st.sampled_from(["0", "157", 157, None]),
    "remains": st.sampled_from(["1000", 0, None, "-2", -2]),
    "runs": st.sampled_from(["3", 2, None]),
    "currency": st.sampled_from(["USD", "EUR", None]),
}
HOSTILE = {
    "status": statuses | numbers,
    "charge": numbers,
    "start_count": numbers,
    "remains": numbers,
    "runs": numbers,
    "currency": texts,
}


# Each strategy made once: one made inside a draw is a new object each
# example, whose properties Hypothesis works out again.
ANYTHING = st.none() | st.text(max_size=20) | st.integers() | st.lists(st.none())
SPOILT = st.sets(st.sampled_from(sorted(HOSTILE)), max_size=2)
CHANCES = {n: st.integers(0, n) for n in (6, 7, 9, 12)}
ERRORS = st.sampled_from(["Incorrect order ID", "", None, False, 0])
ORDERS = st.lists(st.integers(-2, 3) | st.text(max_size=3), max_size=3)


@st.composite
def items(draw: Any) -> Any:
    """One order's item: well-formed but for a field or two, or anything."""
    if draw(CHANCES[9]) == 0:
        return draw(ANYTHING)
    item: dict[str, Any] = {}
    spoilt = draw(SPOILT)
    for field, values in WELL_FORMED.items():
        if draw(CHANCES[7]):
            item[field] = draw(HOSTILE[field] if field in spoilt else values)
    if draw(CHANCES[6]) == 0:
        item["order"] = draw(order_fields)
    if draw(CHANCES[12]) == 0:
        item["error"] = draw(ERRORS)
    if draw(CHANCES[12]) == 0:
        item["orders"] = draw(ORDERS)
    return item


keys = st.sampled_from(
    ["23501", "23502", "23503", "78", "0078", "078", "", "78.0", "99", "error", 23501, 78, 78.0]
)
answers = st.dictionaries(keys, items(), max_size=5)


def read(data: Any, plain: bool) -> Any:
    try:
        return parse.parse_status_multi(ASKED, data, plain=plain)
    except PanelError as exc:
        return type(exc), str(exc)


def same(a: Any, b: Any) -> bool:
    """Equal, and equal as stored: a Decimal's exponent too ("0.90000")."""
    return repr(a) == repr(b)


@FAST
@given(answers)
def test_an_answer_reads_the_same_plain_or_in_full(data: dict[str, Any]) -> None:
    assert same(read(data, plain=True), read(data, plain=False))


@FAST
@given(answers)
def test_an_answer_through_json_reads_the_same_plain_or_in_full(data: dict[str, Any]) -> None:
    text = json.dumps(data)  # floats and long integers as a panel writes them
    decoded = parse.decode_json(text.encode())
    assert same(read(decoded, plain=True), read(decoded, plain=False))


@FAST
@given(items())
def test_an_item_read_plain_is_what_the_full_path_reads(item: Any) -> None:
    plain = plain_status(23501, item)
    if plain is not None:
        assert same(plain, parse.parse_order_status(23501, item))


def test_each_field_spoilt_reads_the_same_plain_or_in_full() -> None:
    """Every field of a well-formed item given each value that could trip the
    plain path, one at a time: the same OrderStatus, or left to the full path."""
    base = {"status": "Completed", "charge": "0.90000", "start_count": "0", "remains": "10",
            "runs": "2", "currency": "USD"}  # fmt: skip
    for field in base:
        for value in [*SPOILERS, *statuses_list, *numbers_list]:
            item = {**base, field: value}
            plain = plain_status(23501, item)
            if plain is not None:
                assert same(plain, parse.parse_order_status(23501, item)), (field, value)
            data = {"23501": item}
            assert same(read(data, plain=True), read(data, plain=False)), (field, value)


def test_the_usual_answer_is_read_on_the_plain_path() -> None:
    """The simulated panel's answers (its quirks on): every item plain."""
    data = {
        "23501": {"order": 23501, "charge": "0.90000", "start_count": "0", "status": "pending",
                  "remains": 1000, "currency": "USD"},
        "23502": {"order": "23502", "charge": 0.9, "start_count": None, "status": "IN PROGRESS",
                  "remains": "1000", "currency": "USD"},
    }  # fmt: skip
    said = plain_answer({23501, 23502}, data, lambda *_: None)
    assert said is not None and same(
        said, parse.parse_status_multi([23501, 23502], data, plain=False)
    )
    assert said[23501].charge == Decimal("0.90000") and said[23502].status == "In progress"


def test_an_odd_item_beside_plain_ones_is_read_in_full() -> None:
    """An unknown order's error, a bare word, an item that says nothing among
    well-formed items: each read as the full path reads it."""
    plain = {"status": "Completed", "charge": "0.9", "remains": "0"}
    odd: list[Any] = [
        {"error": "Incorrect order ID"},
        "Incorrect order ID",
        "Canceled",
        None,
        {},
        {"status": ""},
        {"status": "In queue (1532)"},
        {"status": "Order not found"},
        {"status": "Completed", "charge": "1 250,50"},
        {"status": "Partial", "orders": [1, "2"]},
    ]
    for item in odd:
        data = {"23501": plain, "23502": item, "23503": plain}
        assert same(read(data, plain=True), read(data, plain=False)), item
    for item in odd:  # alone: an answer saying nothing raises as in full
        assert same(read({"23502": item}, plain=True), read({"23502": item}, plain=False))


def test_a_misfiled_or_doubtful_answer_is_left_to_the_full_path() -> None:
    """Items the plain path must not read: each one's answer is the full path's."""
    doubtful = [
        {"23501": {"order": 23501.0, "status": "Completed"}},  # 23501.0 is no ID
        {"23501": {"order": True, "status": "Completed"}},
        {"23501": {"order": 23502, "status": "Completed"}},  # misfiled
        {"0078": {"status": "Completed"}, "78": {"status": "Canceled"}},  # one order twice
        {"23501": {"status": "Completed", "charge": "-0.50"}},  # no charge
        {"23501": {"status": "Completed", "remains": 2**63}},
        {"23501": {"status": "Completed", "charge": 10**15}},
        {"23501": {"status": "Order not found"}},
        {"23501": {"status": "Completed", "error": None}},
        {"23501": {"status": "Completed"}, "99": {"status": "Completed"}},  # not asked
        {23501: {"status": "Completed"}, "23502": {"status": "Completed"}},  # no JSON's key
    ]
    # An order given twice, differently, beside a plain one (json_decoder.Twice).
    given_twice = b'{"23501": {"status": "Completed"}, "23501": {"status": "Canceled"}, '
    doubtful.append(parse.decode_json(given_twice + b'"23502": {"status": "Completed"}}'))
    for data in doubtful:
        assert same(read(data, plain=True), read(data, plain=False)), data


def test_a_charge_or_currency_given_twice_is_left_to_the_full_path() -> None:
    """A charge or currency given twice, differently (json_decoder.Twice) is no
    plain field: the item is read in full, which names both values."""
    item = b'{"23501": {"status": "Completed", "charge": "0.9", "charge": "1.2", '
    data = parse.decode_json(item + b'"currency": "USD", "currency": "EUR"}}')
    assert plain_status(23501, data["23501"]) is None
    said = read(data, plain=True)
    assert same(said, read(data, plain=False))
    assert said[23501].charge is None and said[23501].currency is None
    assert said[23501].twice == (("charge", ("0.9", "1.2")), ("currency", ("USD", "EUR")))
