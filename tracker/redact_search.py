"""Where a secret's forms are in a text: searched for as it is or with its
breaks taken out (:mod:`tracker.redact_layout`), its encoded forms where its
sample may hold one (:mod:`tracker.redact_coded`); the spans found blanked,
each run of overlapping ones by one mark. Pure: :mod:`tracker.redact` decides
what text is searched for which secrets."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import AnyStr

from tracker.redact_coded import sample
from tracker.redact_forms import Plan, Plans
from tracker.redact_layout import back, layouts

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
Spans = list[tuple[int, int]]


def _find_all(haystack: AnyStr, needle: AnyStr, spans: Spans) -> None:
    at = haystack.find(needle)
    while at >= 0:
        spans.append((at, at + len(needle)))
        at = haystack.find(needle, at + 1)


def _blank(data: AnyStr, spans: Spans, mark: AnyStr) -> AnyStr:
    """Given data and spans of it, return it with each run of overlapping spans
    replaced by one ``mark``."""
    if not spans:
        return data
    pieces, done = [], 0
    spans.sort()
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if next_start > end:
            pieces += [data[done:start], mark]
            done, start = end, next_start
        end = max(end, next_end)
    pieces += [data[done:start], mark, data[end:]]
    return data[:0].join(pieces)


def _fold(text: str) -> str:
    """Lower-case text keeping every character at its place (``İ`` would not)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def _search(haystack: AnyStr, plan: Plan[AnyStr], spans: Spans) -> None:
    """Add to ``spans`` every place in ``haystack`` of every form in ``plan``."""
    for form, inner, blank in plan:
        if form in haystack:
            if blank:
                _find_all(haystack, form, spans)
            if inner:
                _search(haystack, inner, spans)


def _coded_spans(haystack: AnyStr, every: Sequence[Plans[AnyStr]], spans: Spans) -> None:
    """Add to ``spans`` every place in ``haystack`` (without breaks) of an
    encoded form of a secret, searched for where its sample may hold one."""
    sampled = b""
    for plans in every:
        for run, plan in plans.coded:
            if run:
                sampled = sampled or sample(haystack)
                if run not in sampled:
                    break  # nor the longer run of a later tier
            _search(haystack, plan, spans)


def _fit(haystack: AnyStr, every: Sequence[Plans[AnyStr]]) -> Sequence[Plans[AnyStr]]:
    """``every`` for ``haystack``: an ASCII one (nearly every answer) searched
    for the ASCII forms alone (16 searches of a 10 kB answer were 4)."""
    return [plans.ascii for plans in every] if haystack.isascii() else every


def _plain_spans(lowered: AnyStr, every: Sequence[Plans[AnyStr]]) -> Spans:
    """Spans of a lower-cased text that spell a form of a secret, as it is
    or with its breaks taken out."""
    spans: Spans = []
    found, unwrapped = layouts(lowered)
    if not found:
        every = _fit(lowered, every)
        for plans in every:
            _search(lowered, plans.whole, spans)
        _coded_spans(lowered, every, spans)
        return spans
    for plans in _fit(lowered, every):
        if plans.words:
            _search(lowered, plans.words, spans)
    if unwrapped:
        text, back_steps = unwrapped
        for plans in _fit(text, every):
            if plans.words:
                hits: Spans = []
                _search(text, plans.words, hits)
                if hits:
                    spans += back(back_steps, hits)
    for squeezed, steps in found:
        hits = []
        fit = _fit(squeezed, every)
        for plans in fit:
            _search(squeezed, plans.spread, hits)
        _coded_spans(squeezed, fit, hits)
        if hits:
            spans += back(steps, hits)
    return spans
