"""What a client logs once per panel: a status spelling, a key given, taken over at a reload."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import structlog

from tracker.panel.settings import P
from tracker.panel.witness import Witnessed

log = structlog.get_logger("tracker.client")

# Unknown status spellings logged one by one, per panel and process: past
# them (a panel writing a number into its words, "In queue (1532)", new at
# every poll) one line says so and no more are kept, so memory stays flat.
MAX_SPELLINGS_LOGGED = 100


class TellsOnce(Witnessed[P]):
    """The once-per-panel lines of :class:`tracker.panel.status_calls.StatusCalls`."""

    _spellings_logged = 0  # unknown status spellings logged (kept in _warned)

    def warn_unknown(self, kind: str, raw: str | None) -> None:
        """Log a status spelling we do not know, once per panel and spelling:
        the first MAX_SPELLINGS_LOGGED of them, then one ``unknown_status_many``
        line, then none (the ``unknown_status`` alert and ``orders --status``
        still name them all, from the database)."""
        key = f"{kind}:{raw}"
        with self._warn_lock:
            if key in self._warned or self._spellings_logged > MAX_SPELLINGS_LOGGED:
                return
            self._spellings_logged += 1
            many = self._spellings_logged > MAX_SPELLINGS_LOGGED
            if not many:
                self._warned.add(key)
        if many:
            log.warning(
                "unknown_status_many",
                panel=self.name,
                kind=kind,
                status=raw,
                logged=MAX_SPELLINGS_LOGGED,
                hint="further unknown spellings are not logged; see the unknown_status alert",
            )
            return
        log.warning("unknown_status", panel=self.name, kind=kind, status=raw)

    def spellings_told(self, spellings: Iterable[str]) -> None:
        """Order status spellings an earlier ``run --once`` warned of (its
        ``unknown_status`` alert still open): not warned again in this process."""
        with self._warn_lock:
            self._warned.update(f"order:{raw}" for raw in spellings)

    def once(self, key: str) -> bool:
        """Return True the first time ``key`` is given for this panel in the
        process (a reload's new client goes on from the old one's: :meth:`told_by`)."""
        with self._warn_lock:
            if key in self._warned:
                return False
            self._warned.add(key)
            return True

    def told_by(self, before: TellsOnce[Any]) -> None:
        """At a reload: what ``before``, the old generation's client of the same
        panel, logged once (PHP notices, a status spelling, an absurd number)
        is not logged again by this one, nor a poll line whose episode goes on."""
        with before._warn_lock:
            told = set(before._warned)
        with self._warn_lock:
            self._warned |= told
        self.told_lines.take_over(before.told_lines)  # their episodes go on
