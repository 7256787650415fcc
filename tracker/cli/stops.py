"""A SIGTERM to a command that writes (``track``, ``untrack``, ``prune``,
``backup``, ``services``, ``init``, ``alerts``), or only reads (``orders``,
``history``, ``report``, ``doctor``...): ended as a Ctrl-C ends it, not by
the signal's default action (a read said nothing, exit -15).

Once the commands loaded, a SIGTERM (a cron job's timeout, systemd stopping
the unit) killed such a command on the spot: exit -15 and no line, a
``prune`` between batches never saying what it had deleted. Raised here as
:class:`Stopped` (a KeyboardInterrupt), the same paths a Ctrl-C takes run:
the write in progress rolled back, whole or not at all, the command saying
what it did, then ``smm-tracker: stopped by SIGTERM``, exit 143 (130 and
``interrupted`` for a Ctrl-C, as before). :func:`held` runs a step whose
write and what the command says of it go together: a stop then is kept
until the step is done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from tracker.signals import handled_by

# The commands that write or send, other than run/add/refill/cancel (shielded).
WRITES = frozenset({"track", "untrack", "prune", "backup", "services", "init", "alerts"})
# Those that take SIGTERM themselves: every other command, the reads too
# (`orders`, `history`, `report`, `doctor`...), ends on it as a Ctrl-C does.
OWN_STOPS = frozenset({"run", "add", "refill", "cancel", "demo", "simulate", "dashboard"})
EXIT_STOPPED = 128 + signal.SIGTERM  # 143, as shells report a SIGTERM


class Stopped(KeyboardInterrupt):
    """A SIGTERM, raised where a Ctrl-C would be."""


def ending(exc: BaseException) -> tuple[str, int]:
    """Given the stop that ended a command, return its line and exit code."""
    if isinstance(exc, Stopped):
        return "stopped by SIGTERM", EXIT_STOPPED
    return "interrupted", 128 + signal.SIGINT


def _raise(_signum: int, _frame: FrameType | None) -> None:
    raise Stopped


def term_raises() -> Callable[[], None]:
    """Have a SIGTERM raise :class:`Stopped` from now on (in the main thread;
    one the process started ignoring stays ignored); return what puts the
    handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    before = signal.getsignal(signal.SIGTERM)
    if before == signal.SIG_IGN:
        return lambda: None
    signal.signal(signal.SIGTERM, _raise)

    def put_back() -> None:
        signal.signal(signal.SIGTERM, before)

    return put_back


class Hold:
    """The stop kept while a :func:`held` step ran: None, or what it raises."""

    def __init__(self) -> None:
        self.stop: KeyboardInterrupt | None = None


@contextmanager
def held() -> Iterator[Hold]:
    """Run the block as one step: a Ctrl-C or SIGTERM during it is only kept
    (``hold.stop``) and raised once the block is done, so the command can
    say what the step did first (``hold.stop`` read, :func:`end_if_stopped`).
    Off the main thread, the block runs as it is."""
    hold = Hold()
    if threading.current_thread() is not threading.main_thread():
        yield hold
        return

    def keep(signum: int, _frame: FrameType | None) -> None:
        if hold.stop is None:
            hold.stop = Stopped() if signum == signal.SIGTERM else KeyboardInterrupt()

    with handled_by(keep):
        yield hold


def end_if_stopped(hold: Hold) -> None:
    """Raise the stop a :func:`held` step kept, if any."""
    if hold.stop is not None:
        raise hold.stop
