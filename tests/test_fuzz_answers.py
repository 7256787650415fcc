"""Every panel answer parser fuzzed, seeded and repeatable, through the client.

Answers built from a grammar of what panels send and bent as a hostile panel
would (``tests/fuzzing.py``) go through the client's real entry points, one
action at a time, single and multi (``tests/fuzz_oracle.py`` says what must
hold). A fixed budget with fixed seeds runs in CI. A longer or another run:

    SMM_FUZZ_INPUTS=20000 SMM_FUZZ_SEED=7 pytest tests/test_fuzz_answers.py

(inputs per entry point; 11 entry points). A broken invariant fails with the
case, and the seed and index that replay it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator

import pytest
from fuzz_oracle import ENTRY_POINTS, Case, judged, make_case, run_case
from fuzzing import KEY, Fuzzer, Obj, write

INPUTS = int(os.environ.get("SMM_FUZZ_INPUTS", "0") or 0) or 150
SEED = int(os.environ.get("SMM_FUZZ_SEED", "0") or 0)
# The slowest input may take this much CPU: a quadratic read of a 1 MB answer
# takes minutes; a linear one, well under a second (0.1-0.8 s measured).
CEILING = 5.0
MB = 1_000_000


def failures_of(cases: Iterable[Case], label: str) -> list[str]:
    """Run each case; return the first few broken invariants, each with its case."""
    failures = []
    for index, case in enumerate(cases):
        broken, seconds = run_case(case)
        if seconds > CEILING:
            broken.append(f"took {seconds:.1f} s")
        if broken:
            failures.append(f"[{label} #{index}] {broken[0]} -- {case.shown()}")
            if len(failures) >= 5:
                break
    return failures


def _fuzzed(entry: str, inputs: int, seed: int) -> Iterator[Case]:
    fz = Fuzzer(seed * 1000 + ENTRY_POINTS.index(entry))  # the same on every machine
    return (make_case(fz, entry) for _ in range(inputs))


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_hostile_answers_break_no_invariant(entry):
    failures = failures_of(_fuzzed(entry, INPUTS, SEED), f"seed {SEED}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_answer_cut_at_every_byte_breaks_no_invariant(entry):
    # A panel whose answer is cut short (a dropped connection, a full disk):
    # every prefix of a valid answer, notices in front, with the key echoed.
    fz = Fuzzer(SEED * 1000 + 500 + ENTRY_POINTS.index(entry))
    ids = [101, 202] if entry not in ("status", "refill", "refill_status") else [101]
    tree = fz.answer(entry, ids)
    if isinstance(tree, Obj):
        tree.append(("note", f"key {KEY}"))
    text = "Notice: Undefined index in /a.php on line 3\n" + write(tree)
    whole = text.encode()
    cut = [
        judged(Case(entry, ids, whole[:n], None, 200, None, False)) for n in range(len(whole) + 1)
    ]
    failures = failures_of(cut, f"cut {entry}")
    assert not failures, "\n".join(failures)


def _status_text(body: str) -> bytes:
    return ('{"1": {"status": "' + body + '"}, "2": {"status": "Completed"}}').encode()


BIG = {
    "items": lambda: json.dumps(
        {str(i): {"status": "Completed", "charge": "0.5"} for i in range(1, 23_000)}
    ).encode(),
    "key echoed": lambda: _status_text((KEY + " ") * (MB // 25)),
    "open quotes": lambda: ('"x\\"' * (MB // 4)).encode(),
    "braces": lambda: b"{" * MB,
    "lone surrogates": lambda: _status_text("\\ud800" * (MB // 7)),
    "a long number": lambda: (
        '{"1": {"status": "Completed", "charge": ' + "9" * MB + "}}"
    ).encode(),
    "notice lines": lambda: (
        b"Warning: x on line 1<br />\n" * (MB // 28) + b'{"1": {"status": "Completed"}}'
    ),
}


@pytest.mark.parametrize("shape", list(BIG))
def test_a_megabyte_answer_is_read_within_the_ceiling(shape):
    body = BIG[shape]()[: 1024 * 1024]
    failures = failures_of([judged(Case("statuses", [1, 2], body, None, 200, None, False))], shape)
    assert not failures, "\n".join(failures)
