"""An ASCII text (nearly every answer, every log line) is searched for the
ASCII forms of a secret alone (``Plans.ascii``): it must find every span the
whole plans find, in every form a secret has that an ASCII text can hold."""

from __future__ import annotations

from typing import Any

import pytest

from tracker.redact.forms import forms_of
from tracker.redact.plans import Plan, Plans
from tracker.redact.search import _search

KEYS = ["bench-key-0123456789abcdef", "Qa/Key+9=xY", "k3yA-bcDe-fGhI-jKlM", "abcd", "S3cr3t K€y"]


def every_form(plan: Plan[Any]) -> list[Any]:
    return [f for form, inner, _ in plan for f in (form, *every_form(inner))]


def plans_of(plans: Plans[Any]) -> list[tuple[Plan[Any], Plan[Any]]]:
    pairs = [(plans.whole, plans.ascii.whole), (plans.words, plans.ascii.words)]
    pairs.append((plans.spread, plans.ascii.spread))
    coded = zip(plans.coded, plans.ascii.coded, strict=True)
    return pairs + [(full, plain) for (_, full), (_, plain) in coded]


@pytest.mark.parametrize("key", KEYS)
def test_an_ascii_text_holding_a_form_is_found_by_the_ascii_plans(key: str) -> None:
    forms = forms_of(key)
    for plans, filler in ((forms.raw, b"x1 %\\"), (forms.text, "x1 %\\")):
        for full, plain in plans_of(plans):
            for form in every_form(full):
                if not form.isascii():
                    continue
                text = filler + form + filler + form[: len(form) // 2]
                found: list[tuple[int, int]] = []
                found_plain: list[tuple[int, int]] = []
                _search(text, full, found)
                _search(text, plain, found_plain)
                assert sorted(found) == sorted(found_plain), (key, form)


@pytest.mark.parametrize("key", KEYS)
def test_only_forms_no_ascii_text_holds_are_left_out(key: str) -> None:
    forms = forms_of(key)
    for plans in (forms.raw, forms.text):
        for full, plain in plans_of(plans):
            left_out = set(every_form(full)) - set(every_form(plain))
            assert all(not form.isascii() for form in left_out), key
