"""``python -m bench.peak OUT -- COMMAND...``: run COMMAND, measure it alone.

On Linux a process's ``ru_maxrss`` keeps the high-water mark of the memory it
was started from: a child spawned (vfork + exec) by the benchmark driver,
which holds every seeded ID and result, reported the driver's peak as its own
(``python -c pass`` started from a 300 MB process "peaked" at 311 MB). This
small process starts COMMAND instead, waits for it, and writes to OUT, as
one JSON object, what that child alone used: wall seconds, CPU seconds (user
+ system) and peak RSS in MB (at least this launcher's own ~10 MB). COMMAND
keeps this process's standard input, output and error; the exit status is
COMMAND's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -m bench.peak OUT -- COMMAND...")
    out, command = Path(argv[0]), argv[2:]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out.write_text(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
                "nvcsw": usage.ru_nvcsw,
                "nivcsw": usage.ru_nivcsw,
                "peak_rss_mb": usage.ru_maxrss / 1024,
            }
        )
    )
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
