"""Property tests for the answer parsers: whatever a panel sends, the tracker
gets either a typed value or one of its own PanelError types, never a stray
KeyError, TypeError, hang or overflow."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracker.errors import PanelError
from tracker.panel import (
    parse,
    parse_account,
    parse_refill_status,
    parse_refills,
    parse_single,
    values,
)
from tracker.panel.not_found import says_not_found, says_order_not_found
from tracker.panel.statuses import normalize_order_status

# Modest counts: these run on every commit, on a 2-core machine.
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["Completed", "In progress", "1e999999999", "-2", "+7", "0.27819", "error"])
)
keys = st.text(max_size=10) | st.sampled_from(
    ["error", "status", "order", "orders", "refill", "remains", "charge", "balance", "service"]
)
# Arbitrary JSON values, biased towards the keys the parsers look for.
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=25,
)
ids = st.lists(st.integers(min_value=1, max_value=10**12), max_size=5)

PARSERS = {
    "parse_order_status": lambda v: parse.parse_order_status(1, v),
    "parse_status_single": lambda v: parse_single.parse_status_single(1, v),
    "parse_status_multi": lambda v: parse.parse_status_multi([1, 2, 3], v),
    "parse_add": parse.parse_add,
    "parse_balance": parse_account.parse_balance,
    "parse_services": parse_account.parse_services,
    "parse_refill_single": lambda v: parse_refills.parse_refill_single(1, v),
    "parse_refill_multi": lambda v: parse_refills.parse_refill_multi([1, 2, 3], v),
    "parse_refill_status_single": lambda v: parse_refill_status.parse_refill_status_single("1", v),
    "parse_refill_status_multi": lambda v: parse_refill_status.parse_refill_status_multi(
        ["1", "2"], v
    ),
    "parse_cancel": lambda v: parse_refills.parse_cancel([1, 2, 3], v),
}


def test_every_parser_is_covered():
    # A parse_* added later must be added here too, or it goes untested.
    public = {
        n
        for m in (parse, parse_account, parse_refills, parse_refill_status, parse_single)
        for n in dir(m)
        if n.startswith("parse_")
    }
    assert public <= set(PARSERS)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FAST
@given(value=json_values)
def test_parsers_raise_only_panel_errors(name, value):
    try:
        PARSERS[name](value)
    except PanelError:
        pass


@FAST
@given(requested=ids, value=json_values)
def test_multi_status_returns_only_ids_that_were_asked_for(requested, value):
    try:
        found = parse.parse_status_multi(requested, value)
    except PanelError:
        return
    assert set(found) <= set(requested)
    assert all(found[i].order_id == i for i in found)


@FAST
@given(
    requested=st.lists(st.integers(1, 4), max_size=4) | ids,
    value=json_values | st.dictionaries(st.sampled_from(["1", "2", "3", "error"]), json_values),
)
def test_cancel_answers_only_orders_that_were_asked_for_once(requested, value):
    try:
        results, _ignored = parse_refills.parse_cancel(requested, value)
    except PanelError:
        return
    named = [r.order_id for r in results]
    assert set(named) <= set(requested) and len(named) == len(set(named))
    assert all(not (r.ok and (r.unknown or r.error)) for r in results)


@FAST
@given(body=st.binary(max_size=300))
def test_decode_json_of_any_bytes_is_json_or_a_panel_error(body):
    try:
        parse.decode_json(body)
    except PanelError as exc:
        assert "\n" not in str(exc)


@FAST
@given(value=json_values)
def test_decode_json_reads_back_what_a_panel_encoded(value):
    body = json.dumps(value).encode()
    try:
        decoded = parse.decode_json(body)
    except PanelError:
        # Only an answer that looks like an HTML page may be refused.
        assert parse.looks_like_html(body)
        return
    assert json.dumps(decoded) == json.dumps(value)


def test_decode_json_of_a_deeply_nested_answer_is_a_panel_error():
    with pytest.raises(PanelError):
        parse.decode_json(b"[" * 100_000)


# --- numbers in any encoding -----------------------------------------------------

# Everything SQLite can store as INTEGER: what counts and IDs end up in.
sqlite_ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def encodings(n: int) -> list[object]:
    sign = "+" if n >= 0 else ""
    return [n, str(n), f"{sign}{n}", f" {n} ", f"{n}.0", Decimal(n)] + (
        [float(n)] if abs(n) < 2**53 else []
    )


@FAST
@given(n=sqlite_ints)
def test_integers_parse_in_every_encoding(n):
    for encoded in encodings(n):
        assert parse.to_int(encoded) == n, encoded
    # And through a real status item, as the panel sends it.
    item = {"status": "In progress", "remains": str(n), "start_count": n, "charge": "0.5"}
    assert parse.parse_order_status(7, item).remains == n


@FAST
@given(
    number=st.decimals(
        allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9, places=5
    )
)
def test_money_parses_from_strings_and_numbers(number):
    assert values.to_decimal(str(number)) == number
    assert values.to_decimal(f"+{number}" if number >= 0 else str(number)) == number
    assert values.to_decimal(float(number)) == Decimal(str(float(number)))
    assert (
        parse_account.parse_balance({"balance": str(number), "currency": "USD"}).balance == number
    )


@given(number=st.floats())
def test_a_money_float_reads_as_the_text_python_writes_for_it(number):
    # A JSON number (0.9, 1e-05, 1e300, -0.0) is read as its text to the 15
    # significant digits a double holds ("0.9"), whichever path reads it:
    # bounded, never a float artefact (0.1 + 0.2 is 0.3, not 0.30000000000000004).
    text = f"{number:.15g}"
    assert values.to_decimal(number) == values.to_decimal(text)
    if values.to_decimal(text) is not None:
        assert str(values.to_decimal(number)) == str(values.to_decimal(text))
    if values.to_decimal(repr(number)) is not None and len(repr(number).strip("-0.")) <= 15:
        assert values.to_decimal(number) == values.to_decimal(repr(number))  # as written


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0.1 + 0.2, "0.3"),
        (0.1 * 3, "0.3"),
        (1.1 + 2.2, "3.3"),
        (0.08011655652, "0.08011655652"),  # as the panel wrote it
        (123456789.12345, "123456789.12345"),  # 14 digits: all kept
        (1e-05, "0.00001"),
    ],
)
def test_a_float_a_panel_computed_is_read_as_the_amount_it_meant(number, expected):
    assert values.to_decimal(number) == Decimal(expected)
    assert parse_account.parse_balance({"balance": number, "currency": "USD"}).balance == Decimal(
        expected
    )


@FAST
@given(n=st.integers(min_value=2**63) | st.integers(max_value=-(2**63) - 1))
def test_integers_sqlite_cannot_hold_are_refused_not_stored(n):
    assume(len(str(abs(n))) < 4000)
    assert parse.to_int(n) is None
    assert parse.to_int(str(n)) is None


@pytest.mark.parametrize("text", ["1e9999999", "-1E999999999", "9" * 30, "1e19"])
def test_absurd_numbers_are_unreadable_not_a_hang(text):
    # int(Decimal("1e9999999")) builds a ten-million-digit number: a panel
    # answering that once would freeze the poll.
    assert parse.to_int(text) is None
    item = parse.parse_order_status(5, {"status": "Completed", "remains": text})
    assert item.status == "Completed" and item.remains is None


def test_every_parsed_integer_fits_in_sqlite():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (n INTEGER)")
    for text in ["9223372036854775807", "-9223372036854775808", "1e18", "+2"]:
        db.execute("INSERT INTO t VALUES (?)", (parse.to_int(text),))
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 4


# --- statuses ---------------------------------------------------------------------

status_text = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


@FAST
@given(raw=status_text)
def test_unknown_statuses_are_kept_verbatim(raw):
    _status, known = normalize_order_status(raw)
    assume(not known)
    single = parse_single.parse_status_single(9, {"status": raw, "remains": "3"})
    if single.error is not None:  # "Order not found" where the status goes: an error
        assert says_order_not_found(raw) and len(raw.split()) > 1
        assert parse.parse_status_multi([9], {"9": {"status": raw}})[9] == single
        return
    assert single.status == raw.strip() and single.raw_status == raw.strip()
    assert not single.known_status
    multi = parse.parse_status_multi([9], {"9": {"status": raw}})
    assert multi[9].status == raw.strip() and multi[9].raw_status == raw.strip()


@FAST
@given(raw=status_text)
def test_refill_statuses_are_kept_verbatim_too(raw):
    item = parse_refill_status.parse_refill_status_single("4", {"status": raw})
    if item.error is not None:  # "Refill not found" where the status goes: an error
        assert says_not_found(raw) and len(raw.split()) > 1
        return
    assert item.raw_status == raw.strip()
    assert item.known_status or item.status == raw.strip()


@pytest.mark.parametrize(
    "text", ["1 000 000 000 000 000", "1\u00a0000\u00a0000\u00a0000\u00a0000\u00a0000"]
)
def test_an_absurd_number_grouped_by_spaces_is_found_for_the_warning(text):
    # Read as 1e18 it is refused as absurd; the cheap byte check that decides
    # whether to look missed the ASCII-space form, so no absurd_number line.
    from tracker.panel.absurd import absurd_numbers, may_hold_absurd

    answer = {"status": "Completed", "charge": text}
    body = json.dumps(answer, ensure_ascii=False).encode()
    assert may_hold_absurd(body)
    assert [name for name, _ in absurd_numbers(answer)] == ["charge"]
