"""The pieces of a key cut by other text, a PHP notice, or by a stray byte
in a UTF-16 answer, the piece after it read a byte out of step: blanked
(:func:`blank_pieces`), in a raw answer the panel client has made UTF-8;
and a secret so cut by a stray byte in any text (:func:`stepped_spans`, for
every log line). Pure.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import AnyStr, NamedTuple

from tracker.redact.layout import Spans, blank

PIECE = 8  # the shortest piece of a key cut by other text that is blanked


def blank_pieces(body: bytes, key: str, mark: bytes = b"***") -> bytes:
    """Given a raw answer and a key of 16 characters or more, return the answer
    with every run of it that is a piece of the key, 8 characters or longer, in
    any letter case, blanked where it is an echo of the key (:func:`echoes`):
    a key cut by a PHP notice printed in the middle of it
    (``k3yA-bcD<br />\\n<b>Warning</b>: ... on line 3<br />\\ne-fGh...``),
    whatever stands between its pieces; or by a stray byte in a UTF-16
    answer, the piece after it read a byte out of step (:func:`_out_of_step`).
    A shorter piece is no key; a piece of an encoded form of the key is not
    looked for.

    Looked for only where the answer holds one of the key's runs of PIECE
    characters from every :data:`_STRIDE`-th (and its last PIECE): a piece
    of 15 characters or more holds one, wherever the key was cut (its ends
    too short to be blanked, cut three times: ``k3yA<notice>bcDe-fGh1jKl
    -mN0p<notice>Qr``), and an echo cut once leaves its start or its end in
    a piece of 8 or more (each window searched costs a pass over the answer:
    25 passes, 0.2 ms per 100-order status answer, for the usual answer that
    echoes nothing; the runs looked for first, 4 for a key of 32, cost a
    pass each: one run in 4 characters would catch a piece of 11, for 3
    passes more, ~30 us per 100-order answer).
    A key of :data:`PIECE` characters or more cut by a stray byte is blanked
    whole (:func:`stepped_spans`)."""
    cut = stepped(key)
    if cut and not body.isascii() and any(moved in body for moved in cut.marks_utf8):
        text = body.decode("utf-8", "surrogateescape")  # any bytes, given back as they were
        spans = stepped_spans(text, cut)
        if spans:
            return blank(text, spans, mark.decode()).encode("utf-8", "surrogateescape")
    spelt = key.encode("utf-8", "surrogateescape")
    secret = spelt.lower()
    if len(secret) < 2 * PIECE:
        return body
    lowered = body.lower()  # ASCII letters only: every byte keeps its place
    if not any(run in lowered for run in _runs(secret)):
        return body
    return blank(body, echoes(_windows(lowered, secret), spelt), mark)


_STRIDE = PIECE  # a piece of PIECE + _STRIDE - 1 characters holds one of _runs


@lru_cache(maxsize=8)
def _runs(secret: bytes) -> tuple[bytes, ...]:
    """Given a key, return its runs of PIECE characters from every
    :data:`_STRIDE`-th and its last PIECE: every piece of 15 or more of it
    holds one."""
    starts = {*range(0, len(secret) - PIECE + 1, _STRIDE), len(secret) - PIECE}
    return tuple(secret[start : start + PIECE] for start in sorted(starts))


# A piece of a key spelt with letters alone (and "_" or a space), no capital
# after a small letter: it may be a field name or a word ("currency",
# "start_count", "Services") that the key holds by chance, as a test key does.
_WORDS = re.compile(rb"[A-Z]?[a-z_ ]+|[A-Z_ ]+")
# A piece (or a chain of them) this long is no chance reading of a key.
_LONG = 2 * PIECE


class Piece(NamedTuple):
    """A run of a text that spells ``key[key_start:key_start + end - start]``."""

    start: int
    end: int
    key_start: int

    @property
    def key_end(self) -> int:
        return self.key_start + self.end - self.start


def echoes(hits: list[tuple[int, int]], key: bytes) -> Spans:
    """Given where each window of :data:`PIECE` characters of ``key`` is in
    a text (:func:`_windows`: its place, and its place in the key) and the
    key as it is spelt (UTF-8), return the spans of the pieces that echo
    it: a piece that reads as a token (a digit, a capital after a small
    letter, a character other than a letter, "_" or a space), or of 16
    characters or more, or one of a chain of pieces spelling the key in the
    text's order (the key cut by a notice: "currency" then, further on,
    "Q7x3Lm9V..."). A piece that reads as a word alone ("currency" of
    "currencyQ7x3...", a field name of every balance answer) is no echo."""
    pieces = _pieces(hits)
    chained = _chained(pieces)
    spans: Spans = []
    for index, piece in enumerate(pieces):
        spelt = key[piece.key_start : piece.key_end]
        if index in chained or piece.end - piece.start >= _LONG or not _WORDS.fullmatch(spelt):
            spans.append((piece.start, piece.end))
    return spans


def _chained(pieces: list[Piece]) -> set[int]:
    """Given pieces, return which of them are in a chain: a piece followed,
    further on in the text, by the one going on with the key where it stops
    (a character of the key lost between them at most: a stray byte's),
    each the other's nearest ("currency" as a field name, then the key cut
    after its "currency": the field is not the nearest)."""

    def goes_on(first: Piece, then: Piece) -> bool:
        return then.start >= first.end and first.key_end <= then.key_start <= first.key_end + 1

    chained: set[int] = set()
    for index, piece in enumerate(pieces):
        after = [i for i, then in enumerate(pieces) if goes_on(piece, then)]
        then = min(after, key=lambda i: pieces[i].start, default=None)
        if then is None:
            continue
        before = [i for i, first in enumerate(pieces) if goes_on(first, pieces[then])]
        if max(before, key=lambda i: pieces[i].start) == index:
            chained |= {index, then}
    return chained


def _pieces(hits: list[tuple[int, int]]) -> list[Piece]:
    """Given windows found (place in the text, place in the key), return the
    runs they make: windows a step apart in both the text and the key, or
    overlapping so, are one piece."""
    pieces: list[Piece] = []
    for at, key_at in sorted(hits, key=lambda hit: (hit[0] - hit[1], hit[0])):
        last = pieces[-1] if pieces else None
        if last and last.start - last.key_start == at - key_at and at <= last.end:
            pieces[-1] = last._replace(end=max(last.end, at + PIECE))
        else:
            pieces.append(Piece(at, at + PIECE, key_at))
    return pieces


def _windows(lowered: AnyStr, secret: AnyStr) -> list[tuple[int, int]]:
    """Where ``lowered`` spells PIECE characters in a row of ``secret``: the
    place in the text and in the secret of each."""
    hits: list[tuple[int, int]] = []
    for start in range(len(secret) - PIECE + 1):
        window = secret[start : start + PIECE]
        at = lowered.find(window)
        while at >= 0:
            hits.append((at, start))
            at = lowered.find(window, at + 1)
    return hits


@lru_cache(maxsize=8)
def _out_of_step(key: str) -> tuple[bytes, ...]:
    """Given an ASCII key, return (in UTF-8) 6 characters after its first, and
    6 before its last, of its UTF-16 read a byte out of step (``k`` as
    U+6B00), in its letter cases: a piece of 8 after a stray byte in a UTF-16
    answer (or before the byte putting it back in step) holds one of them."""
    if not key.isascii():
        return ()
    found = set()
    for variant in {key, key.lower(), key.upper()}:
        moved = "".join(chr(ord(char) << 8) for char in variant)
        found |= {moved[1:7].encode(), moved[-7:-1].encode()}
    return tuple(found)


@lru_cache(maxsize=1)
def _high_bytes() -> dict[int, int]:
    """A table reading each character whose high byte is printable ASCII
    (U+2000 to U+7EFF) as that byte, lower-cased (ASCII letters too): the key
    read a byte out of step reads as the key, ``k`` beside a stray ``z`` too."""
    table = {code: ord(chr(code >> 8).lower()) for code in range(0x2000, 0x7F00)}
    table.update((ord(char), ord(char.lower())) for char in string.ascii_uppercase)
    return table


# What a cut key's characters are read as: in step (ASCII, "p"), a byte out
# of step ("m": the high byte printable ASCII), or the stray byte's own
# reading (any other) between them: one piece each way. Compiled where used.
_CUT = "p+.?m+|m+.?p+"


@lru_cache(maxsize=1)
def _kinds() -> dict[int, str]:
    return {code: "m" for code in range(0x2000, 0x7F00)} | dict.fromkeys(range(128), "p")


class Stepped(NamedTuple):
    """An ASCII secret as a stray byte in a UTF-16 text cuts it (one piece
    read in step, the other a byte out of step, as CJK), worked out once."""

    lowered: str
    spelt: bytes  # as it is: whether a piece of it reads as a word (:func:`echoes`)
    windows: bool  # 16 characters or more: its pieces of PIECE are blanked
    marks: tuple[str, ...]  # a text cutting it so holds one of these characters
    marks_utf8: tuple[bytes, ...]
    whole: re.Pattern[str]  # it read as high bytes, a character between two of its own allowed


@lru_cache(maxsize=64)
def stepped(secret: str) -> Stepped | None:
    """Given a secret, return it as :class:`Stepped`, or None when it is not
    ASCII or shorter than :data:`PIECE` (a stray byte cuts it into pieces
    that may be words)."""
    if not secret.isascii() or len(secret) < PIECE:
        return None

    def moved(chars: str) -> frozenset[str]:
        return frozenset(chr(ord(case) << 8) for char in chars for case in (char, char.swapcase()))

    lowered = secret.lower()
    windows = len(secret) >= 2 * PIECE
    # Read in step first, the piece after the stray byte ends with the
    # secret's last two characters out of step; read out of step first, it
    # begins with its first two: either end of the piece may share its unit
    # with a stray byte, the other is as it is (each of blank_pieces' runs
    # of 6 holds one of them too).
    marks = tuple(sorted(moved(secret[:2]) | moved(secret[-2:])))
    whole = re.compile("(?s)" + ".?".join(map(re.escape, lowered)))
    return Stepped(
        lowered, secret.encode(), windows, marks, tuple(m.encode() for m in marks), whole
    )


def stepped_spans(text: str, cut: Stepped) -> Spans:
    """Spans of a text (not ASCII) that spell ``cut``'s secret cut by a stray
    byte in UTF-16: one piece read in step, the other a byte out of step
    (``k`` as U+6B00), the stray byte read as a character between them or
    inside the first character read out of step. A secret of 16 characters
    or more: every piece of :data:`PIECE` of it read either way
    (:func:`blank_pieces`'s windows). Any secret of :data:`PIECE` or more:
    all of it so read, in step from its start or to its end (``Ab3d`` then
    ``E9xZ`` as CJK), whose pieces alone would be no key to blank: all of a
    secret of 8 characters or more is no chance reading of other text."""
    if not any(mark in text for mark in cut.marks):
        return []
    translated = text.translate(_high_bytes())
    spans = echoes(_windows(translated, cut.lowered), cut.spelt) if cut.windows else []
    for found in cut.whole.finditer(translated):
        start, end = found.span()
        kinds = text[start:end].translate(_kinds())
        if end - start <= len(cut.lowered) + 1 and re.fullmatch(_CUT, kinds):
            spans.append((start, end))
    return spans
