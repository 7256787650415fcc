"""The JSON decoder's plain path (tracker/panel/json_decoder.py: the C decoder
without the duplicate-key hook, its keys counted against the colons) decodes
exactly what the hooked path decodes: both are fed the same texts, generated,
well-formed and hostile (keys given twice, alike or not, at any depth; colons,
braces and escapes in texts; integers too long for int(); a document behind
notices), and must return the same document, a key given twice an error item
(Twice) alike, or raise the same error."""

from __future__ import annotations

import functools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.panel import json_decoder
from tracker.panel.json_decoder import Twice

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Few keys, so that an object often gives one twice; texts that hold a colon
# ("Canceled: invalid link"), a brace, or a colon written as an escape.
KEYS = ["order", "status", "charge", "23501", "a:b", "{", "\\u003a", "\\u0022"]
TEXTS = ["Completed", "Canceled: invalid link", "0.90000", "{}", "[1]", "\\u003a", ":", "",
         "\\ud800", "x\\\\"]  # fmt: skip
SPACES = ["", " ", "\n", " \t"]
NOTICES = ["", "<br />Notice: x\n", "Deprecated: y:z\n"]  # before the document


def _string(raw: str) -> str:
    return f'"{raw}"'  # raw as written in the JSON text: its escapes stay escapes


# Each strategy made once (texts() one per depth): one made inside a draw is
# a new object each example, whose properties Hypothesis works out again.
KINDS = {deep: st.integers(0, 4 if deep else 9) for deep in (False, True)}
LEAVES = st.sampled_from(["null", "true", "0", "-2", "0.9", "1e999999999"])
NINES = st.sampled_from([19, 4301])  # 4301 digits: int() refuses
STRINGS = st.sampled_from(TEXTS) | st.text(max_size=6).map(json.dumps).map(
    lambda quoted: quoted[1:-1]
)
SPACING = st.sampled_from(SPACES)
COLONS = st.sampled_from([":", " : ", ": "])


@functools.cache
def inner(depth: int) -> Any:
    """The items of an array and the pairs of an object at this depth."""
    return st.lists(texts(depth), max_size=4), st.lists(
        st.tuples(st.sampled_from(KEYS), texts(depth)), max_size=5
    )


@st.composite
def texts(draw: Any, depth: int = 0) -> str:
    """One JSON value as a panel's script may write it (with keys given twice)."""
    kind = draw(KINDS[depth >= 3])
    if kind == 0:
        return draw(LEAVES)
    if kind == 1:
        return "9" * draw(NINES)
    if kind <= 4:
        return _string(draw(STRINGS))
    space = draw(SPACING)
    arrays, objects = inner(depth + 1)
    if kind <= 6:
        items = draw(arrays)
        return "[" + f",{space}".join(items) + "]"
    pairs = draw(objects)
    colon = draw(COLONS)
    return "{" + f",{space}".join(_string(k) + colon + v for k, v in pairs) + "}"


def decoded(text: str, start: int | None, plain: bool) -> Any:
    try:
        return shown(json_decoder.decode(text, start, plain=plain))
    except (ValueError, RecursionError) as exc:
        return type(exc), str(exc)


def shown(value: Any) -> Any:
    """The value with its types said: a Twice and what it said, a Decimal, a float."""
    if isinstance(value, Twice):
        return "Twice", shown(dict(value)), shown(list(value.said))
    if isinstance(value, dict):
        return "dict", [(shown(k), shown(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return type(value).__name__, [shown(v) for v in value]
    return type(value).__name__, repr(value)


@FAST
@given(texts())
def test_a_document_decodes_the_same_plain_or_hooked(text: str) -> None:
    assert decoded(text, None, True) == decoded(text, None, False)


@FAST
@given(st.sampled_from(NOTICES), texts(), st.text(max_size=4))
def test_a_document_behind_notices_decodes_the_same_plain_or_hooked(
    before: str, text: str, after: str
) -> None:
    whole = before + text + after
    assert decoded(whole, len(before), True) == decoded(whole, len(before), False)


def test_a_key_given_twice_is_seen_at_every_depth() -> None:
    """The shapes the counting must not miss: a key given twice in the answer
    itself, in an order's item, deeper down, alike or differently, and beside a
    colon in a text that a count of colons alone would take for the lost key."""
    cases = [
        '{"order": 1, "order": 2}',
        '{"23501": {"status": "Completed", "status": "Canceled"}}',
        '{"23501": {"status": "Completed", "status": "Completed"}}',
        '[{"order": 1, "order": 2}]',
        '{"a": {"b": {"c": 1, "c": 2}}}',
        '{"a": [{"c": 1, "c": 2}]}',
        '{"23501": {"status": "Canceled", "status": "Canceled: x"}}',
        '{"23501": {"status": "a:b", "status": "c"}, "23502": {}}',
        '{"23501": "Incorrect order ID", "23502": {"status": "a", "status": "b"}}',
        '{"x\\u003a": 1, "x\\u003a": 2}',
    ]
    for text in cases:
        plain = decoded(text, None, True)
        assert plain == decoded(text, None, False), text
        assert "Twice" in repr(plain) or plain == shown(json.loads(text)), text
    twice = json_decoder.decode('{"23501": {"status": "Completed", "status": "Canceled"}}')
    assert isinstance(twice["23501"]["status"], Twice)


def test_a_larger_text_is_decoded_with_the_hook_alone() -> None:
    """Past PLAIN_FIRST (a services listing) the hooked decoder reads it once:
    a key given twice is seen there too."""
    filler = '"' + "x" * json_decoder.PLAIN_FIRST + '"'
    data = json_decoder.decode('{"a": ' + filler + ', "b": 1, "b": 2}')
    assert isinstance(data["b"], Twice)
