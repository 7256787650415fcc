"""Running the user's drop probe (``refill.detect = "command"``).

The probe is an executable that measures a link's current count. It is run
without a shell, as ``COMMAND LINK START_COUNT QUANTITY``, with the same
values (and the panel and order ID) in ``SMM_*`` environment variables, and
must print one integer, the link's current count, on stdout and exit 0.

It runs in its own process group, so a timeout kills whatever it started too
(a shell script's ``curl`` would otherwise keep the pipe open). Values equal
to a panel's API key are removed from its environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from tracker.errors import TrackerError
from tracker.panel.values import short

_MAX_OUTPUT = 4096  # a count is a few digits; more than this is not an answer


class ProbeError(TrackerError):
    """The probe failed to give a count: it timed out, exited non-zero or printed no integer."""


class ProbeStopped(ProbeError):
    """The tracker is stopping: the probe was killed before it answered (no result)."""


STOP_LOOK = 0.2  # seconds between looks at the stop event while a probe runs


class ProbeRequest(NamedTuple):
    panel: str
    order_id: int
    link: str
    start_count: int
    quantity: int


def probe_env(
    request: ProbeRequest, base: Mapping[str, str], secrets: Iterable[str]
) -> dict[str, str]:
    """Given a probe request, the daemon's environment and the API keys, return
    the probe's environment: the daemon's, minus any variable holding a key,
    plus SMM_PANEL, SMM_ORDER_ID, SMM_LINK, SMM_START_COUNT and SMM_QUANTITY."""
    hidden = {s for s in secrets if s}
    env = {name: value for name, value in base.items() if value not in hidden}
    env.update(
        SMM_PANEL=request.panel,
        SMM_ORDER_ID=str(request.order_id),
        SMM_LINK=request.link,
        SMM_START_COUNT=str(request.start_count),
        SMM_QUANTITY=str(request.quantity),
    )
    return env


def parse_count(stdout: bytes) -> int:
    """Given a probe's stdout, return the count it printed. Raise ProbeError if it
    is not exactly one integer (surrounding whitespace allowed)."""
    text = stdout[:_MAX_OUTPUT].decode("utf-8", "replace").strip()
    try:
        count = int(text)
    except ValueError:
        shown = short(text, 60) if text else "nothing"
        raise ProbeError(f"printed {shown!r}, not one integer") from None
    if count < 0:
        raise ProbeError(f"printed a negative count ({count})")
    return count


def run_probe(
    command: str,
    request: ProbeRequest,
    *,
    timeout: float,
    secrets: Iterable[str] = (),
    base_env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run the probe for one order; return the link's current count.

    Raise ProbeError (one line naming the problem) if the probe cannot be
    started, runs longer than ``timeout`` seconds, exits non-zero or prints
    anything but one integer; ProbeStopped when ``stop`` is set meanwhile
    (the probe and what it started are killed: a stop is honoured within
    its bound, whatever ``command_timeout`` says).
    """
    argv = [command, request.link, str(request.start_count), str(request.quantity)]
    env = probe_env(request, os.environ if base_env is None else base_env, secrets)
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProbeError(f"cannot run {command}: {exc.strerror or exc}") from None
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:  # communicate() may be asked again after a timeout: output is kept
            stdout, stderr = process.communicate(timeout=max(0.0, min(left, STOP_LOOK)))
            break
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                _kill_group(process)
                raise ProbeStopped("stopping: the probe was killed") from None
            if time.monotonic() >= deadline:
                _kill_group(process)
                raise ProbeError(f"gave no answer within {timeout:g}s (killed)") from None
    if process.returncode != 0:
        detail = short(stderr[:_MAX_OUTPUT].decode("utf-8", "replace"), 120)
        how = (
            f"was killed by signal {-process.returncode}"
            if process.returncode < 0
            else f"exited with status {process.returncode}"
        )
        raise ProbeError(how + (f": {detail}" if detail else ""))
    return parse_count(stdout)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    # Reap it; the pipes close now that the whole group is gone.
    process.communicate()
