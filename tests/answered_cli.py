"""The real CLI in a subprocess, its panel's answer parsed only after the
signals in ``$SIGNALS`` were sent to itself (a first Ctrl-C while it waited,
then more), or the step storing that answer failing with ``$FAIL``
(``interrupt``: a KeyboardInterrupt; ``full``: SQLite's "database or disk is
full"; anything else: ENOSPC): what ``add``, ``refill`` and ``cancel`` do
once an answer is in hand (tests/test_*_interrupt_answered.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from simconfig import SOURCE


def answered_cli(parsed: str, storing: str, *, in_transaction: bool = False) -> str:
    """Given the parser of the answer (``"tracker.panel.parse:parse_add"``)
    and the step storing it (``"tracker.store.tracking:held_elsewhere"``),
    return the ``python -c`` text of the patched CLI. ``in_transaction``:
    the step fails inside a write transaction it opens on its first
    argument, the store (as ``record_cancels`` would)."""
    parse_module, parse_name = parsed.split(":")
    store_module, store_name = storing.split(":")
    fail = (
        "        with args[0].write():\n            fail_now()\n"
        if in_transaction
        else "        fail_now()\n"
    )
    return f"""
import errno, importlib, os, sqlite3
parsing = importlib.import_module({parse_module!r})
storing = importlib.import_module({store_module!r})
parse = getattr(parsing, {parse_name!r})
def answered(*args, **kwargs):
    for number in os.environ.get("SIGNALS", "").split():
        os.kill(os.getpid(), int(number))
    return parse(*args, **kwargs)
setattr(parsing, {parse_name!r}, answered)
failure = os.environ.get("FAIL")
def fail_now():
    if failure == "interrupt":
        raise KeyboardInterrupt
    if failure == "full":  # SQLite's own words, as the store reads them
        raise sqlite3.OperationalError("database or disk is full")
    raise OSError(errno.ENOSPC, "No space left on device")
if failure:
    def failing(*args, **kwargs):
{fail}    setattr(storing, {store_name!r}, failing)
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def run_python(cwd: Path, key: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` (``-m tracker ...``, ``-c SCRIPT ...``) from the
    tree under test in ``cwd``, the panel's key in ``SIM_KEY``, ``env`` added."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SIM_KEY": key, "PYTHONPATH": SOURCE, **env},
        cwd=cwd,
        timeout=60,
    )


def run_answered(
    script: str, cwd: Path, key: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the patched CLI (:func:`answered_cli`'s ``script``) with ``args``
    in ``cwd`` (:func:`run_python`), ``env`` added (SIGNALS, FAIL)."""
    return run_python(cwd, key, "-c", script, *args, **env)
