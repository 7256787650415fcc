"""Breaks a panel may lay inside a form of a secret, taken out for the search
and put back for the mark: whitespace (base64 wrapped in lines as MIME and PEM
write it, indented or spaced out; hex spaced out; a key cut by PHP's
wordwrap()), no-break spaces (a key cut or grouped by U+00A0, or by
``&nbsp;`` once :mod:`tracker.redact.scrub` decodes the entities), HTML line
breaks (the ``<br />`` or ``<br>`` nl2br() writes before each line break,
or a script puts between lines instead of one) and
quoted-printable soft line breaks (``=`` ending a line that goes on: a
short secret is looked for spelt out across them too, not across the
others).

Each kind of break is taken out with ``replace`` (one regular expression for
them all took 23 ms on a 10 MB catalogue, as long as searching it for every
form), as a step; a step is undone by a pattern that finds exactly what it
took out, so a place in the squeezed text maps back to the text: the mark
covers the form and the breaks inside it, and nothing around it. Pure.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import AnyStr, Generic, NamedTuple

Spans = list[tuple[int, int]]
# What a step took out (a pattern that finds each piece) and of which text.
Step = tuple[re.Pattern[AnyStr], AnyStr]
Steps = tuple[Step[AnyStr], ...]
# Breaks of one kind: each as it is written, and a pattern that finds it.
Pieces = tuple[tuple[AnyStr, re.Pattern[AnyStr]], ...]
# A text with breaks taken out, and the steps that took them out.
Layout = tuple[AnyStr, Steps[AnyStr]]


class _Breaks(NamedTuple, Generic[AnyStr]):
    # Taken out at once, found back by `space`; each after what is looked for
    # first (found at once, memchr: a text without it has none of them).
    blanks: tuple[tuple[AnyStr, AnyStr], ...]
    space: re.Pattern[AnyStr]
    lines: tuple[AnyStr, AnyStr]  # line breaks
    angle: AnyStr  # found at once (memchr): a text without it has no tag
    tag: AnyStr  # a text without it has no HTML line break
    tags: Pieces[AnyStr]  # as they are once blanks are out, json_encode's first
    backslash: AnyStr  # found at once: a text without it has no json_encode'd tag
    equals: AnyStr  # a text without it has no soft line break
    soft: Pieces[AnyStr]


def _breaks(spell: Callable[[str], AnyStr]) -> _Breaks[AnyStr]:
    def literal(text: str) -> tuple[AnyStr, re.Pattern[AnyStr]]:
        return spell(text), re.compile(re.escape(spell(text)))

    def first(blank: str) -> tuple[AnyStr, AnyStr]:
        written = spell(blank)
        return written[-1:], written  # U+00A0 in UTF-8: 0xA0 before 0xC2 0xA0

    return _Breaks(
        # The no-break space first: taking a space out of "\xc2 \xa0" makes none.
        blanks=tuple(first(blank) for blank in ("\u00a0", " ", "\n", "\r", "\t")),
        space=re.compile(spell("(?:[ \n\r\t]|\u00a0)+")),
        lines=(spell("\n"), spell("\r")),
        angle=spell("<"),
        tag=spell("<br"),
        # "<br />", "<br/>", "<br>" and json_encode's "<br \/>", lower-cased.
        tags=tuple(literal(tag) for tag in ("<br\\/>", "<br/>", "<br>")),
        backslash=spell("\\"),
        equals=spell("="),
        soft=tuple(literal(soft) for soft in ("=\r\n", "=\n")),
    )


_TEXT: _Breaks[str] = _breaks(str)
_RAW: _Breaks[bytes] = _breaks(str.encode)

# The format characters (Unicode category Cf, to Unicode 15): the soft hyphen,
# zero-width space and (non-)joiners, bidi marks, the word joiner, the BOM,
# tags... Nothing shows them: a key with them inside reads as the key, so
# tracker.redact searches a text holding any without them, and
# tracker.terminal shows them escaped.
_FORMAT = (
    *((0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F)),
    *((0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F)),
    *((0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF)),
    *((0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F)),
    *((0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F)),
)
INVISIBLE = "".join(rf"\U{low:08x}-\U{high:08x}" for low, high in _FORMAT)  # in a [class]
# The patterns of this module are compiled where first used (re's own cache
# keeps them): most texts are ASCII and never need one, and compiling them
# all cost every command's start ~1.5 ms.
_INVISIBLE = f"[{INVISIBLE}]"


def _utf8_leads() -> tuple[tuple[bytes, bytes], ...]:
    """Return each lead byte of a format character in UTF-8 (found at once,
    memchr) and a pattern that finds them, the lead byte first (as quick)."""
    tails: dict[bytes, list[bytes]] = {}
    for low, high in _FORMAT:
        for code in range(low, high + 1):
            written = chr(code).encode()
            tails.setdefault(written[:1], []).append(re.escape(written[1:]))
    return tuple(
        (lead, re.escape(lead) + b"(?:" + b"|".join(found) + b")") for lead, found in tails.items()
    )


_LEADS = _utf8_leads()


def invisible(data: AnyStr) -> bool:
    """Given a text or a UTF-8 body, return whether it holds a format
    character (at once for ASCII)."""
    if data.isascii():
        return False
    if isinstance(data, str):  # not printable: Cf is; what a status says is
        return not data.isprintable() and bool(re.search(_INVISIBLE, data))
    return any(lead in data and re.search(pattern, data) for lead, pattern in _LEADS)


# The fullwidth forms of ASCII (U+FF01 to U+FF5E): "ｋ３ｙ" reads as "k3y".
# Narrowed one for one, as NFKC does, a place in the narrowed text is the
# same place in the text. A text is narrowed only if it holds a fullwidth
# letter or digit, which a key is made of: CJK text's fullwidth punctuation
# alone ("（", "："), common in a catalogue, costs no narrowed search.
_NARROW = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDE = "[\uff01-\uff5e]+"
_ALNUM = "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"
_ALNUM_UTF8 = b"\xef(?:\xbc[\x90-\x99\xa1-\xba]|\xbd[\x81-\x9a])"
_ALNUM_TAILS = frozenset(
    chr(code).encode()[1:] for code in range(0xFF10, 0xFF5B) if chr(code).isalnum()
)
_LOOKS = 1024  # EF leads looked at one by one, then one scan (0.3 ms for 1 MB)


def fullwidth(data: AnyStr) -> bool:
    """Given a text or a UTF-8 body, return whether it holds a fullwidth
    letter or digit (at once for ASCII)."""
    if data.isascii():
        return False
    if isinstance(data, str):
        return re.search(_ALNUM, data) is not None
    # In UTF-8, EF then BC 90 to BD 9A: each EF found at once (memchr), as an
    # emoji's variation selector (EF B8 8F) may be every few hundred bytes.
    at = data.find(b"\xef")
    for _ in range(_LOOKS):
        if at < 0 or data[at + 1 : at + 3] in _ALNUM_TAILS:
            return at >= 0
        at = data.find(b"\xef", at + 1)
    return at >= 0 and re.compile(_ALNUM_UTF8).search(data, at) is not None


def narrowed(text: str) -> str:
    """Given a text, return it with each fullwidth form of an ASCII
    character written as that character (NFKC's, of the same length)."""
    return re.sub(_WIDE, lambda wide: wide.group().translate(_NARROW), text)


def _take(data: AnyStr, pieces: Pieces[AnyStr], steps: list[Step[AnyStr]]) -> AnyStr:
    for piece, pattern in pieces:
        if piece in data:
            steps.append((pattern, data))
            data = data.replace(piece, data[:0])
    return data


def _squeeze(
    data: AnyStr, steps: list[Step[AnyStr]], breaks: _Breaks[AnyStr]
) -> tuple[AnyStr, bool]:
    """Given a text, return it without its whitespace and its HTML line
    breaks; and whether it has a line break."""
    squeezed, lines = data, False
    for first, blank in breaks.blanks:
        if first in squeezed and (first == blank or blank in squeezed):
            squeezed = squeezed.replace(blank, data[:0])
            lines = lines or blank in breaks.lines
    if len(squeezed) != len(data):
        steps.append((breaks.space, data))
    # Not only after nl2br(), which keeps the line break after its tag: a
    # script may join lines with "<br>" alone ("QUJD<br>REVG"). Looking for
    # "<br" costs as much as for 4 forms (90 us for 100 kB), for "<" 1 us.
    if breaks.angle in squeezed and breaks.tag in squeezed:
        tags = breaks.tags if breaks.backslash in squeezed else breaks.tags[1:]
        squeezed = _take(squeezed, tags, steps)
    return squeezed, lines


def layouts(lowered: AnyStr) -> tuple[list[Layout[AnyStr]], Layout[AnyStr] | None]:
    """Given a lower-cased text, return it with its breaks taken out, once
    more with soft line breaks taken out too if it may have any (a ``=`` at a
    line's end may as well end a base64 text: both readings are searched),
    none if it has no breaks; and it with only its soft line breaks taken
    out, if any: quoted-printable cuts a word where the line is full, so a
    short secret is looked for there spelt out (not across a space or a
    line break, which cut words in prose)."""
    breaks: _Breaks[AnyStr] = _TEXT if isinstance(lowered, str) else _RAW
    steps: list[Step[AnyStr]] = []
    squeezed, lines = _squeeze(lowered, steps, breaks)
    found: list[Layout[AnyStr]] = [(squeezed, tuple(steps))] if steps else []
    unwrapped: Layout[AnyStr] | None = None
    if lines and breaks.equals in lowered and any(soft in lowered for soft, _ in breaks.soft):
        steps = []
        unwrapped = (_take(lowered, breaks.soft, steps), tuple(steps))
        squeezed, _ = _squeeze(unwrapped[0], steps, breaks)
        found.append((squeezed, tuple(steps)))
    return found, unwrapped


def _placer(pattern: re.Pattern[AnyStr], source: AnyStr) -> Callable[[int], int]:
    """Given what a step took out of a text, return where a place in the
    result was in that text."""
    starts: list[int] = []  # where each piece taken out was, in the result
    removed: list[int] = []  # and how much was taken out up to its end
    for match in pattern.finditer(source):
        removed.append((removed[-1] if removed else 0) + match.end() - match.start())
        starts.append(match.end() - removed[-1])

    def place(at: int) -> int:
        index = bisect_right(starts, at) - 1
        return at + (removed[index] if index >= 0 else 0)

    return place


def back(steps: Steps[AnyStr], spans: Spans) -> Spans:
    """Given the steps of a layout and spans of its squeezed text, return the
    spans of the text they came from."""
    for pattern, source in reversed(steps):
        place = _placer(pattern, source)
        spans = [(place(start), place(end - 1) + 1) for start, end in spans]
    return spans


def blank(data: AnyStr, spans: Spans, mark: AnyStr) -> AnyStr:
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
