"""`simulate`'s start-up lines on an 80-column terminal: `orders already on
it: ...` (93 columns) and `--quirk drops`' line (158 with --config-out, 242
without) ran past the edge, the terminal breaking them inside words. There
they are wrapped at their words, every character kept; the lines to paste
(`export ...`, the `doctor` command, the `[[panels]]` block) stay whole;
piped, each is one line, as before."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ENDS = "serving until Ctrl-C"


def on_a_terminal(cwd: Path, *args: str, ends: str = ENDS) -> list[str]:
    """Run ``smm-tracker ARGS`` (a command that serves until stopped) with
    stdout on an 80-column pseudo-terminal until it shows ``ends``; stop it
    (SIGTERM) and return the lines it showed."""
    import pty

    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMM_")}
    env["COLUMNS"] = "80"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", *args],
        cwd=cwd,
        env=env,
        stdout=follower,
        stderr=subprocess.STDOUT,
    )
    os.close(follower)
    shown = b""
    deadline = time.monotonic() + 30
    try:
        while ends.encode() not in shown and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    shown += os.read(leader, 65536)
                except OSError:  # EIO: the process ended
                    break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        os.close(leader)
    text = shown.decode(errors="replace").replace("\r\n", "\n")
    assert ends in text, text
    return text.splitlines()


def test_simulate_s_lines_fit_an_80_column_terminal_and_keep_every_word(tmp_path: Path) -> None:
    args = ("simulate", "--port", "0", "--quirk", "drops=0.2", "--config-out", "t.toml")
    lines = on_a_terminal(tmp_path, *args)
    doctor = f"  smm-tracker --config {tmp_path / 't.toml'} doctor"
    assert doctor in lines  # the command to paste: its own line, whole, however long
    assert all(len(line) <= 80 for line in lines if line != doctor), "\n".join(lines)
    text = " ".join(line.strip() for line in lines)
    assert "orders already on it: " in text and "(new orders get IDs from " in text
    assert (
        "drops: an ended order loses up to 20% of its count each simulated day (1m; refills: "
        "once a day, for 30 days); the config written asks for refills at that pace" in text
    )
    assert any(line.startswith("  export SMM_SIM_KEY=") for line in lines)


def test_without_config_out_the_drops_settings_fit_and_the_block_stays_whole(
    tmp_path: Path,
) -> None:
    lines = on_a_terminal(tmp_path, "simulate", "--port", "0", "--quirk", "drops=0.2")
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    text = " ".join(line.strip() for line in lines)
    assert '[schedule] refill_every "10s"' in text
    assert "  [[panels]]" in lines and '  key_env = "SMM_SIM_KEY"' in lines
