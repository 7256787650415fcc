"""The files ``smm-tracker doctor`` looks at for their mode: each panel's key
file, the alert URL files, the config itself when it holds a secret inline
(:mod:`tracker.rules.secret_files` judges them); apart from
:mod:`tracker.service.doctor`, which was at its size limit."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from tracker.config.keys import key_file_path, looks_like_key
from tracker.rules.doctor import Check
from tracker.rules.secret_files import config_file_check, key_file_check, secret_file_check


def key_file_checks(
    data: dict[str, Any], path: Path, env: Mapping[str, str], names: list[str]
) -> list[Check]:
    """Return a warning for each panel whose key file every user may read."""
    raw = data.get("panels")
    found = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        name = item.get("key_file") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip() or looks_like_key(name.strip()):
            continue
        where = key_file_path(name.strip(), env, path.parent)
        found.append(_file_mode_check(where, partial(key_file_check, names[index])))
    return [check for check in found if check]


def secret_file_checks(data: dict[str, Any], path: Path, env: Mapping[str, str]) -> list[Check]:
    """Return a warning for the alert URL files, and for the config itself
    when it holds a key or an alert URL inline, that every user may read."""
    alerts = data.get("alerts")
    alerts = alerts if isinstance(alerts, dict) else {}
    found = []
    for key in ("webhook_url_file", "notify_file"):
        name = alerts.get(key)
        if isinstance(name, str) and name.strip():
            where = key_file_path(name.strip(), env, path.parent)
            found.append(
                _file_mode_check(where, partial(secret_file_check, f"alerts.{key}", "file"))
            )
    panels = data.get("panels")
    panels = panels if isinstance(panels, list) else []
    inline = [
        f"panels[{i}].key" for i, p in enumerate(panels) if isinstance(p, dict) and p.get("key")
    ]
    inline += [f"alerts.{key}" for key in ("webhook_url", "notify") if alerts.get(key)]
    if inline:  # the secrets it holds itself, each said with where it moves
        found.append(_file_mode_check(path, partial(config_file_check, inline=inline)))
    return [check for check in found if check]


def _file_mode_check(where: Path, judge: Callable[[Path, int], Check | None]) -> Check | None:
    """Return ``judge(where, mode)`` for a regular file; None when it is missing,
    unreadable (the config check says so) or not a regular file."""
    try:
        mode = os.stat(where).st_mode
    except (OSError, ValueError):
        return None
    return judge(where, mode) if stat.S_ISREG(mode) else None
