"""Screenshots of `smm-tracker dashboard` over a fresh demo database (`make screenshot`).

Runs the demo against the built-in simulated panel for a while (keeping its
database), serves the dashboard on a free loopback port with a low-balance
threshold from a throw-away config, and saves each dashboard as a PNG with
the distribution's headless Chromium. Needs the `dashboard` extra.

    python scripts/screenshot.py [OUTPUT_DIR]     # default: docs/
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_CHROMIUM = (
    "chromium not found: install the distribution's package, e.g.\n"
    "  sudo apt-get install chromium          # Debian\n"
    "  sudo apt-get install chromium-browser  # Ubuntu\n"
    "  sudo dnf install chromium              # Fedora\n"
    "or set CHROMIUM=/path/to/chromium"
)
# (dashboard, file name, window size): tall enough for every chart.
SHOTS = [
    ("overview", "dashboard-overview.png", "1280,1440"),
    ("services", "dashboard-services.png", "1280,820"),
]
CONFIG = """\
# Written by scripts/screenshot.py: the demo database, with a low-balance threshold.
[database]
path = "demo.db"
[balance]
low = 200
[[panels]]
name = "demo"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_SCREENSHOT_UNUSED_KEY"
"""


def find_chromium() -> str | None:
    given = os.environ.get("CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the dashboard did not start (exit code {proc.poll()})")
            time.sleep(0.3)


def shoot(chromium: str, url: str, out: Path, size: str, profile: Path) -> None:
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            f"--window-size={size}",
            "--virtual-time-budget=10000",
            f"--screenshot={out}",
            url,
        ],
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


def main() -> None:
    chromium = find_chromium()
    if chromium is None:
        sys.exit(INSTALL_CHROMIUM)
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    out_dir.mkdir(parents=True, exist_ok=True)
    tracker = [sys.executable, "-m", "tracker"]
    with tempfile.TemporaryDirectory(prefix="smm-tracker-shot-") as tmp:
        work = Path(tmp)
        print("running the demo for up to 45 s (it ends once its orders are final) ...")
        subprocess.run(
            [*tracker, "demo", "--orders", "30", "--speed", "3", "--every", "1"]
            + ["--duration", "45", "--keep", str(work)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (work / "tracker.toml").write_text(CONFIG)
        port = free_port()
        command = [*tracker, "--config", str(work / "tracker.toml"), "dashboard"]
        server = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/-/versions.json", server)
            for slug, name, size in SHOTS:
                shoot(chromium, f"{base}/-/dashboards/{slug}", out_dir / name, size, work / "p")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
