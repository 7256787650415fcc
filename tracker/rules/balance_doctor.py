"""doctor's lines about the actions a panel was learned to lack, a panel
without ``balance`` told apart: the panel's own line says it when doctor's
balance call finds the action missing now (a warning, not a failed call), and
a stored ``balance`` row has a line only for a panel doctor did not call.
Apart from :mod:`tracker.rules.doctor`, which is at its size limit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from tracker.rules.capabilities import (
    BALANCE,
    NO_BALANCE,
    STATUS_ORDERS,
    no_balance,
    silent_witness,
    status_one_at_a_time,
)
from tracker.rules.doctor import OK, WARN, Check, capability_check


def no_balance_check(name: str, key_source: str | None, words: str) -> Check:
    """Given a panel whose balance call was refused in the words it gives an
    action that does not exist (the key working), return its line."""
    key = f"key: {key_source}" if key_source else "key: source unknown"
    said = f"it answers {words!r}, as it does an unknown action"
    return Check(WARN, f"panel {name}", f"{key}; answers, but has no balance action ({said}); "
                 f"{NO_BALANCE}")  # fmt: skip


def balance_refused_once_check(name: str, key_source: str | None, words: str) -> Check:
    """Given a panel whose balance call was refused in the words it gives an
    action that does not exist (the key working), not learned without
    ``balance``: return its line (one such refusal may be a flaky panel's)."""
    key = f"key: {key_source}" if key_source else "key: source unknown"
    said = f"{words!r}, as it answers an unknown action"
    return Check(WARN, f"panel {name}", f"{key}; answers, but refused balance in the words of a "
                 f"missing action ({said}): learned missing only if refused again (two balance "
                 "checks in a row); one refusal may be a flaky panel's")  # fmt: skip


def unjudged_refusal(words: str, witness: str, why: str) -> str:
    """Given balance's whole-answer refusal (``words``) and the witness call
    asked what it means that got no answer (``why``: a timeout, a dropped
    connection), return the error doctor says: the panel's silence, no
    refused key nor missing action (a timeout is evidence of neither)."""
    return f"{silent_witness(words, witness, why)}; try again"


def learned_checks(rows: Sequence[Sequence[Any]], called: Collection[str]) -> list[Check]:
    """Given (panel, action, learned_at, evidence, at) of each action learned
    unsupported (``at``: the URL a row of a panel the config no longer names
    was learned at, as errors show it; None for a configured panel's) and the
    panels doctor called, return their lines, the URL said after the panel
    and in the line's own ``url`` (``doctor --json``'s field)."""
    checks = []
    for panel, action, learned_at, evidence, at in rows:
        label = f"{panel} (at {at})" if at else panel
        if action == STATUS_ORDERS:  # no fault: statuses asked one order at a time
            check = Check(OK, f"panel {label}", status_one_at_a_time(learned_at, evidence))
        elif action != BALANCE:
            check = capability_check(label, action, learned_at, evidence)
        elif panel not in called:  # a called panel's line says what it answers now
            check = Check(WARN, f"panel {label}", no_balance(learned_at, evidence))
        else:
            continue
        checks.append(replace(check, url=at))
    return checks
