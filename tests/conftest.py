from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import compiled
import fresh_schema  # noqa: F401  (a fresh database's schema made once per process)
import pytest
from hypothesis import HealthCheck, settings
from loopback_proxy import proxy_env, unanswering, unresolving  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).parent / "fixtures"

# No per-example deadline for the property tests (Hypothesis's default is
# 200 ms), nor its "too slow" health check: four workers on two cores beside
# other work stretched examples past them and failed tests that check what a
# value is, never how fast.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

# The suite started in the background by a script without job control
# (`nohup make test &`) runs with SIGINT ignored, and so does every command
# it starts: the tests that Ctrl-C a command (tests/test_*interrupt*.py) saw
# it run on. A handler here is reset to the default in each child at its
# exec, where Python installs its own.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# doctor's stop-timeout line searches no directory for an installed unit
# (the shipped unit's 90 s) unless a test names its own: none depends on
# this machine's /etc/systemd or /usr/lib/systemd.
os.environ["SMM_TRACKER_UNIT_PATH"] = ""
# Nor does a note read the cgroup of the daemon holding a database's lock
# (a test's own process) in this machine's /proc: the unit installed tells.
os.environ["SMM_TRACKER_PROC"] = ""
# Nor on the systemd unit the suite may run under (a CI runner's service, a
# `systemd-run`): what systemd sets for a service is unset for every test, a
# test that needs one setting it itself. The tracker reads STATE_DIRECTORY
# (the lock file's hint), CREDENTIALS_DIRECTORY (key files), INVOCATION_ID
# (which unit runs the daemon), NOTIFY_SOCKET and WATCHDOG_* (sd_notify) and
# JOURNAL_STREAM (log format); LISTEN_* (socket activation) for good measure.
for _name in (
    "STATE_DIRECTORY",
    "CREDENTIALS_DIRECTORY",
    "INVOCATION_ID",
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "LISTEN_FDS",
    "LISTEN_PID",
    "JOURNAL_STREAM",
):
    os.environ.pop(_name, None)


def pytest_configure(config: pytest.Config) -> None:
    compiled.compile_ahead(config)  # tests/compiled.py: the workers' bytecode made once


@pytest.fixture(scope="session")
def answers() -> dict[str, Any]:
    """Real answer shapes from shared/api-v2.md, keyed by name."""
    return json.loads((FIXTURES / "answers.json").read_text())


class FakeClock:
    """An injected clock: starts at a fixed instant, moves only when told."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(tmp_path, clock):
    """Make refill Worlds (tests/refill_world.py) on the test's FakeClock; close
    them all at the end."""
    from refill_world import World

    made: list[World] = []

    def make(**options: Any) -> World:
        made.append(World(tmp_path, clock, **options))
        return made[-1]

    yield make
    for w in made:
        w.close()


@pytest.fixture
def examples_store(tmp_path: Path) -> Iterator[Any]:
    """One Store (``tmp_path/t.db``) for all the examples of a property test
    (a function-scoped fixture is set up once a test, not once an example),
    each example clearing the rows it fills, as when each reopened that file:
    an open and close an example took ~20 ms. Such a test suppresses
    HealthCheck.function_scoped_fixture."""
    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db")
    yield store
    store.close()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No resolver in tests: ``*.invalid`` does not exist (EAI_NONAME),
    ``busy.example`` cannot be looked up now (EAI_AGAIN); each lookup listed."""
    real, asked = socket.getaddrinfo, []

    def resolver(host: str, *args: Any, **kwargs: Any) -> Any:
        if host.endswith(".invalid"):
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host == "busy.example":
            asked.append(host)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return asked


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """A panel call's backoff between tries cut from 1-2 s (doubling) to 10 ms,
    for tests whose point is what is retried, not how long it waits. A
    panel's own Retry-After is still honoured (tests/test_faults.py)."""
    import tenacity

    from tracker.panel import budget

    monkeypatch.setattr(budget, "BACKOFF", tenacity.wait_fixed(0.01))


@pytest.fixture
def quick_spacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The requests a rate limit's hold held go 10 ms apart after its reset,
    not a second (``pacing.SPACING``), for tests whose point is that none goes
    before the reset, not how far apart they go (tests/test_rate_after_hold.py,
    on a stepped clock)."""
    from tracker.panel import pacing

    monkeypatch.setattr(pacing, "SPACING", 0.01)


# A diagnostic for tests that leave a thread running after they end (a
# webhook sink never closed, a server never shut down, a stop abandoned on
# purpose and never released): a later test in the same xdist worker that
# reads captured log events (structlog's capture_logs records every thread)
# or counts threads sees it. Off by default; SMM_TEST_THREAD_LEAKS=FILE
# appends one line per thread alive after a test's teardown that was not
# before its setup: test id, thread name, its target, and whether it ended
# within LEAK_GRACE seconds after ("ended late") or not ("still running").
# Every xdist worker appends to the same FILE.
THREAD_LEAKS = os.environ.get("SMM_TEST_THREAD_LEAKS", "")
LEAK_GRACE = 1.0


def _thread_target(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    if target is None:
        return f"{type(thread).__module__}.{type(thread).__qualname__}.run"
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"


@pytest.fixture(autouse=True)
def thread_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Autouse, so set up before and torn down after the test's own fixtures."""
    if not THREAD_LEAKS:
        yield
        return
    before = set(threading.enumerate())
    yield
    left = [(t, _thread_target(t)) for t in threading.enumerate() if t not in before]
    end = time.monotonic() + LEAK_GRACE
    for thread, _target in left:
        thread.join(max(0.0, end - time.monotonic()))
    with open(THREAD_LEAKS, "a", encoding="utf-8") as out:
        for thread, target in left:
            how = "still running" if thread.is_alive() else "ended late"
            out.write(f"{request.node.nodeid}\t{thread.name}\t{target}\t{how}\n")


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Each test starts with no secret registered: one that relies on a key
    an earlier test registered (in the same worker) would hide a command
    that never registers its own. The registry is process-wide on purpose
    (a reload keeps the old key blanked), so it is emptied here, not there."""
    import tracker.redact.scrub as scrub

    with scrub._secrets_lock:
        scrub._secrets.clear()
        scrub._registered = ()
        scrub._shortest = 0
    yield
