"""The encoded forms of a secret (base64, base32, hex), and the sample that
tells whether a text may hold one.

Base64 is matched whatever the letter case, because a script may upper- or
lower-case what it echoes (a base64 form of 8 or more characters does not
turn up by chance in either case).

Encodings laid one on another, as a PHP panel's debug output does them
(``base64_encode()``, ``http_build_query()``, ``json_encode()``,
``strtoupper()`` of the request it got): base64 of the key as it is,
URL-encoded or JSON-escaped, each upper- or lower-cased too, alone or
anywhere in a longer text (at each of base64's three byte alignments), then
cased, percent-encoded or JSON-escaped; base64 of the key in UTF-16.
Deliberately not looked for, as no panel writes them and each would add
searches of any answer holding a long base64 text:

- base64 of the key in UTF-16 upper- or lower-cased: UTF-16 comes from
  Windows tooling (``[Text.Encoding]::Unicode``), which echoes what it got;
  PHP's ``strtoupper()`` works on the UTF-8 text (looked for);
- base64 of the key's ``\\u`` escapes: ``json_encode()`` writes a key of
  ASCII letters and digits as it is (the escapes alone are looked for);
- a key cased in part (``ucwords()``, swapped case) inside base64, and
  base64 of the key's hex, or of base64 of anything but the key as it is
  (:func:`base64_twice`: base64 of its base64 is looked for; no deeper).

Hex is looked for as it is, with a colon or a dash between the bytes
(OpenSSL's and ssh-keygen's fingerprints, .NET's ``BitConverter.ToString``),
of the key's UTF-16 bytes, as C escapes (``\\x6b``, octal ``\\153``) and
as quoted-printable (``=6b=33``, every byte);
base32 of the key, padded or not. Encoded forms are matched whatever the
letter case, and searched for only in a text whose :func:`sample` says it
may hold one: an answer with no long run of base64 characters, as a status
answer, costs one cheap look instead of a search for each; the long ones
(:func:`tiers`) only where it may hold those. Pure.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
import string
from collections.abc import Iterable
from typing import AnyStr
from urllib.parse import quote, quote_plus

# An encoded form shorter than this (48 bits) could turn up in ordinary text or
# another base64 blob by chance: a short key's base64 runs are not searched.
_MIN_BASE64 = 8
# Hex (and base32) of a shorter secret (under 6 bytes) could too.
_MIN_HEX = 12
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")  # left as they are by quote() and json.dumps()
# Bytes: the runs of a shorter part (under 15 characters) would turn up in
# plain text, then cost the searches they were to spare.
_MIN_SHARED = 12
# What every base64, base32 and hex form is written with (lower-cased,
# percent-encoded or with json_encode's \/ too; a colon or a dash between the
# bytes), as :func:`sample` writes it ("a"). A JSON answer's colons do not
# make a run: each is between quotes.
_CODED = frozenset(string.ascii_lowercase + string.digits + "+/_-=%\\:")
_SAMPLED = bytes(0x61 if chr(byte).lower() in _CODED else 0x20 for byte in range(128))
_SAMPLED += b" " * 128
# Every third character: each '":"' and '","' of a JSON answer puts a " " in it.
_STRIDE = 3
# A secret whose shortest encoded form is shorter is searched for in any text:
# the run of its sample (7 or fewer) turns up in most answers.
_MIN_SAMPLED = 24


def encoded_texts(secret: str) -> set[str]:
    """Given a secret, return the texts of it a panel may have base64-encoded
    (its debug output of the request it got): as it is, URL-encoded as the
    tracker's form body writes it (``quote_plus``) or as a query string
    (``quote``), and JSON-escaped (``json_encode``'s ``\\/`` too). A key of
    letters and digits has only itself, so costs no more searching. (The
    key upper- or lower-cased is in :func:`cased_texts`.)"""
    escaped = json.dumps(secret)[1:-1]
    return {
        secret,
        quote_plus(secret),
        quote(secret, safe=""),
        quote(secret),
        escaped,
        escaped.replace("/", "\\/"),
    }


def cased_texts(secret: str) -> set[str]:
    """Given a secret, return the texts of it a script that upper- or
    lower-cases what it echoes may have base64-encoded: each of its
    :func:`encoded_texts` cased (``strtoupper()`` of the request it got:
    ``%2f`` after ``strtolower()``) and those of the key cased first; none
    of :func:`encoded_texts` itself. A hex key has one, a key of letters
    and digits two."""
    texts = encoded_texts(secret)
    cased = encoded_texts(secret.upper()) | encoded_texts(secret.lower())
    cased |= {text.upper() for text in texts} | {text.lower() for text in texts}
    return cased - texts


def _aligned(raw: bytes) -> set[str]:
    """Given bytes, return the run of base64 characters they alone decide at
    each of the three byte alignments inside a longer base64-encoded text."""
    found = set()
    for lead in range(3):  # after 0, 1 or 2 bytes of other text
        coded = base64.b64encode(bytes(lead) + raw).decode()
        found.add(coded[(0, 2, 3)[lead] : 8 * (lead + len(raw)) // 6])
    return found


def _whole(raw: bytes) -> set[str]:
    whole = base64.b64encode(raw).decode()
    return {whole, whole.rstrip("=")}


def _written(found: set[str]) -> set[str]:
    """Given base64 texts, return them as a panel may write them: in the
    URL-safe alphabet too, percent-encoded in a URL and with json_encode's
    ``\\/``."""
    found = found | {form.replace("+", "-").replace("/", "_") for form in found}
    # In a URL, "+", "/" and "=" are percent-encoded (%2F or %2f: case is folded).
    found |= {quote(form, safe="") for form in found if any(c in form for c in "+/=")}
    found |= {form.replace("/", "\\/") for form in found if "/" in form}  # json_encode
    return {form for form in found if len(form) >= _MIN_BASE64}


def base64_forms(secret: str) -> set[str]:
    """Given a secret, return the base64 forms (as encoded: letter case is
    part of the code) of each of its :func:`encoded_texts` and
    :func:`cased_texts` and of it in UTF-16, little- or big-endian, with a
    byte order mark or without (a Windows script's
    ``[Text.Encoding]::Unicode``): the whole text, and the run of characters
    its bytes alone decide at each alignment inside a longer base64 text; as
    :func:`_written`."""
    found: set[str] = set()
    # Cased too: a script may upper- or lower-case the key or what it echoes,
    # then encode it: alone (``echo $KEY | tr a-z A-Z | base64`` adds a
    # newline) or anywhere in a longer text, at any of the three alignments.
    for text in encoded_texts(secret) | cased_texts(secret):
        found |= _whole(text.encode()) | _aligned(text.encode())
    little, big = secret.encode("utf-16-le"), secret.encode("utf-16-be")
    # For a key of ASCII characters, UTF-16-LE but its last byte and -BE but
    # its first are the same bytes: their runs serve both (three searches).
    for inner in {little[:-1], big[1:]}:
        found |= _aligned(inner)
    for raw in (little, big, codecs.BOM_UTF16_LE + little, codecs.BOM_UTF16_BE + big):
        found |= _whole(raw)
    return _written(found)


def base64_plain(text: str) -> set[str]:
    """Given a text (the key but one end, or but both), return the base64 of
    it as it is, whole and the runs its bytes alone decide inside a longer
    base64 text (as :func:`_written`): the key's cased, URL-encoded and
    UTF-16 texts are not cut so."""
    raw = text.encode()
    return _written(_whole(raw) | _aligned(raw))


def base64_twice(secret: str) -> set[str]:
    """Given a secret, return base64 of its base64 (padded or not), as
    :func:`base64_plain` writes it: a script that encodes what it echoes
    once more. Base64 of that again, or of the key's other texts' base64,
    is not looked for (each encoding laid on is as many searches more)."""
    once = base64.b64encode(secret.encode()).decode()
    return base64_plain(once) | base64_plain(once.rstrip("="))


def base64_shared(secret: str) -> set[str]:
    """Given a secret, return runs that every base64 form of its
    :func:`encoded_texts` and :func:`cased_texts` holds one of: those of its
    longest part that URL-encoding and JSON-escaping leave as it is, as it
    is, upper- and lower-cased. Searched first, they spare three searches per
    encoded text (none for a key of letters and digits, which has no other
    text)."""
    shared = max(_UNRESERVED.findall(secret), key=len, default="")
    if len(encoded_texts(secret)) == 1 or len(shared) < _MIN_SHARED:
        return set()
    runs = (_aligned(run.encode()) for run in {shared, shared.upper(), shared.lower()})
    return _written(set().union(*runs))


def byte_forms(secret: str) -> set[str]:
    """Given a secret, return its bytes written one by one (lower-case: the
    case is folded): hex as it is, with a colon or a dash between the bytes,
    of it in UTF-16 (little- or big-endian), and every byte as a C escape,
    hex or octal (PHP's ``addcslashes()``, ``var_dump()`` of a binary
    string, a C or shell debug print: ``\\x6b\\x33``, ``\\153\\063``). A key of
    ASCII characters costs one search for its UTF-16: hex of either but the
    ``00`` at one end is the same."""
    raw = secret.encode()
    if len(raw) * 2 < _MIN_HEX:
        return set()
    pairs = [f"{byte:02x}" for byte in raw]
    little, big = secret.encode("utf-16-le").hex(), secret.encode("utf-16-be").hex()
    found = {"".join(pairs), ":".join(pairs), "-".join(pairs), little, big}
    found |= {"".join(f"\\x{byte:02x}" for byte in raw), "".join(f"\\{byte:03o}" for byte in raw)}
    found.add("".join(f"={pair}" for pair in pairs))  # quoted-printable, every byte: =6B=33
    if little[:-2] == big[2:]:
        found.add(little[:-2])  # the longer two are searched only where it is
    return found


def base32_forms(secret: str) -> set[str]:
    """Given a secret, return its base32 (lower-case), padded or not (the
    padded form is searched only where the other is)."""
    coded = base64.b32encode(secret.encode()).decode().lower()
    return {coded, coded.rstrip("=")} if len(coded.rstrip("=")) >= _MIN_HEX else set()


def sample(text: AnyStr) -> bytes:
    """Given a lower-cased text, return every third character of it, as "a"
    if base64 or hex is written with it, else as " ". A run of N such
    characters in the text is a run of N // 3 "a" or more in the sample: a
    text whose sample lacks a secret's ``run`` holds none of its encoded
    forms, whose searches (most of the time of scrubbing a status answer)
    are then spared."""
    sampled = text[::_STRIDE]
    raw = sampled if isinstance(sampled, bytes) else sampled.encode("utf-8", "surrogatepass")
    return raw.translate(_SAMPLED)


def sample_run(coded: list[str]) -> bytes:
    """Given encoded forms, return the run of "a" the sample of a text
    holding one holds (none if the forms are too short to be worth it)."""
    shortest = min((len(form) for form in coded), default=0)
    if shortest < _MIN_SAMPLED or any(set(form) - _CODED for form in coded):
        return b""
    return b"a" * (shortest // _STRIDE)


def tiers(coded: Iterable[str]) -> list[tuple[bytes, list[str]]]:
    """Given encoded forms, return them in tiers by length, each with its
    :func:`sample_run`; a tier's forms are shorter than twice its shortest.
    A text whose sample lacks a tier's run holds no form of it or of a later
    tier: a catalogue whose links make runs as long as base64 of the key
    costs one look more, not a search for each long form (hex with colons,
    of UTF-16, C escapes; base64 of UTF-16)."""
    found: list[list[str]] = []
    for form in sorted(coded, key=len):
        if found and len(form) < 2 * len(found[-1][0]):
            found[-1].append(form)
        else:
            found.append([form])
    return [(sample_run(tier), tier) for tier in found]
