"""A notify target that holds its answer never holds the process's exit.

Apprise 2 hands each send to a thread pool of its own, and the interpreter
joins a pool's workers at exit: a target that drips its answer (or answers
within Apprise's read timeout, again and again) kept a stopped daemon alive
until systemd killed it. The send now runs in our own daemon thread.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from quiet_server import QuietServer

pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")

ROOT = Path(__file__).resolve().parent.parent
HOLD = 40.0  # seconds the receiver drips its answer


def dripping_receiver(release: threading.Event) -> QuietServer:
    """An HTTP server on 127.0.0.1 that reads a POST, then sends its answer's
    headers one byte every half second until released (no read timeout trips)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 200
            for byte in head:
                if release.wait(0.5):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return

        def log_message(self, *args: object) -> None:
            return

    server = QuietServer(Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_dripping_target_does_not_hold_the_process_open_at_exit():
    release = threading.Event()
    server = dripping_receiver(release)
    port = server.server_address[1]
    script = textwrap.dedent(
        f"""
        from tracker.alerts.notify import NotifyTarget
        from tracker.rules.episodes import Alert
        target = NotifyTarget("json://127.0.0.1:{port}/tok3nAbc?rto=60", 0, timeout=0.5)
        print(target.deliver(Alert("balance_low", "low")), flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1"}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=HOLD / 2,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the process did not exit while the notify target dripped its answer")
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no answer within 0.5s"
    assert time.monotonic() - started < HOLD / 2
