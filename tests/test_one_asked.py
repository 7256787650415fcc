"""An answer naming none of what was asked, when one thing was asked: its
words say "the order asked", never "none of the 1 orders asked" (a
call of one ID is common: a batch split down, a panel read one at a time)."""

from __future__ import annotations

import pytest

from tracker.errors import BadAnswerError, NoOrderNamedError
from tracker.panel import parse, parse_refill_status, parse_refills


@pytest.mark.parametrize(
    ("asked", "answer", "words"),
    [
        ([5], {}, "answered nothing about the asked ID: {}"),
        ([5], {"5": {}}, "answered nothing readable about the asked ID: "),
        ([5, 6], {}, "answered none of the 2 asked IDs: {}"),
        ([5, 6], {"5": {}, "6": None}, "answered none of the 2 asked IDs readably: "),
    ],
)
def test_a_status_answer_naming_no_asked_order(asked, answer, words):
    with pytest.raises(BadAnswerError) as caught:
        parse.parse_status_multi(asked, answer)
    assert words in str(caught.value)
    assert "1 asked IDs" not in str(caught.value)


@pytest.mark.parametrize(
    ("asked", "words"),
    [
        (["7"], "answered nothing about the asked refill: {}"),
        (["7", "8"], "answered none of the 2 asked refills: {}"),
    ],
)
def test_a_refill_status_answer_naming_no_asked_refill(asked, words):
    with pytest.raises(BadAnswerError) as caught:
        parse_refill_status.parse_refill_status_multi(asked, {})
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("asked", "words"),
    [
        ([78], "answered not naming the order asked: "),
        ([78, 79], "answered naming none of the 2 orders asked: "),
    ],
)
def test_a_refill_answer_naming_no_asked_order(asked, words):
    with pytest.raises(NoOrderNamedError) as caught:
        parse_refills.parse_refill_multi(asked, {"80": {"refill": 55}})
    assert words in str(caught.value)
