"""``smm-tracker doctor``'s line per panel whose polls are failing now (the
database's episodes): the panel may answer ``balance`` while its status calls
fail. Apart from :mod:`tracker.rules.doctor`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tracker.rules.doctor import WARN, Check
from tracker.rules.not_answering import (
    NOT_ANSWERING,
    key_fix,
    key_fix_above,
    key_taken,
    not_answering_said,
)

_FAILING = {**NOT_ANSWERING, "status_failing": "status polls have failed"}
KEY_ACCEPTED = "the key set now is accepted (its balance call above was answered)"


def failing_checks(
    rows: Sequence[Sequence[Any]],
    configured: Collection[str],
    keys: Mapping[str, str] | None = None,
    accepted: Collection[str] = (),
    refused: Collection[str] = (),
) -> list[Check]:
    """Given (panel, kind, since, the episode's newest alert or None) for each
    panel whose polls are failing now (the database's episodes), return a
    warning line per configured panel, its worst episode first: the panel may
    answer ``balance`` (ok above) while its status calls fail. A refused key
    says both episodes when every call fails too, as ``balance`` does, and
    what fixes it, the key where ``keys`` ({panel: "panels[0].key_env
    (...)"}) says it is set, not the status_failed lines; a panel in
    ``accepted`` (doctor's own balance call, with the key set now, was
    answered) says the key was refused and is taken by a reload or the next
    run, not to fix a key that works; one in ``refused`` (that call refused
    for its key, its FAIL line naming where the key is set) points there,
    the fix said once."""
    lines: dict[str, Check] = {}
    open_now: dict[str, dict[str, str | None]] = {}
    for panel, kind, since, _said in rows:
        if kind in NOT_ANSWERING:
            open_now.setdefault(panel, {})[kind] = since
    for panel, kind, since, said in rows:
        if panel not in configured or panel in lines:
            continue
        if kind == "auth_failed" and panel in accepted:  # fixed since the last run
            taken = f"{key_taken((keys or {}).get(panel))} has the daemon read it"
            text = f"the API key was refused since {_stored(since)}: {KEY_ACCEPTED}; {taken}"
            text += ", a cron run takes it at its next run"
        elif kind == "auth_failed":  # the worst: the key's fix, whatever else fails
            words, first = not_answering_said(kind, since, open_now[panel], _stored)
            alert = f"; its alert: {said}" if said else ""
            place = (keys or {}).get(panel)
            fix = key_fix_above(place) if panel in refused else key_fix(place)
            text = f"{words}: {first}{fix}{alert}"
        else:
            why = f": {said}" if said else "; the log's status_failed lines say why"
            text = f"{_FAILING.get(kind, kind)} since {_stored(since)}{why}"
        lines[panel] = Check(WARN, f"panel {panel}", text)
    return list(lines.values())


def _stored(moment: str | None) -> str:
    """A moment as stored (the CLI shortens it on a terminal); NULL, a file
    edited by hand, as "an unknown time"."""
    return moment or "an unknown time"
