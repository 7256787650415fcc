"""sd_notify without a package: addresses, watchdog interval, STATUS= line, datagrams."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.service.notify import Notifier, socket_address, status_line, watchdog_interval

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/run/systemd/notify", "/run/systemd/notify"),
        ("@abstract/notify", "\0abstract/notify"),
        ("", None),
        (None, None),
        ("vsock:2:1234", None),
        ("relative/path", None),
    ],
)
def test_socket_address(value, expected):
    assert socket_address(value) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "120000000"}, 60.0),
        ({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "42"}, 0.2),
        ({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "43"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_pings_at_half_the_interval_systemd_gives(env, expected):
    assert watchdog_interval(env, pid=42) == expected


def test_status_line_before_any_poll():
    line = status_line(open_orders=12, last_poll=None, failing=[], failures=0, now=NOW)
    assert line == (
        "12 open orders; no successful poll yet; no job failing; 0 failed runs since start"
    )


def test_status_line_names_the_failing_jobs_and_the_last_poll():
    line = status_line(
        open_orders=3,
        last_poll=NOW - 150,
        failing=["status:b", "balance:a"],
        failures=7,
        now=NOW,
        note="reload failed: x",
    )
    assert line == (
        "3 open orders; last poll 11:57:30 UTC (2m ago); failing: balance:a, status:b; "
        "7 failed runs since start; reload failed: x"
    )


def test_status_line_counts_one_as_one():
    # "1 open orders; ...; 1 failed runs since start" in `systemctl status`.
    line = status_line(open_orders=1, last_poll=None, failing=["status:a"], failures=1, now=NOW)
    assert (
        line == "1 open order; no successful poll yet; failing: status:a; 1 failed run since start"
    )


def test_status_line_when_the_database_cannot_be_read():
    line = status_line(open_orders=None, last_poll=NOW - 7300, failing=[], failures=0, now=NOW)
    assert line.startswith("open orders unknown; last poll 09:58:20 UTC (2h ago)")


@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    directory = tempfile.mkdtemp(prefix="smmt-", dir="/tmp")  # AF_UNIX paths are short
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    yield path, sock
    sock.close()
    os.unlink(path)
    os.rmdir(directory)


def test_each_message_is_one_datagram(listener):
    path, sock = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}, pid=1)
    assert notifier.enabled and notifier.watchdog_every == 1.0
    assert notifier.ready("5 open orders\nand a second line")
    assert notifier.watchdog()
    assert notifier.stopping()
    got = [sock.recv(4096).decode() for _ in range(3)]
    # A newline in STATUS= would start a bogus field: it is folded away.
    assert got == [
        "READY=1\nSTATUS=5 open orders and a second line",
        "WATCHDOG=1",
        "STOPPING=1\nSTATUS=stopping",
    ]


def test_abstract_socket_address():
    name = f"smm-tracker-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier.from_env({"NOTIFY_SOCKET": "@" + name}).status("hello")
        assert sock.recv(4096) == b"STATUS=hello"


def test_reloading_carries_the_monotonic_time(listener):
    path, sock = listener
    assert Notifier(path).reloading()
    first, second = sock.recv(4096).decode().split("\n")
    assert first == "RELOADING=1" and second.startswith("MONOTONIC_USEC=")
    assert int(second.split("=")[1]) > 0


def test_outside_systemd_nothing_is_sent_and_nothing_fails():
    notifier = Notifier.from_env({})
    assert not notifier.enabled and notifier.watchdog_every is None
    assert notifier.ready("x") is False


def test_a_vanished_socket_is_logged_not_raised(tmp_path):
    notifier = Notifier(str(tmp_path / "gone"))
    assert notifier.watchdog() is False


@pytest.mark.usefixtures("fresh_logs")
def test_a_failing_notify_socket_is_told_once_as_systemd_s_and_its_return(listener):
    # Every ping logged notify_failed at warning, the same event as an Apprise
    # target's failure with nothing saying it was systemd's socket.
    path, sock = listener
    notifier = Notifier(path + ".gone")
    with capture_logs() as logs:
        for _ in range(3):
            assert notifier.watchdog() is False
        notifier.address = path  # the socket back
        assert notifier.status("ok")
        assert notifier.watchdog()
    said = [(e["event"], e["log_level"], e.get("via"), e.get("failed")) for e in logs]
    assert said == [
        ("notify_failed", "warning", "systemd", None),
        ("notify_failed", "debug", "systemd", None),
        ("notify_failed", "debug", "systemd", None),
        ("notify_recovered", "info", "systemd", 3),
    ]
    assert sock.recv(4096) == b"STATUS=ok"
