"""A number or a boolean written in quotes (``max_batch = "100"``,
``enabled = "false"``): the problem says the quotes are what is wrong.

newuser197: it said ``must be an integer, not a string`` alone, and a
newcomer who wrote "100" read it as the integer asked for. The value is
still never said back (a config's values may hold the key)."""

from __future__ import annotations

import pytest
from test_config import problems, with_value

NUMBER = "write the number without quotes"
BOOLEAN = "write true or false without quotes"


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        ("panels[0].max_batch", "100", f"must be an integer, not a string: {NUMBER}"),
        ("panels[0].concurrency", " 4 ", f"must be an integer, not a string: {NUMBER}"),
        ("panels[0].retries", "-1", f"must be an integer, not a string: {NUMBER}"),
        ("refill.drop_threshold", "0.5", f"must be a number, not a string: {NUMBER}"),
        ("refill.enabled", "false", f"must be true or false, not a string: {BOOLEAN}"),
        ("refill.window_from_name", "True", f"must be true or false, not a string: {BOOLEAN}"),
    ],
)
def test_a_number_or_boolean_in_quotes_says_to_drop_the_quotes(tmp_path, path, value, said):
    found = problems(with_value(path, value), tmp_path)
    assert found == [f"at '{path}': {said}"], found


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        ("panels[0].max_batch", "lots", "must be an integer, not a string"),
        ("panels[0].max_batch", "\u0661\u0660", "must be an integer, not a string"),
        ("refill.enabled", "yes", "must be true or false, not a string"),
    ],
)
def test_other_text_is_said_as_before(tmp_path, path, value, said):
    found = problems(with_value(path, value), tmp_path)
    assert found == [f"at '{path}': {said}"], found
