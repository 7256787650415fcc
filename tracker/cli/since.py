"""``--since DURATION``: how far back a listing reaches, read the same way everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.cli.main import EXIT_USAGE, fail


def since_seconds(since: str) -> float:
    """Given a ``--since`` duration, return its seconds; a bad duration or an
    empty window is a usage error (one line, exit 2)."""
    from tracker.config.durations import parse_duration

    try:
        seconds = parse_duration(since)
    except ValueError as exc:
        fail(f"--since: {exc}", EXIT_USAGE)
    if seconds <= 0:  # "0d": an empty window, as `report` says
        fail("--since: must be longer than 0s", EXIT_USAGE)
    return seconds


def since_start(since: str | None) -> datetime | None:
    """Given a ``--since`` duration (or None), return the instant it reaches back
    to; a bad duration is a usage error (one line, exit 2)."""
    if since is None:
        return None
    from tracker.clock import utcnow

    return utcnow() - timedelta(seconds=since_seconds(since))


def since_text(since: str) -> str:
    """Given a ``--since`` duration, return it as the messages show it: as read,
    without the spaces around it (" 7d" is 7d, as " 5" is order 5)."""
    return since.strip()
