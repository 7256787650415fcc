"""A secret's UTF-8 read as UTF-16, in either byte order or a byte out of
step: the CJK characters a crafted answer could hide the key in, worked out
for :mod:`tracker.redact.forms`."""

from __future__ import annotations

# Each character of a secret's UTF-8 read as UTF-16 is two of its bytes: one
# or two such characters (a key of 4 or 5 characters, or 6 read from its
# second byte) may be kana or CJK that ordinary Japanese or Chinese text
# writes ("ち" is "a0" read so), blanked wherever it is; a run of three, six
# of the key's bytes in a row, is no chance reading. Only such runs are
# looked for: an 8-character key (real panels issue them) read so is 4
# characters, or 3 from its second byte.
_MIN_MISREAD = 3


def misread(secret: str) -> set[str]:
    """Given an ASCII secret, return it as its UTF-8 bytes read as UTF-16 (in
    either byte order, from either byte: its neighbours' halves left out),
    as a body behind a UTF-16 mark, or one whose text holds an ASCII
    character and a NUL (``{\\x00``), is read: CJK characters a crafted
    answer could hide the key in, to be printed and stored. Each reading of
    at least :data:`_MIN_MISREAD` characters."""
    if not secret.isascii():
        return set()
    found = set()
    for variant in {secret, secret.lower(), secret.upper()}:
        raw = variant.encode()
        for shift in (0, 1):
            whole = raw[shift : shift + (len(raw) - shift) // 2 * 2]
            if len(whole) >= 2 * _MIN_MISREAD:
                found |= {whole.decode("utf-16-le"), whole.decode("utf-16-be")}
    return found


def shifted(secret: str) -> set[str]:
    """Given an ASCII secret, return its UTF-16 read a byte out of step (a
    stray byte before it in a UTF-16 body; or little-endian read as
    big-endian, or the other way): each character's code moved up a byte,
    "k" as U+6B00, CJK again; from either end, its first or last character
    sharing its unit with a neighbour's byte. Each reading of at least
    :data:`_MIN_MISREAD` characters."""
    if not secret.isascii():
        return set()
    found = set()
    for variant in {secret, secret.lower(), secret.upper()}:
        moved = "".join(chr(ord(char) << 8) for char in variant)
        found |= {form for form in (moved[1:], moved[:-1]) if len(form) >= _MIN_MISREAD}
    return found


# The key but one end (lower-cased), the codes that end's character has in
# either case, and whether that end is its first character.
Ends = tuple[tuple[str, frozenset[int], bool], ...]


def hidden_ends(secret: str) -> Ends:
    """Given an ASCII secret, return what its UTF-16 in the other byte order,
    a byte out of step, reads as in a UTF-16 body (a stray byte before it):
    the secret spelt out but one end, whose character is the low byte of the
    character it shares a unit with (``"\\x01k3yAbcD"`` then U+2065, ``e``
    and the space after it; U+016B, ``k``, then ``3yAbcDe``): the secret but
    its first character, and but its last. Each at least
    :data:`_MIN_MISREAD` characters."""
    if not secret.isascii() or len(secret) - 1 < _MIN_MISREAD:
        return ()

    def codes(char: str) -> frozenset[int]:
        return frozenset(ord(case) for case in (char, char.lower(), char.upper()))

    lowered = secret.lower()
    return ((lowered[1:], codes(secret[0]), True), (lowered[:-1], codes(secret[-1]), False))
