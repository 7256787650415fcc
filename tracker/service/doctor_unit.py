"""The installed unit's files ``smm-tracker doctor`` reads for the stop
timeout systemd gives the daemon: ``/etc/systemd/system/smm-tracker.service``
and its drop-ins (``smm-tracker.service.d/*.conf``, in the order systemd
reads them); :mod:`tracker.rules.unit_stop` reads their text."""

from __future__ import annotations

from pathlib import Path

from tracker.rules.unit_stop import stop_timeout

SYSTEMD_DIR = Path("/etc/systemd/system")  # where `systemctl edit` and the README put them
UNIT = "smm-tracker.service"


def unit_stop_timeout(directory: Path = SYSTEMD_DIR) -> tuple[float, str | None]:
    """Given the directory of installed units, return the daemon's stop
    timeout in seconds and where it was set (None: no file there sets it, the
    shipped unit's 90 s). A file that cannot be read is passed over."""
    unit = directory / UNIT
    paths = [unit, *sorted((directory / f"{UNIT}.d").glob("*.conf"), key=lambda p: p.name)]
    files = []
    for path in paths:
        try:
            files.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
        except OSError:  # absent, unreadable, a directory: systemd reads no unit there either
            continue
    return stop_timeout(files)
