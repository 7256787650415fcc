"""Each panel's actions' counts of runs of failures in a row, kept across
``run --once`` runs (:mod:`tracker.rules.refill_rounds`: an action that
failed in BROKEN_AFTER of them is broken, and holds no refill round).

A count is a row of ``alert_state`` (no alert, ``active`` 0): ``panel``
the panel's name, ``kind`` ``failed_runs#<action>#<count>``
(``failed_runs#balance#2``), ``since`` when it was stored. An action has
one row at most; an answer of it deletes its row, and so does a run's
start once the config no longer names the panel
(:meth:`tracker.jobs.reach.Reach.carry_counts`), or names it at another URL
than they were counted at: a panel's counts hold at one URL, kept beside
them in one more row, ``failed_runs_at@<12 hex digits>`` (a digest of the
URL as errors show it, no secret in it, as a quirk's row marks its URL).
Counts stored before it (no such row) hold at any URL.

The panel's runs of failed polls and calls (``status_failing``'s and
``panel_unreachable``'s episodes, not alerted yet) hold at one URL too: the
URL the last run (a ``run --once``, a daemon) ran at is kept in a row
``run_url#<12 hex digits>`` (the same digest; no ``@``: no quirk's row),
written by a run whose URL it is not (the first, or the first after a move;
a daemon's reload moving it); a run or a daemon's start at another URL than
it begins them anew (:func:`moved_since_last_run`). None stored yet: not
moved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from tracker.clock import iso, parse_iso
from tracker.panel.urls import shown_url
from tracker.store.orders import Store
from tracker.store.sql import chunks, panels_of, placeholders

KIND = "failed_runs"
AT = "failed_runs_at"  # the URL a panel's counts were counted at: failed_runs_at@<digest>
RUN_URL = "run_url"  # the URL a panel's last run --once ran at: run_url#<digest>

Stored = dict[str, dict[str, tuple[int, datetime]]]  # panel -> action -> (count, stored at)


def _digest(url: str) -> str:
    return hashlib.sha256(shown_url(url).encode()).hexdigest()[:12]


def url_mark(url: str) -> str:
    """The ``alert_state`` kind saying a panel's counts were counted at ``url``."""
    return f"{AT}@{_digest(url)}"


def run_url_mark(url: str) -> str:
    """The ``alert_state`` kind saying a panel's last run ran at ``url``."""
    return f"{RUN_URL}#{_digest(url)}"


def moved_since_last_run(store: Store, urls: Mapping[str, str], now: datetime) -> set[str]:
    """Return the panels of ``urls`` (name -> URL) the last run ran at
    another URL (its ``run_url#`` row), and keep each one's URL as of
    ``now`` where it is not kept yet: one transaction when one is not (a
    run's first, a move's), none otherwise. Index seeks; raises what the
    database raises (busy)."""
    marks: dict[str, str] = {}
    for part in chunks(sorted(urls), 250):
        rows = store.rows(
            f"SELECT panel, kind FROM alert_state WHERE panel IN ({placeholders(part)}) "
            "AND kind GLOB ?",
            [*part, f"{RUN_URL}#*"],
        )
        marks.update((str(row["panel"]), str(row["kind"])) for row in rows)
    unkept = [p for p, url in sorted(urls.items()) if marks.get(p) != run_url_mark(url)]
    if unkept:
        with store.write(f"{RUN_URL} kept") as db:
            for panel in unkept:
                db.conn.execute(
                    "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?",
                    [panel, f"{RUN_URL}#*"],
                )
                db.conn.execute(
                    "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?)",
                    [panel, run_url_mark(urls[panel]), iso(now)],
                )
    return {panel for panel in unkept if panel in marks}


def load_counts(store: Store, urls: Mapping[str, str]) -> Stored:
    """Return the counts stored, of every panel (those of a panel the
    config no longer names too: the run deletes them), each with when it
    was stored; a row not of this form (a file edited by hand) is left
    out; those counted at another URL than ``urls`` (panel -> its URL in
    the config) names: 0 (the run deletes them too). Read by index seeks (a
    scan of alert_state's marks was 3 ms at 20k of them). Raises what the
    database raises (busy)."""
    found: Stored = {}
    marks: dict[str, str] = {}
    panels = [str(row["name"]) for row in store.rows(panels_of("alert_state"))]  # a seek each
    for part in chunks(panels, 250):
        rows = store.rows(
            f"SELECT panel, kind, since FROM alert_state WHERE panel IN ({placeholders(part)}) "
            "AND (kind GLOB ? OR kind GLOB ?)",
            [*part, f"{KIND}#*", f"{AT}@*"],
        )
        for row in rows:
            if str(row["kind"]).startswith(f"{AT}@"):
                marks[str(row["panel"])] = str(row["kind"])
                continue
            parts = str(row["kind"]).split("#", 2)
            try:
                at = parse_iso(str(row["since"]))
                number = int(parts[2])
            except (TypeError, ValueError, IndexError):
                continue
            action = parts[1]
            found.setdefault(str(row["panel"]), {})[action] = (number, at)
    for panel, mark in marks.items():
        if panel in urls and mark != url_mark(urls[panel]):  # the panel moved since
            found[panel] = {action: (0, at) for action, (_, at) in found.get(panel, {}).items()}
    return found


def save_counts(
    store: Store, counts: Sequence[tuple[str, str, int]], now: datetime, urls: Mapping[str, str]
) -> None:
    """Store each ``(panel, action, count)`` as of ``now`` (0: none, its row
    deleted), in one transaction, and the URL (``urls``: panel -> its URL)
    of each panel left with a count. Raises what the database raises."""
    with store.write(f"{KIND} kept") as db:
        for panel, action, count in counts:
            db.conn.execute(
                "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?",
                [panel, f"{KIND}#{action}#*"],
            )
            if count > 0:
                db.conn.execute(
                    "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?)",
                    [panel, f"{KIND}#{action}#{count}", iso(now)],
                )
        for panel in sorted({panel for panel, _, _ in counts}):
            db.conn.execute(
                "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?", [panel, f"{AT}@*"]
            )
            if panel in urls:  # where it has counts left
                db.conn.execute(
                    "INSERT INTO alert_state (panel, kind, active, since) SELECT ?, ?, 0, ? "
                    "WHERE EXISTS (SELECT 1 FROM alert_state WHERE panel = ? AND kind GLOB ?)",
                    [panel, url_mark(urls[panel]), iso(now), panel, f"{KIND}#*"],
                )
