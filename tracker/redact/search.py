"""Where a secret's forms are in a text: searched for as it is or with its
breaks taken out (:mod:`tracker.redact.layout`), its encoded forms where its
sample may hold one (:mod:`tracker.redact.coded`); the spans found are
blanked by :func:`tracker.redact.layout.blank`. Pure: :mod:`tracker.redact.scrub` decides
what text is searched for which secrets."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import AnyStr, cast

from tracker.redact.coded import sample
from tracker.redact.forms import Forms
from tracker.redact.layout import back, layouts
from tracker.redact.plans import Plan, Plans

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
Spans = list[tuple[int, int]]
_LOST = 0xFFFD  # what a decoder makes of what it cannot read


def _find_all(haystack: AnyStr, needle: AnyStr, spans: Spans) -> None:
    at = haystack.find(needle)
    while at >= 0:
        spans.append((at, at + len(needle)))
        at = haystack.find(needle, at + 1)


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


# Places of the rare character looked at one by one; past this many, every
# other character of the text, and every third, is searched for the secret.
_LOOKS = 16


def spaced_spans(haystack: AnyStr, secret: AnyStr, rare: int, spans: Spans) -> None:
    """Add to ``spans`` every place in a lower-cased ``haystack`` of the
    lower-cased ``secret`` with one separator between each of its
    characters, the same each time, of one character or two, no letter nor
    digit (``k-3-y``, ``k.3.y``, ``k_3_y``, JSON's ``k\\/3\\/y``; in a raw
    body ASCII ones): looked for where its ``rare`` character is (one
    search, at once: 0.2 us for 10 kB); in a text holding that character
    many times, in every other character of the text and every third (five
    slices: ~1 ms for 1 MB)."""
    char = secret[rare : rare + 1]
    at = haystack.find(char, 2 * rare)
    for _ in range(_LOOKS):
        if at < 0:
            return
        for step in (2, 3):
            _spaced_at(haystack, secret, at - step * rare, step, spans)
        at = haystack.find(char, at + 1)
    for step in (2, 3) if at >= 0 else ():
        for offset in range(step):
            part = haystack[offset::step]
            found = part.find(secret)
            while found >= 0:
                _spaced_at(haystack, secret, offset + step * found, step, spans)
                found = part.find(secret, found + 1)


def _spaced_at(haystack: AnyStr, secret: AnyStr, start: int, step: int, spans: Spans) -> None:
    end = start + step * (len(secret) - 1) + 1
    if start < 0 or end > len(haystack) or haystack[start:end:step] != secret:
        return
    between = [haystack[at + 1 : at + step] for at in range(start, end - 1, step)]
    first = between[0]
    if between.count(first) == len(between) and not any(
        first[at : at + 1].isalnum() for at in range(len(first))
    ):
        spans.append((start, end))


def _coded_spans(haystack: AnyStr, every: Sequence[Plans[AnyStr]], spans: Spans) -> None:
    """Add to ``spans`` every place in ``haystack`` (without breaks) of an
    encoded form of a secret, searched for where its sample may hold one;
    and of it spelt out with separators, where its sample may hold that."""
    sampled = b""
    for plans in every:
        if plans.spaced is not None:
            spaced_spans(haystack, plans.spaced, plans.rare, spans)
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
        if plans.words:  # and a short one spelt out with spaces between
            _search(lowered, plans.words, spans)
            if plans.spaced is not None:
                spaced_spans(lowered, plans.spaced, plans.rare, spans)
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


def _code_beside(text: AnyStr, at: int, before: bool) -> tuple[int, int]:
    """Given a text (or a UTF-8 body) and a place in it, return the code of
    the character just before it (or at it) and where that character starts
    (or ends); -1 if there is none."""
    if isinstance(text, str):
        place = at - 1 if before else at
        if not 0 <= place < len(text):
            return -1, at
        return ord(text[place]), place if before else place + 1
    for width in (1, 2, 3, 4):  # one UTF-8 character: the first width that decodes
        start, end = (at - width, at) if before else (at, at + width)
        if start < 0 or end > len(text):
            break
        try:
            char = text[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return ord(char), start if before else end
    return -1, at


def hidden_end_spans(text: AnyStr, lowered: AnyStr, every: Sequence[Forms]) -> Spans:
    """Spans of a text that is not ASCII (and of it ``lowered``, as
    :func:`_fold` or ``bytes.lower`` does it) that spell a secret but one
    end, that end's character the low byte of the character beside it, or
    lost in a U+FFFD (a unit that was half a surrogate pair, a UTF-32 code
    too high): the secret's UTF-16 or UTF-32 in the other byte order a byte
    out of step (:func:`tracker.redact.misread.hidden_ends`); one character
    of 62 is no secret left. One search per end and secret."""
    spans: Spans = []
    for secret in every:
        for rest, codes, before in secret.ends:
            needle = cast(AnyStr, rest if isinstance(lowered, str) else rest.encode())
            at = lowered.find(needle)
            while at >= 0:
                end = at + len(needle)
                code, edge = _code_beside(text, at if before else end, before)
                if code == _LOST or (code >= 0 and code & 0xFF in codes):
                    spans.append((edge, end) if before else (at, edge))
                at = lowered.find(needle, at + 1)
    return spans
