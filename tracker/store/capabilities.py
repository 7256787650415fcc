"""What the tracker learned a panel cannot do (``panel_capabilities``).

An action is stored unsupported when the panel refuses it for every order with
the words it gives an action that does not exist; the refill job then sends no
such request until the user asks (``smm-tracker refill ID``), which re-learns.

Each row keeps the panel URL it was learned at (m039, credentials blanked:
:func:`tracker.panel.urls.shown_url`). What a panel script lacks is its
script's: read with the panel's URL now (``url``), a row learned at another
URL does not hold, so it is asked again at once; one written before m039 (no
URL kept) holds, as it always did. Each keeps a mark of the key it was
learned with too (m040, :mod:`tracker.store.key_marks`: never the key):
:func:`tracker.jobs.learned.tell_client` forgets the panel's rows when its
key now has another mark.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.panel.settings import Secret
from tracker.panel.urls import shown_url
from tracker.rules.quirks import quirk_kind
from tracker.store.connection import Connection
from tracker.store.key_marks import key_mark

_COLUMNS = "panel, action, supported, learned_at, evidence, url"


def learned_rows(store: Connection, panel: str, url: str) -> list[dict[str, Any]]:
    """Return what is stored of ``panel`` (supported or not) that holds at
    ``url``, its URL now: rows learned at it, or before any URL was kept."""
    return store.rows(
        f"SELECT {_COLUMNS} FROM panel_capabilities WHERE panel = ? "
        "AND (url IS NULL OR url = ?) ORDER BY action",
        [panel, shown_url(url)],
    )


def unsupported_actions(
    store: Connection, panel: str | None = None, url: str | None = None
) -> list[dict[str, Any]]:
    """Return the actions learned unsupported (of one panel, or every panel);
    with ``url`` (one panel's URL now), only those that hold there."""
    sql = f"SELECT {_COLUMNS} FROM panel_capabilities WHERE supported = 0"
    if panel is None:
        return store.rows(sql + " ORDER BY panel, action")
    if url is not None:
        return [r for r in learned_rows(store, panel, url) if not r["supported"]]
    return store.rows(sql + " AND panel = ? ORDER BY action", [panel])


def holds(row: Mapping[str, Any], url: str) -> bool:
    """Given a ``panel_capabilities`` row and its panel's URL now, return True
    when the row holds there: learned at that URL, or before any URL was kept."""
    return row["url"] is None or row["url"] == shown_url(url)


def unsupported_here(
    store: Connection, urls: Mapping[str, str], panel: str | None = None
) -> list[dict[str, Any]]:
    """Return the actions learned unsupported (of ``panel``, or every panel)
    that hold: a configured panel's (``urls``: name -> its URL now) only where
    learned at its URL; every row of a panel the config does not name."""
    rows = unsupported_actions(store, panel)
    return [r for r in rows if r["panel"] not in urls or holds(r, urls[r["panel"]])]


def learned_where(row: Mapping[str, Any], configured: Collection[str]) -> str:
    """Where a row of a panel not in the config (``configured``: the names it
    gives) was learned: " (at URL)", its credentials as ``***``, said after
    the panel wherever the row is shown: nothing says its URL now, and what is
    shown beside it may be another URL's. "" for a configured panel, whose rows
    shown are those of its URL now, or a row from before URLs were kept."""
    if row["url"] is None or row["panel"] in configured:
        return ""
    return f" (at {shown_url(row['url'])})"


def is_unsupported(store: Connection, panel: str, action: str, url: str | None = None) -> bool:
    """Return True when ``action`` is learned unsupported on ``panel`` (at
    ``url``, its URL now, when given)."""
    return any(r["action"] == action for r in unsupported_actions(store, panel, url))


def forget(store: Connection, panel: str) -> list[str]:
    """Delete what is stored of ``panel``'s script (its key changed: maybe
    another account on another script); return the actions forgotten."""
    with store.write() as db:  # no RETURNING: SQLite 3.33 is the oldest the tracker runs on
        found = "SELECT action FROM panel_capabilities WHERE panel = ? ORDER BY action"
        actions = [row[0] for row in db.execute(found, [panel]).fetchall()]
        db.execute("DELETE FROM panel_capabilities WHERE panel = ?", [panel])
    return actions


def learn(
    store: Connection,
    panel: str,
    action: str,
    supported: bool,
    evidence: str,
    now: datetime,
    *,
    url: str,
    key: Secret,
) -> None:
    """Record what the panel, at ``url`` and with ``key``, just showed about
    ``action`` (a mark of the key kept, never the key)."""
    mark = key_mark(key)  # made before the write: its 50 ms hold no lock
    with store.write() as db:
        db.execute(
            "INSERT INTO panel_capabilities "
            "(panel, action, supported, learned_at, evidence, url, key_mark) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (panel, action) DO UPDATE SET "
            "supported = excluded.supported, learned_at = excluded.learned_at, "
            "evidence = excluded.evidence, url = excluded.url, key_mark = excluded.key_mark",
            [panel, action, int(supported), iso(now), evidence, shown_url(url), mark],
        )


def key_marks(store: Connection, panel: str, url: str) -> list[str | None]:
    """Return the key marks of ``panel``'s rows that hold at ``url``, one a
    row (None: a row written before m040 kept one)."""
    rows = store.tuples(
        "SELECT key_mark FROM panel_capabilities WHERE panel = ? AND (url IS NULL OR url = ?)",
        [panel, shown_url(url)],
    )
    return [mark for (mark,) in rows]


def mark_all(store: Connection, panel: str, mark: str) -> None:
    """Give every row of ``panel`` the key mark ``mark`` (its key's, checked):
    the next process checks one mark, not one a row."""
    with store.write() as db:
        db.execute("UPDATE panel_capabilities SET key_mark = ? WHERE panel = ?", [mark, panel])


# A first refusal of an action in the words of one the panel lacks, waiting
# for a second (:func:`first_refusal`): kept in ``alert_state`` under this
# kind (no alert: ``active`` 0, ``since`` the refusal's time), so a flaky
# panel's one generic refusal teaches nothing, in the daemon and across
# ``run --once`` runs alike. The kind holds a digest of the panel's URL as
# errors show it (``refill_refused_once@<12 hex digits>``, as a quirk's:
# never a digest of a secret): a refusal at the panel's old URL is no first
# one at its new URL (another script, maybe), and is deleted with the next
# write of that action's. After it, ``#`` and the mark of the key it was
# refused with (:mod:`tracker.store.key_marks`: never the key), so that a
# refusal of another key's counts not; one kept before marks were has none.
def _first_kind(action: str, url: str, mark: str | None = None) -> str:
    kind = quirk_kind(f"{action}_refused_once", url)
    return kind if mark is None else f"{kind}#{mark}"


def _any_url(action: str) -> str:
    """A GLOB of the action's first-refusal kinds at every URL, with any key
    mark (and the one kept before URLs were: no digest)."""
    return f"{action}_refused_once*"


def first_refusal(
    store: Connection, panel: str, action: str, url: str
) -> tuple[str, str | None] | None:
    """Return the first refusal of ``action`` at ``url`` (the panel's URL
    now) as a missing one, with no success of it since: when (an ISO time)
    and the mark of the key it was refused with (None: kept before marks
    were); None when nothing waits there."""
    kind = _first_kind(action, url)
    rows = store.rows(
        "SELECT kind, since FROM alert_state WHERE panel = ? AND (kind = ? OR kind GLOB ?) "
        "AND since IS NOT NULL",
        [panel, kind, f"{kind}#*"],
    )
    if not rows:
        return None
    return rows[0]["since"], rows[0]["kind"][len(kind) + 1 :] or None


def refused_before(store: Connection, panel: str, action: str, url: str) -> str | None:
    """Return when ``action`` was first refused at ``url`` (the panel's URL
    now) as a missing one, with no success of it since (an ISO time), with
    whichever key; or None: nothing waits there."""
    found = first_refusal(store, panel, action, url)
    return None if found is None else found[0]


def note_refusal(
    store: Connection, panel: str, action: str, now: datetime, url: str, *, mark: str
) -> None:
    """Keep a first refusal of ``action`` in a missing action's words at
    ``url``, with ``mark``, that of the key it was refused with; one kept at
    another URL, or with another key, is deleted."""
    with store.write() as db:
        db.execute(
            "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?", [panel, _any_url(action)]
        )
        db.execute(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?)",
            [panel, _first_kind(action, url, mark), iso(now)],
        )


def forget_refusals(store: Connection, panel: str) -> int:
    """Delete every first refusal of ``panel`` waiting for a second (every
    action, at any URL): its key changed, and a refusal of the old key's is
    no first one of the new key's. Return how many were deleted."""
    with store.write() as db:
        gone = db.execute(
            "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?", [panel, _any_url("*")]
        )
    return gone.rowcount


def forget_refusal(store: Connection, panel: str, action: str) -> None:
    """``action`` succeeded, or was learned missing: no first refusal waits
    (at any URL)."""
    with store.write() as db:
        db.execute(
            "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?", [panel, _any_url(action)]
        )
