"""The files a config names beside its database: each panel's ``key_file``,
``alerts.webhook_url_file`` and ``notify_file``, the ``refill.command``
program. Kept on the :class:`~tracker.config.model.Config` as (what the file
is, its path), never what they hold, so that ``backup`` refuses to write
over them, ``--force`` or not: its copy over a key file lost the API key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker.config.keys import key_file_path
from tracker.config.model import RefillConfig

NamedFiles = tuple[tuple[str, Path], ...]

_ALERT_FILES = (
    ("webhook_url_file", "the webhook URL file"),
    ("notify_file", "the notification URL file"),
)


def named_files(
    data: Mapping[str, Any], base_dir: Path, env: Mapping[str, str], refill: RefillConfig
) -> NamedFiles:
    """Given the parsed TOML of a config, the directory its relative paths are
    read from, the environment (``$CREDENTIALS_DIRECTORY``) and its refill
    settings as read, return the files it names, as the loader opens them:
    [(what the file is, its path)]. A value in error is left out (its
    problem is said by the loader)."""
    found: list[tuple[str, Path]] = []
    panels = data.get("panels")
    for index, item in enumerate(panels if isinstance(panels, list) else []):
        name = _name(item.get("key_file")) if isinstance(item, dict) else None
        if name is not None:
            panel = item.get("name")
            whose = f"panel {panel}" if isinstance(panel, str) and panel else f"panels[{index}]"
            what = f"the API key file of {whose} (panels[{index}].key_file)"
            found.append((what, key_file_path(name, env, base_dir)))
    alerts = data.get("alerts")
    alerts = alerts if isinstance(alerts, dict) else {}
    for key, what in _ALERT_FILES:
        if (name := _name(alerts.get(key))) is not None:
            found.append((f"{what} (alerts.{key})", key_file_path(name, env, base_dir)))
    if refill.detect == "command" and refill.command:  # found on the PATH, or as written
        program = Path(refill.command)
        if program.is_absolute():
            found.append(("the drop-detection program (refill.command)", program))
    return tuple(found)


def _name(value: object) -> str | None:
    """Given a file setting's value, return the name written, or None for none."""
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        return None
    return value.strip()
