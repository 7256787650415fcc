"""A search plan: a secret's forms as :mod:`tracker.redact.search` looks for
them, each searched for only where a shorter form it holds was found, and
those holding a character plain answers seldom hold only where that
character is; a text's plans, and the same for an ASCII text. Made by
:mod:`tracker.redact.forms`, once per secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from functools import cached_property
from typing import AnyStr, Generic

# Characters from the most common in an answer (JSON's own, a field name's
# underscore, a date's dash; then its numbers, then letters as English has
# them) to the least; any other character is rarer still. With "_" and "-"
# ranked rarest, a key holding one (token_urlsafe's) was looked for at each
# "start_count" of a status answer: ~35 us more an answer of 100.
_COMMON = ' "_-.:,{}[]/0123456789etaoinsrcduhlmpgfywbvkxjqz'


def rarest(secret: str) -> int:
    """Given a lower-cased secret (a raw body's: its bytes as Latin-1),
    return where its character least common in answers is (the first such):
    looked for (one character, at once) to find the secret spelt out with
    separators."""
    rank = [_COMMON.find(char) if char.isascii() else len(_COMMON) for char in secret]
    return rank.index(max(rank, key=lambda at: len(_COMMON) if at < 0 else at), 0) if rank else 0


# Each node: a text to search for, the nodes searched only where it was
# found (the longer forms holding it), and whether it is a form to blank or
# only a character that plain answers seldom hold ("\\x00", "\\", "%"),
# looked for once for all the forms holding it.
Plan = tuple[tuple[AnyStr, "Plan[AnyStr]", bool], ...]


def search_plan(
    found: Iterable[AnyStr], markers: Sequence[AnyStr], shared: Set[AnyStr] = frozenset()
) -> Plan[AnyStr]:
    """Given forms (and ``shared`` texts some of them hold, searched only to
    know whether to search those), return a plan that searches for each."""
    ordered = sorted(set(found) | shared, key=len)
    inner: list[list[int]] = [[] for _ in ordered]
    unmarked: list[int] = []
    marked: dict[AnyStr, list[int]] = {marker: [] for marker in markers}
    for index, form in enumerate(ordered):
        holder = next((i for i in range(index - 1, -1, -1) if ordered[i] in form), -1)
        marker = next((m for m in markers if m in form), None)
        if holder >= 0:
            inner[holder].append(index)
        else:
            (unmarked if marker is None else marked[marker]).append(index)

    def nodes(indexes: list[int]) -> Plan[AnyStr]:
        return tuple((ordered[i], nodes(inner[i]), ordered[i] not in shared) for i in indexes)

    return nodes(unmarked) + tuple((m, nodes(held), False) for m, held in marked.items() if held)


@dataclass(frozen=True)
class Plans(Generic[AnyStr]):
    """What a lower-cased text (or body) is searched for."""

    whole: Plan[AnyStr]  # a text without breaks: the text forms
    words: Plan[AnyStr]  # a text with breaks, as it is: the text forms of a short secret
    spread: Plan[AnyStr]  # and with its breaks taken out: the text forms of a long one
    # A text without breaks or with them taken out: base64, base32, hex...,
    # in tiers by length, each with what the sample of a text holding one of
    # its forms holds (b"": any text), the shortest first.
    coded: tuple[tuple[bytes, Plan[AnyStr]], ...]
    # The secret lower-cased, looked for with one separator between each of
    # its characters (:func:`tracker.redact.search.spaced_spans`) from where
    # its ``rare`` character is (:func:`rarest`); None: not looked for.
    spaced: AnyStr | None = None
    rare: int = 0

    @cached_property
    def ascii(self) -> Plans[AnyStr]:
        """These plans for an ASCII text: the forms holding any other character
        (UTF-16 read as UTF-8, fullwidth letters) left out, as no ASCII text
        holds them (a form's inner forms hold it: left out with it)."""
        coded = tuple((run, _ascii(plan)) for run, plan in self.coded)
        spaced = self.spaced if self.spaced is not None and self.spaced.isascii() else None
        whole, words, spread = _ascii(self.whole), _ascii(self.words), _ascii(self.spread)
        return Plans(whole, words, spread, coded, spaced, self.rare)


def _ascii(plan: Plan[AnyStr]) -> Plan[AnyStr]:
    return tuple((form, _ascii(inner), blank) for form, inner, blank in plan if form.isascii())


def flat(plan: Plan[AnyStr]) -> Iterable[AnyStr]:
    for form, inner, blank in plan:
        if blank:
            yield form
        yield from flat(inner)
