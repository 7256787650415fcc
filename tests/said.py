"""What a child process says, read as it comes: a test can wait for a line.

A second Ctrl-C sent a fixed moment after the first meets, on a loaded host,
a process that has not run since: the two signals arrive as one (a pending
signal is not queued twice), and the command takes them for a first Ctrl-C.
A test that means two waits for the line the first one prints.
"""

from __future__ import annotations

import subprocess
import threading
import time
from typing import IO


class Said:
    """Given a process started with stdout and stderr piped (text), read both
    in threads of their own."""

    def __init__(self, proc: subprocess.Popen[str]):
        self.proc = proc
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((proc.stdout, self._out), (proc.stderr, self._err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str] | None, lines: list[str]) -> None:
        if stream is None:
            return
        for line in stream:
            lines.append(line)

    @property
    def err(self) -> str:
        return "".join(self._err)

    @property
    def out(self) -> str:
        return "".join(self._out)

    def wait_for(self, text: str, timeout: float) -> None:
        """Wait until stderr holds ``text`` (bounded: a failure, not a hang)."""
        deadline = time.monotonic() + timeout
        while text not in self.err:
            assert self.proc.poll() is None, f"ended without saying {text!r}: {self.err}"
            assert time.monotonic() < deadline, f"never said {text!r}: {self.err}"
            time.sleep(0.02)

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Wait for the process to end; return (exit code, stdout, stderr)."""
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code, "".join(self._out), self.err
