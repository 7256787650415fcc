"""doctor's line about ``[metrics] listen``: whether ``run`` can listen there.

The address is bound a moment the way the daemon binds it
(:func:`tracker.service.metrics_http.bind_failure`); here only its outcome
is judged. Run as root, doctor binds a port the unit's user cannot (below
1024): a warning. A port taken by another program fails: ``run`` exits 1 at start,
and under the unit's ``Restart=on-failure`` systemd gives up after a few
tries. One taken while the daemon runs on this config's database is most
likely its own endpoint (doctor may run beside it): ``ok`` when its
``/metrics`` answers with the tracker's own metrics, else a ``warn``. Apart from
:mod:`tracker.rules.doctor`, at its size limit. The daemon's start message
says the same words (:func:`listen_problem`). No I/O.
"""

from __future__ import annotations

import errno
import socket

from tracker.rules.doctor import FAIL, OK, WARN, Check

NAME = "metrics.listen"
HIGHER_PORT = f"set {NAME} to a port above 1023"


def needs_root(first: int) -> str:
    """Given the first port any user may listen on (1024 by default), say so."""
    return f"a port below {first} needs root"


def listen_check(
    host: str,
    port: int,
    shown: str,
    failure: OSError | None,
    daemon: int | None = None,
    *,
    ours: bool = False,
    root_only: int | None = None,
) -> Check:
    """Given ``[metrics] listen``'s host and port, the address as the
    daemon's lines say it ("127.0.0.1:9464"), the error binding it met (None:
    it is free), when a daemon runs on this config's database its PID (0:
    not known; None: none runs), whether the address answers with the
    tracker's own metrics (``ours``), and, when doctor runs as root and the
    port is below the first one any user may bind, that first port
    (``root_only``; None otherwise), return the line."""
    if failure is None and root_only is not None:
        return Check(
            WARN,
            NAME,
            f"{shown} is free to root, doctor's user here, but {needs_root(root_only)} and "
            "the shipped systemd unit runs the daemon as an unprivileged user with no "
            "capabilities (no CAP_NET_BIND_SERVICE): its start there fails (run exits 1); "
            f"{HIGHER_PORT}",
        )
    if failure is None:
        return Check(OK, NAME, f"{shown} is free: run can listen there")
    if failure.errno == errno.EADDRINUSE and daemon is not None:
        at = f" (pid {daemon})" if daemon else ""
        if ours:
            return Check(OK, NAME, f"{shown}: the running daemon{at} serves its metrics there")
        return Check(
            WARN,
            NAME,
            f"{shown} is in use, and the smm-tracker daemon{at} runs on this config's "
            "database: its own endpoint, most likely, not a failure; were it another "
            "program's (metrics.listen changed since the daemon started: a reload does not "
            f"apply it), the daemon's restart would fail there: `ss -ltnp 'sport = :{port}'` "
            "names the program listening",
        )
    why, fix = listen_problem(host, port, failure)
    return _failed(shown, why, fix)


def listen_problem(host: str, port: int, failure: OSError) -> tuple[str, str]:
    """Given the address's host and port and the error binding it met, return
    (why it cannot listen, the fix or ""): the words both doctor's line and
    the daemon's start message say."""
    local = (
        f"set {NAME} to an address of this machine: 127.0.0.1:{port} (loopback) or "
        f"0.0.0.0:{port} (every interface)"
    )
    if isinstance(failure, socket.gaierror):
        return f"host {host} not found: {failure.strerror or failure}", local
    code = failure.errno
    if code == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: {failure.strerror}", local
    said = failure.strerror or str(failure)
    if code == errno.EADDRINUSE:
        fix = (
            "another program listens there (a second smm-tracker, another exporter: "
            f"`ss -ltnp 'sport = :{port}'` names it): stop it, or set {NAME} to another port"
        )
        return said, fix
    if code == errno.EACCES and port < 1024:
        return said, f"{needs_root(1024)}: {HIGHER_PORT}"
    return said, ""


def _failed(shown: str, why: str, fix: str) -> Check:
    """The FAIL line: the daemon's own words, that its start fails, the fix."""
    said = f"{shown}: cannot listen ({why}): run exits 1 at start"
    return Check(FAIL, NAME, f"{said}; {fix}" if fix else said)
