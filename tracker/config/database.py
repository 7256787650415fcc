"""The ``[database]`` table: where the file is, how long a write waits, and
how much history the daemon keeps (``prune_older_than``, off by default).

``prune_older_than`` is validated as ``prune --older-than`` is: the same
duration reader and the same 30-day floor (:func:`too_recent`, which
:mod:`tracker.rules.prune` takes from here: the config is read below it).
"""

from __future__ import annotations

from pathlib import Path

from tracker.config.durations import format_duration, parse_duration
from tracker.config.fields import Table
from tracker.config.model import DatabaseConfig
from tracker.config.places import tidied

DAY = 86400.0
MIN_AGE = 30 * DAY  # the shortest --older-than: a typo must not cost last month's history
PRUNE_KEY = "prune_older_than"


def too_recent(seconds: float) -> str | None:
    """Given ``--older-than`` in seconds, return why it is refused, or None."""
    if seconds < MIN_AGE:
        return "must be at least 30d (365d keeps a year of history)"
    return None


def read_database(t: Table, base_dir: Path) -> DatabaseConfig:
    """Given the ``[database]`` table and the config file's directory, return
    its settings (the defaults where a value is wrong: the problem is recorded)."""
    d = DatabaseConfig()
    text = t.string("path", str(d.path))
    if not text.strip():
        t.fail("path", "must not be empty")
        text = str(d.path)
    path = Path(text).expanduser()
    if text != ":memory:":  # "../data/t.db" said as the file it is, as the config's own path
        path = tidied(base_dir / path)
    busy = t.duration("busy_timeout", d.busy_timeout, minimum=0, maximum=600)
    return DatabaseConfig(path=path, busy_timeout=busy, prune_older_than=_retention(t))


def _retention(t: Table) -> str:
    """Return ``prune_older_than`` as written ("365d"; a number of seconds as
    its duration), "" when absent, "", "0" or 0: never."""
    value = t.raw(PRUNE_KEY)
    if value is None or (isinstance(value, str) and value.strip() in ("", "0")):
        return ""
    try:
        seconds = parse_duration(value, toml=True)
    except ValueError as exc:
        t.fail(PRUNE_KEY, str(exc))
        return ""
    if seconds == 0:
        return ""
    shown = value.strip() if isinstance(value, str) else format_duration(seconds)
    if (why := too_recent(seconds)) is not None:
        t.fail(PRUNE_KEY, f'{why} (got {shown!r}; "0" or "" never prunes)')
        return ""
    return shown
