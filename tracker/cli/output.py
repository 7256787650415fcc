"""When the output cannot be written (a full disk under ``> file``): one line
on stderr and exit 1, never a traceback. A closed pipe (``| head -1``) ends
the command quietly with 141, the status a shell gives git, grep and
coreutils there (killed by SIGPIPE: 128 + 13), not click's 1, which read as
a failure of the command itself; except for the ID of an order just placed,
which is never lost without a word. A path argument the filesystem refuses
(past 255 bytes) is one line, exit 2, and so is a current directory removed
under the command."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import traceback
from collections.abc import Iterable
from typing import NoReturn

import click
import click.utils

EXIT_CLOSED_PIPE = 128 + signal.SIGPIPE  # 141: a shell's status for `seq 1 9 | head -1`'s seq


def output_failed(exc: OSError) -> NoReturn:
    """Given an OSError that ended the command, say so in one line and exit 1
    if click.echo raised it writing the output (every command prints through
    it); otherwise raise ``exc`` on."""
    if exc.errno == errno.ENAMETOOLONG and exc.filename:  # --config, DEST, --keep, PATH...
        click.echo(f"smm-tracker: {exc.strerror}: {exc.filename}", err=True)
        sys.exit(2)
    if isinstance(exc, FileNotFoundError) and _cwd_gone():  # a relative path, or none
        click.echo("smm-tracker: the current directory no longer exists", err=True)
        sys.exit(2)
    if exc.errno == errno.EPIPE or not _from_echo(exc):
        raise exc
    click.echo(f"smm-tracker: cannot write the output: {exc.strerror or exc}", err=True)
    sys.exit(1)


def closed_pipe(exc: OSError) -> NoReturn:
    """Given an OSError that ended the command, end it with 141 and no word
    when click.echo met a pipe whose reader is gone (``| head -1``: stdout,
    or stderr under ``2>&1``); otherwise raise ``exc`` on. What the command did
    before stays done; its ``finally`` blocks have run."""
    quiet_closed_pipe(exc)
    raise click.exceptions.Exit(EXIT_CLOSED_PIPE)


def quiet_closed_pipe(exc: OSError) -> None:
    """Given an OSError that ended what a command said, return when
    click.echo met a pipe whose reader is gone, each such stream pointed at
    /dev/null (a stopped command then ends with its stop's status, 130 or
    143, not 141); otherwise raise ``exc`` on."""
    if exc.errno != errno.EPIPE or not _from_echo(exc):
        raise exc
    _unwritable_to_null()


def last_said(line: str) -> None:
    """Print a stopped command's last line (``smm-tracker: interrupted``) on
    stderr; one it cannot write (closed, a pipe whose reader is gone) is
    lost, and its stream pointed at /dev/null: the stop's status, not the
    pipe's 141 (nor 120, Python's for a flush failing at exit), ends it."""
    try:
        click.echo(line, err=True)
    except (OSError, ValueError):
        _unwritable_to_null()


def _unwritable_to_null() -> None:
    # The unwritten text stays in the stream's buffer, and Python's flush at
    # exit would meet the pipe again: "Exception ignored ... BrokenPipeError".
    # The closed end is pointed at /dev/null instead (the Python docs' way).
    nowhere = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except ValueError:  # closed: nothing left to flush
            pass
        except OSError:
            with contextlib.suppress(OSError, ValueError):  # no descriptor (a test's)
                os.dup2(nowhere, stream.fileno())
    os.close(nowhere)


def said_if_possible(line: str) -> None:
    """Print ``line`` on stderr, or nothing when it cannot be written (closed,
    or a pipe whose reader is gone): for a stop under way, which a line lost
    must not end or hold up."""
    with contextlib.suppress(OSError, ValueError):
        click.echo(line, err=True)


def leave_now(code: int) -> NoReturn:
    """Flush what can be flushed, then end the process with ``code`` at once,
    without waiting for its threads (jobs left running) or its exit handlers.
    An output that cannot be written (``>&-``, a pipe whose reader is gone)
    loses its text, never the exit."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # None: closed
            stream.flush()
    os._exit(code)


def _from_echo(exc: OSError) -> bool:
    """Return True when click.echo raised ``exc`` writing the output (every
    command prints through it), not a file, socket or database."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename == click.utils.__file__


def _cwd_gone() -> bool:
    try:
        os.getcwd()
    except FileNotFoundError:  # removed under us (`rmdir` from another shell)
        return True
    return False


# Linux's pipe capacity: what a reader that goes after its first line (`| head
# -1`) has taken whole when it was written in one go.
PIPE_BUFFER = 64 * 1024


def echo_streamed(pieces: Iterable[str]) -> None:
    """Given the pieces of a streamed listing (``--ids``, ``--json``), print
    them a pipe's buffer at a time, then a newline (none for no piece): a listing that fits in one
    is one write, ended 0 under ``| head -1`` as ``seq 9 | head -1`` is, and
    a longer one still starts at once and is never held whole. click.echo
    flushes each call: a write a line, and ``orders --ids | head -1`` of
    eight orders ended 141 or 0 as the reader's timing fell."""
    held: list[str] = []
    size, some = 0, False
    for piece in pieces:
        held.append(piece)
        size, some = size + len(piece), True
        if size >= PIPE_BUFFER:
            click.echo("".join(held), nl=False)
            held, size = [], 0
    if some:  # none: nothing at all, no empty line (`| wc -l` counts 0)
        click.echo("".join(held))


class OneWrite:
    """A command's lines for stdout, held (``said(line)``) and written in one
    go (:meth:`out`): a short output is one write, ended 0 under ``| head -1``
    as ``seq 9 | head -1`` is, where a write a line (click.echo flushes each
    call) met the reader gone after the first, 141. A note on stderr
    (:meth:`note`) writes what is held first, so ``2>&1`` keeps their order."""

    def __init__(self) -> None:
        self._held: list[str] = []

    def __call__(self, line: str = "") -> None:
        self._held.append(line)

    def note(self, line: str) -> None:
        self.out()
        click.echo(line, err=True)

    def out(self) -> None:
        if self._held:
            text, self._held = "\n".join(self._held), []
            click.echo(text)


def print_placed(order_id: int) -> None:
    """Print the ID of an order just placed (and already tracked). When it cannot
    be written (a closed pipe, a full disk), say on stderr that the order exists
    and is tracked, and exit 1: a script that saw no ID must not place it again."""
    try:
        if sys.stdout is None:  # closed (`>&-`): click.echo would write nowhere, silently
            raise OSError(errno.EBADF, "stdout is closed")
        click.echo(order_id)
    except OSError as exc:
        click.echo(
            f"smm-tracker: order {order_id} was placed and is tracked, but its ID could not "
            f"be printed ({exc.strerror or exc}): do not place it again",
            err=True,
        )
        sys.exit(1)
