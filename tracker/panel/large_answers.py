"""Large answers read one at a time, process-wide.

Decoded, a 16 MB services answer (its cap) takes up to ~300 MB: 16 MB of
``["ab","ab",...]`` ~310 MB, a real 60,000-service listing ~90 MB. The
daemon syncs each panel's catalogue in a worker thread of its own (all of
them at a start, and the refill job may ask too): three such answers read at
once took the daemon to ~950 MB, past the unit's MemoryMax=512M, and the
kernel killed it at every start. An answer over :data:`LARGE` bytes to a call
that only reads is now read (made UTF-8, the key blanked, decoded) only while
it holds the one slot; another waits, at most until its own call's deadline,
and a stop ends the wait. The answers of ``add``, ``refill`` and ``cancel``
(1 MB cap) never wait: whether they acted must be known. A services call
keeps the slot until its answer is parsed (:func:`kept`): the decoded JSON,
alive while it is, is dropped before the next large answer is read.

A call whose wait for the slot outlasts its deadline fails with
:class:`~tracker.errors.UnreadAnswerError`: the panel answered, so it counts
as an answer for the panel's reachability (no ``panel_unreachable`` for
it; the per-attempt metrics count it failed, as a rate limit's refusal).
It is not retried: a retry would send the request again and have the panel
send the same megabytes again (its rate limit spent on them) only to wait
for the same slot, most likely still held by the answer being parsed, and
the wait was already given all of the attempt's time. The catalogue is asked again at its next sync
(``services --refresh`` by hand).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tracker.errors import StopRequested, UnreadAnswerError
from tracker.panel.deadline import MB, format_size
from tracker.panel.sockets import STOP_SLICE

LARGE = 2 * MB  # a status answer (100 orders) is ~20 kB; a services listing of 6,000 ~2 MB
_SLOT = threading.Lock()
_thread = threading.local()  # keeps: within kept(); holds: the slot, kept


@contextmanager
def one_at_a_time(
    size: int, end: float, stop: threading.Event | None, *, panel: str, action: str
) -> Iterator[None]:
    """Given an answer's size, its call's deadline (``time.monotonic()``) and
    the stop event (None: not waited on), hold the process's one slot for
    large answers while the block reads it; a small one goes on at once.

    Raise StopRequested when ``stop`` is set while waiting, UnreadAnswerError
    when the deadline passes first: the call fails, nothing else does."""
    if size <= LARGE or getattr(_thread, "holds", False):  # small, or a retry under kept()
        yield
        return
    while not _SLOT.acquire(timeout=max(0.0, min(STOP_SLICE, end - time.monotonic()))):
        if stop is not None and stop.is_set():
            raise StopRequested("stopping: its answer was not read", panel=panel, action=action)
        if time.monotonic() >= end:
            raise UnreadAnswerError(
                f"answer of {format_size(size)} not read by the call's deadline: another"
                " large answer was being read (they are read one at a time, to bound memory)",
                panel=panel,
                action=action,
            )
    try:
        yield
    finally:
        if getattr(_thread, "keeps", False):
            _thread.holds = True  # released by kept(), once the answer is parsed
        else:
            _SLOT.release()


@contextmanager
def kept() -> Iterator[None]:
    """Keep the slot a large answer takes in this block until the block ends:
    its decoded JSON is parsed in it and dropped before another is read."""
    _thread.keeps = True
    try:
        yield
    finally:
        _thread.keeps = False
        if getattr(_thread, "holds", False):
            _thread.holds = False
            _SLOT.release()
