"""The driver's handle on the simulated panel process (:mod:`bench.sim_server`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any


class SimProcess:
    """Given a latency and the panel key, run the simulated panel in its own
    process (``latency_from_arrival``: see :class:`tracker.sim.server.PanelServer`)."""

    def __init__(
        self, *, latency: float, key: str, seed: int = 7, latency_from_arrival: bool = False
    ):
        env = {**os.environ, "BENCH_PANEL_KEY": key}
        self._child = subprocess.Popen(
            [sys.executable, "-m", "bench.sim_server", "--latency", str(latency)]
            + ["--seed", str(seed)]
            + (["--latency-from-arrival"] if latency_from_arrival else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.pid = self._child.pid
        self.url: str = self._read()["url"]

    def _read(self) -> dict[str, Any]:
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the simulated panel exited; see its stderr above")
        return dict(json.loads(line))

    def ask(self, **command: Any) -> dict[str, Any]:
        """Send one command; return the panel process's answer."""
        assert self._child.stdin is not None
        self._child.stdin.write(json.dumps(command) + "\n")
        self._child.stdin.flush()
        return self._read()

    def seed(self, n: int, status: str) -> range:
        """Create ``n`` orders pinned at ``status``; return their IDs."""
        answer = self.ask(cmd="seed", n=n, status=status)
        return range(answer["first"], answer["last"] + 1)

    def pin(self, ids: range, status: str) -> None:
        """Move the seeded orders ``ids`` to ``status`` (pinned there from now on)."""
        self.ask(cmd="pin", first=ids.start, last=ids.stop - 1, status=status)

    def cpu_s(self) -> float:
        """Return the panel process's CPU seconds so far (user + system): it
        shares this machine's cores with the tracker, which a real panel does not."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset(self) -> None:
        self.ask(cmd="reset")

    def calls(self) -> dict[str, Any]:
        """Return the status calls the panel saw since the last reset."""
        return self.ask(cmd="calls")

    def close(self) -> None:
        if self._child.stdin is not None:
            self._child.stdin.close()
        try:
            self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
