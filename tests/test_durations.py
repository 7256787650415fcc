import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.config.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("24h", 86400),
        ("30d", 30 * 86400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1d2h3m4s", 86400 + 7200 + 180 + 4),
        ("500ms", 0.5),
        ("1s500ms", 1.5),
        ("1.5h", 5400),
        (".5s", 0.5),
        ("0s", 0),
        ("  10S ", 10),
        (0, 0),
        (45, 45),
        (2.5, 2.5),
    ],
)
def test_parse_duration_accepts(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)
    assert isinstance(parse_duration(text), float)


@pytest.mark.parametrize(
    "value",
    ["5x", "", "   ", "90", "m", "5 minutes", "-5s", "1h-30m", "5m1h", "1m1m", "1h30", "1e3s"],
)
def test_parse_duration_refuses_text(value):
    with pytest.raises(ValueError, match="is not a duration like 90s, 5m, 24h, 30d"):
        parse_duration(value)


@pytest.mark.parametrize("value", ["\u0663d", "1h\u0663m", "\uff15m", "1.\u0665h", "\u0968s"])
def test_parse_duration_takes_ascii_digits_only(value):
    with pytest.raises(ValueError, match=r"is not a duration like .* \(digits 0-9 only\)"):
        parse_duration(value)


def test_parse_duration_message_quotes_the_value():
    with pytest.raises(ValueError) as caught:
        parse_duration("5x")
    assert str(caught.value) == "'5x' is not a duration like 90s, 5m, 24h, 30d"


@pytest.mark.parametrize("value", [-1, -0.5, math.inf, math.nan])
def test_parse_duration_refuses_bad_numbers(value):
    with pytest.raises(ValueError, match="non-negative number of seconds"):
        parse_duration(value)


@pytest.mark.parametrize("value", [True, None, [5], {"s": 5}])
def test_parse_duration_refuses_other_types(value):
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400, "1d"),
        (30 * 86400, "30d"),
        (90061, "1d1h1m1s"),
        (0.5, "500ms"),
        (1.25, "1s250ms"),
        (0.0004, "0s"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("value", [-1, math.inf, math.nan])
def test_format_duration_refuses_bad_numbers(value):
    with pytest.raises(ValueError):
        format_duration(value)


@given(st.integers(min_value=0, max_value=400 * 86400 * 1000))
def test_format_then_parse_round_trips(milliseconds):
    seconds = milliseconds / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize("value", ["36501d", "99999999999d", "9" * 400 + "s", 4e9])
def test_parse_duration_refuses_more_than_100_years(value):
    assert parse_duration("36500d") == 100 * 365 * 86400
    with pytest.raises(ValueError, match="is longer than 100 years"):
        parse_duration(value)


def test_a_bare_number_in_quotes_says_what_works():
    # Walk: `timeout = "30"` was refused as "not a duration" without the two
    # spellings that work; on the command line only "30s" does.
    unit = "'30' is not a duration like 90s, 5m, 24h, 30d: a number needs its unit (\"30s\")"
    with pytest.raises(ValueError) as caught:
        parse_duration(" 30 ")
    assert str(caught.value) == unit
    with pytest.raises(ValueError) as caught:
        parse_duration("2.5", toml=True)
    assert str(caught.value) == (
        "'2.5' is not a duration like 90s, 5m, 24h, 30d: a number needs its unit "
        '("2.5s"), or 2.5 without quotes (seconds)'
    )
    assert parse_duration(30) == parse_duration("30s") == 30.0  # both said to work, and do


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1w", 7 * 86400), ("2w", 14 * 86400), ("1w2d", 9 * 86400), ("2W 12h", 14.5 * 86400)],
)
def test_weeks_are_read(text, seconds):
    # A new user's `--since 2w` was refused as "not a duration".
    assert parse_duration(text) == seconds
    assert format_duration(14 * 86400) == "14d"
    assert "w" not in format_duration(parse_duration(text))  # still shown in days


@pytest.mark.parametrize(
    ("text", "instead"),
    [
        ("1y", 'a year has no fixed length, so write days ("365d")'),
        ("2years", 'a year has no fixed length, so write days ("730d")'),
        ("1.5y", 'a year has no fixed length, so write days ("547.5d")'),
        ("6mo", 'a month has no fixed length, so write days ("180d")'),
        ("1 month", 'a month has no fixed length, so write days ("30d")'),
    ],
)
def test_months_and_years_are_refused_saying_the_days_to_write(text, instead):
    # They were refused with the bare "not a duration like 90s, 5m, 24h, 30d".
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"{text!r} is not a duration like 90s, 5m, 24h, 30d: {instead}"
