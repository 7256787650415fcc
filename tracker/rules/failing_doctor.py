"""``smm-tracker doctor``'s line per panel whose polls are failing now (the
database's episodes): the panel may answer ``balance`` while its status calls
fail. Apart from :mod:`tracker.rules.doctor`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tracker.rules.doctor import FAIL, WARN, Check
from tracker.rules.not_answering import (
    NOT_ANSWERING,
    daemon_key_fix,
    key_fix,
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
    manager: str | None = None,
) -> list[Check]:
    """Given (panel, kind, since, the episode's newest alert or None, when it
    was raised) for each panel whose polls are failing now (the database's
    episodes), return a warning line per configured panel, its worst episode
    first (an alert quoted dated: its words were then's): the panel may
    answer ``balance`` (ok above) while its status calls fail. A refused key
    says both episodes when every call fails too, as ``balance`` does, and
    what fixes it, the key where ``keys`` ({panel: "panels[0].key_env
    (...)"}) says it is set, then what has the daemon of the installed unit
    (``manager``: :func:`~tracker.rules.not_answering.key_taken`'s) take it,
    not the status_failed lines; a panel in ``accepted`` (doctor's own
    balance call, with the key set now, was answered) says the key was
    refused and is taken by a reload or the next run, not to fix a key that
    works; one in ``refused`` (that call refused for its key) has no line
    here: its FAIL line says the problem, once (:func:`refused_key_lines`)."""
    lines: dict[str, Check | None] = {}
    open_now = _open_now(rows)
    for panel, kind, since, said, *said_at in rows:
        if panel not in configured or panel in lines:
            continue
        place = (keys or {}).get(panel)
        if panel in refused and "auth_failed" in open_now.get(panel, {}):  # its FAIL line
            lines[panel] = None
            continue
        if kind == "auth_failed" and panel in accepted:  # fixed since the last run
            taken = f"{key_taken(place, manager)} has the daemon read it"
            text = f"the API key was refused since {_stored(since)}: {KEY_ACCEPTED}; {taken}"
            text += ", a cron run takes it at its next run"
        elif kind == "auth_failed":  # the worst: the key's fix, whatever else fails
            words, first = not_answering_said(kind, since, open_now[panel], _stored)
            alert = f"; its alert: {_quoted(said, place, manager)}" if said else ""
            text = f"{words}: {first}{key_fix(place, manager)}{alert}"
        else:
            # The alert as it was said then (its "for 1m56s", its last error),
            # dated: not read as the state of things now.
            dated = f"; its alert at {_stored(said_at[0])}: " if said_at and said_at[0] else ": "
            why = f"{dated}{said}" if said else "; the log's status_failed lines say why"
            text = f"{_FAILING.get(kind, kind)} since {_stored(since)}{why}"
        lines[panel] = Check(WARN, f"panel {panel}", text)
    return [line for line in lines.values() if line is not None]


def refused_key_lines(
    rows: Sequence[Sequence[Any]],
    refused: Mapping[str, Check],
    keys: Mapping[str, str] | None = None,
    manager: str | None = None,
) -> dict[str, Check]:
    """Given the episodes (:func:`failing_checks`' rows) and the FAIL line of
    each panel doctor's own balance call found refusing its key (it names
    where the key is set), return, for each whose ``auth_failed`` episode
    is open, its FAIL line saying the daemon's episode too (since when) and
    what has the daemon take the fixed key (``manager``: the installed
    unit's, :func:`~tracker.rules.not_answering.key_taken`): one line for
    the one problem, where a warn line under it said the fix again."""
    open_now = _open_now(rows)
    lines = {}
    for panel, check in refused.items():
        episodes = open_now.get(panel, {})
        if "auth_failed" not in episodes:  # no run has met it: nothing to take it
            continue
        words, _first = not_answering_said(
            "auth_failed", episodes["auth_failed"], episodes, _stored
        )
        taken = key_taken((keys or {}).get(panel), manager)
        detail = f"{check.detail}, then {taken}; from cron, the next run reads it"
        lines[panel] = Check(FAIL, check.name, f"{detail}; the daemon's polls: {words}", check.url)
    return lines


def _quoted(said: str, place: str | None, manager: str | None) -> str:
    """The daemon's ``auth_failed`` message as doctor quotes it after the
    fix it said: the same fix at its end left out, not said twice (one the
    daemon said otherwise, the unit installed or the config changed since
    its start, kept)."""
    fix = f"; {daemon_key_fix(place, manager)}."
    return f"{said.removesuffix(fix)}." if said.endswith(fix) else said


def _open_now(rows: Sequence[Sequence[Any]]) -> dict[str, dict[str, str | None]]:
    """{panel: {kind: since}} of the episodes of a panel not answering."""
    open_now: dict[str, dict[str, str | None]] = {}
    for panel, kind, since, *_said in rows:
        if kind in NOT_ANSWERING:
            open_now.setdefault(panel, {})[kind] = since
    return open_now


def _stored(moment: str | None) -> str:
    """A moment as stored (the CLI shortens it on a terminal); NULL, a file
    edited by hand, as "an unknown time"."""
    return moment or "an unknown time"
