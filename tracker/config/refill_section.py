"""The ``[refill]`` section of the Config: its settings read and checked, the
statuses refilled and the drop probe's command (found on the PATH, or as a
file beside the config) among them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from tracker.config.fields import Table
from tracker.config.model import RefillConfig
from tracker.config.refill_windows import read_windows
from tracker.panel.statuses import COMPLETED, PARTIAL

_DAY = 86400.0


def read_refill(t: Table, base_dir: Path, env: Mapping[str, str]) -> RefillConfig:
    d = RefillConfig()
    window, first_check, lifetime = read_windows(t, d)
    detect = t.choice("detect", d.detect, ("panel", "command"))
    return RefillConfig(
        enabled=t.boolean("enabled", d.enabled),
        unknown_service=t.choice("unknown_service", d.unknown_service, ("skip", "try")),
        statuses=_refill_statuses(t, d.statuses),
        window=window,
        first_check=first_check,
        cooldown=t.duration("cooldown", d.cooldown, minimum=0, maximum=366 * _DAY),
        max_requests=t.integer("max_requests", d.max_requests, 1, 1000),
        detect=detect,
        command=_refill_command(t, detect, base_dir, env),
        command_timeout=t.duration("command_timeout", d.command_timeout, maximum=3600),
        probe_every=t.duration("probe_every", d.probe_every, minimum=60, maximum=366 * _DAY),
        drop_threshold=t.fraction("drop_threshold", d.drop_threshold),
        window_from_name=t.boolean("window_from_name", d.window_from_name),
        lifetime=lifetime,
    )


def _refill_statuses(t: Table, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = t.raw("statuses")
    if raw is None:
        return default
    allowed = {COMPLETED.lower(): COMPLETED, PARTIAL.lower(): PARTIAL}
    if not isinstance(raw, list) or not raw:
        t.fail("statuses", f"must be a non-empty array of {COMPLETED!r} and/or {PARTIAL!r}")
        return default
    found: list[str] = []
    for index, item in enumerate(raw):
        status = allowed.get(item.strip().lower()) if isinstance(item, str) else None
        if status is None:
            t.fail(f"statuses[{index}]", f"must be {COMPLETED!r} or {PARTIAL!r} (got {item!r})")
        elif status not in found:
            found.append(status)
    return tuple(found) or default


def _refill_command(t: Table, detect: str, base_dir: Path, env: Mapping[str, str]) -> str:
    text = t.string("command", "").strip()
    if not t.ok("detect"):  # whether a command is wanted is unknown
        return text
    if not text:
        if detect == "command":
            t.cross("command", 'is required when refill.detect = "command"', "detect")
        return ""
    if detect != "command":
        wanted = 'is set but refill.detect is "panel"; set detect = "command" or remove it'
        t.cross("command", wanted, "detect")
        return text
    if "/" in text or text.startswith("~"):
        path = Path(text).expanduser()
        found = str(path if path.is_absolute() else base_dir / path)
    else:
        found = shutil.which(text, path=env.get("PATH")) or ""
    if not found or not Path(found).is_file() or not os.access(found, os.X_OK):
        t.fail("command", f"{text!r} is not an executable file")
        return text
    return found
