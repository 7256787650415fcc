"""The ``smm-tracker`` console script and ``python -m tracker``: the stop
signals caught before the commands load.

Loading them (click, the tracker's modules: ~80 ms, longer on a busy machine)
is the first thing a command does; a SIGTERM then (systemd stopping a daemon
just started, a cron job's timeout) ended the process by its default action,
-15 and no line, and a Ctrl-C printed a traceback. Caught here first, a stop
is kept until the command is known (``_Group.resolve_command`` in
:mod:`tracker.cli.main`), which then ends as that command's stop ends, or
takes it over (``run``).

The garbage collector is off while they load: what loading makes (modules,
classes, functions: ~58k objects for ``run``) lives as long as the process,
so the 60-80 passes the collector made over it as it grew (~10 ms of a
``run --once``'s start) found next to nothing to free: ~540 objects, ~110 KB
(the classes ``dataclass(slots=True)`` replaces, their first functions),
now kept for the process's life, once. Once the command's module is in,
:meth:`tracker.cli.main._Group.resolve_command` keeps those objects out of
every later pass (``gc.freeze``) and turns the collector back on.
"""

from __future__ import annotations

import _thread
import gc
import signal
import sys
from typing import Any

from tracker.signals import catch_from_start


def main() -> None:
    """Catch SIGTERM and SIGINT, then load and run the commands."""
    catch_from_start()
    sys.unraisablehook = interrupt_kept
    gc.disable()  # until the command's module is in: see above
    from tracker.cli.main import main as commands  # the heavy imports

    try:
        commands()
    finally:
        _ended()


def _ended() -> None:
    """The command has ended, its exit code set: a Ctrl-C from now on ends the
    process by the signal itself (-2, nothing said), as one after Python's
    own end does. Python's handler raised it in the code Python runs as it
    ends (threads joined, atexit's logging shutdown): "Exception ignored
    in...", a traceback. A SIGINT ignored from the start stays ignored."""
    if signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_kept(unraisable: Any) -> None:
    """A Ctrl-C raised where Python cannot raise it (a callback of the import
    machinery's module locks, as a command's module loads): printed as
    "Exception ignored in ...", a traceback, and the Ctrl-C lost. Given to
    the main thread again instead (its handler: the command's "interrupted");
    anything else said as Python says it."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        _thread.interrupt_main()
        return
    sys.__unraisablehook__(unraisable)
