"""Finding, reading and validating the config file: TOML in, a frozen Config out."""

from __future__ import annotations

import errno
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tracker.config.model import Config, DatabaseConfig
from tracker.config.places import tidied
from tracker.config.sections import build_config
from tracker.errors import ConfigError

ENV_VAR = "SMM_TRACKER_CONFIG"
LOCAL_CONFIG = Path("tracker.toml")
SYSTEM_CONFIG = Path("/etc/smm-tracker/config.toml")
MISSING = "does not exist"


TOO_LONG = "is too long a path for the filesystem"
_SHOWN_PATH = 80  # a path too long to open is said back cut to this


def _why_not_read(path: Path) -> str | None:
    """Given a config path, return None when it is a file, else why it is not
    read: MISSING, "is not a file", "is a symbolic link loop" (is_file() and
    exists() say False to a loop, as to nothing there), TOO_LONG, or what the
    system said (a directory on the way this user may not enter)."""
    try:
        if path.is_file():
            return None
        if path.exists():
            return "is not a file"
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        if exc.errno == errno.ENAMETOOLONG:
            return TOO_LONG
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            return f"cannot be looked at: {exc.strerror}"
    return MISSING


def _named(path: Path, state: str) -> str:
    """Given a path and why it is not read, return the path as a message says it:
    one too long to open is cut (a pasted megabyte is not said back whole)."""
    text = str(path)
    if state == TOO_LONG and len(text) > _SHOWN_PATH:
        return f"{text[: _SHOWN_PATH - 1]}… ({len(text)} characters)"
    return text


def find_config_path(explicit: str | None, env: Mapping[str, str]) -> Path:
    """Given ``--config`` (or None) and the environment, return the config file to read.

    Look at ``explicit``, then ``$SMM_TRACKER_CONFIG``, then ``./tracker.toml``,
    then ``/etc/smm-tracker/config.toml``. A path the user named (option or
    variable) must exist: falling through to another file would silently run
    with someone else's configuration.

    An empty ``explicit`` is a mistake (``--config "$UNSET"``), not a request
    for the defaults; an empty variable counts as unset.

    Raise ConfigError if a named path does not exist or ``explicit`` is empty,
    or if no default exists.
    """
    if explicit == "":
        raise ConfigError(["--config is empty: name a config file, or leave the option out"])
    named = [(explicit, "--config"), (env.get(ENV_VAR), f"${ENV_VAR}")]
    for value, origin in named:
        if value:
            path = tidied(Path(value).expanduser())  # "./conf/../x.toml" said as the file
            if state := _why_not_read(path):
                raise ConfigError([f"config file {_named(path, state)} (from {origin}) {state}"])
            return path
    tried = [LOCAL_CONFIG.absolute(), SYSTEM_CONFIG]
    for path in tried:
        state = _why_not_read(path)
        if state is None:
            return path
        if state != MISSING:  # a directory or a loop there: a mistake, not a reason to read on
            raise ConfigError([f"config file {path} {state}; pass --config PATH"])
    raise no_config_found()


def no_config_found(also: str = "") -> ConfigError:
    """Return the error of no config named and none at the default places: the
    places tried and the ways out, then ``also`` (a command's own way out)."""
    places = ", ".join(str(p) for p in (LOCAL_CONFIG.absolute(), SYSTEM_CONFIG))
    ways = f"write one with smm-tracker init, or pass --config PATH or set ${ENV_VAR}"
    return ConfigError(
        [f"no config file found (tried {places}); {ways}{'; ' if also else ''}{also}"]
    )


# Tables and arrays inside one another: a real config uses 3. tomllib recurses
# per level (RecursionError near 330 inline tables), and so would any code
# walking the values: a deeper file is refused before anything walks it.
MAX_DEPTH = 64


def nested_too_deeply(data: object, limit: int = MAX_DEPTH) -> bool:
    """Given parsed TOML, return True when tables and arrays go more than
    ``limit`` levels deep (walked without recursion)."""
    pending: list[tuple[object, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return False


def read_toml(path: Path) -> dict[str, Any]:
    """Given a file path, return its parsed TOML.

    Raise ConfigError naming the file (and, for bad TOML, tomllib's line and
    column) if it cannot be read or parsed, or nests past MAX_DEPTH.
    """
    deep = ConfigError([f"{path}: invalid TOML: nested too deeply"])
    try:
        with path.open("rb") as handle:
            data = handle.read()
        # A UTF-8 byte order mark (Notepad's "UTF-8") is no TOML statement:
        # tomllib would say "Invalid statement (at line 1, column 1)".
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        from tracker.config.toml_slips import toml_fix, toml_words  # a slip only

        said = f"{toml_words(str(exc))}{toml_fix(str(exc), text)}"
        raise ConfigError([f"{path}: invalid TOML: {said}"]) from None
    except RecursionError:  # tomllib parses nested values by recursion
        raise deep from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: invalid TOML: the file is not UTF-8 text"]) from None
    except OSError as exc:
        raise ConfigError([f"cannot read config file {path}: {exc.strerror}"]) from None
    if nested_too_deeply(parsed):
        raise deep
    return parsed


def no_config_anywhere(explicit: str | None, env: Mapping[str, str]) -> bool:
    """Given ``--config`` (or None) and the environment, return True when no config
    is named and nothing is at the default places: ``--database PATH`` then reads
    that file with no config. A named config, or anything at a default place, is
    read (and its problems said) as without ``--database``."""
    if explicit is not None or env.get(ENV_VAR):
        return False
    return all(_why_not_read(p) == MISSING for p in (LOCAL_CONFIG.absolute(), SYSTEM_CONFIG))


def with_database(config: Config | None, path: Path) -> Config:
    """Given the config (None: there is none) and ``--database PATH``, return the
    config reading that file instead. With no config it names no panel: a read
    command takes the panels the database holds orders of."""
    if config is None:
        return Config(path=None, database=DatabaseConfig(path=path.absolute()), panels=())
    return replace(config, database=config.database._replace(path=path.absolute()))


def started_with(path: Path) -> Path:
    """Given the config file a daemon started with, return it for a reload to
    read: that file again, never another found by the search (a file moved
    or deleted left ``/etc/smm-tracker/config.toml`` or ``./tracker.toml``,
    another account's settings, to be read in its place).

    Raise ConfigError if it is no longer there to read.
    """
    if state := _why_not_read(path):
        raise ConfigError(
            [
                f"config file {_named(path, state)}, the one the daemon started with, {state}: "
                "a reload reads that file alone; put it back, then reload again"
            ]
        )
    return path


def load_config(
    explicit: str | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    resolve_keys: bool = True,
    started: Path | None = None,
) -> Config:
    """Given ``--config`` (or None) and the environment, find, read and return the config.

    With ``resolve_keys=False`` the API keys are not looked up (each is
    ``Secret("")``) so read-only commands work where the key is unavailable.
    ``started``: a reload's, the file the daemon started with, read again
    in place of the search (:func:`started_with`).

    Raise ConfigError listing every problem if the file is missing or invalid.
    """
    path = find_config_path(explicit, env) if started is None else started_with(started)
    data = read_toml(path)
    try:
        return config_from_dict(
            data, base_dir=path.parent, env=env, path=path, resolve_keys=resolve_keys
        )
    except ConfigError as exc:  # the file they are in said once: which of the places was read
        raise ConfigError(exc.problems, file=path) from None


def config_from_dict(
    data: Mapping[str, Any],
    *,
    base_dir: Path,
    env: Mapping[str, str],
    path: Path | None = None,
    resolve_keys: bool = True,
) -> Config:
    """Given parsed TOML, return the validated Config.

    Relative paths (``database.path``, ``key_file``) are resolved against
    ``base_dir``, the config file's directory.

    Raise ConfigError listing every problem found if anything is invalid.
    """
    return build_config(
        dict(data), base_dir=base_dir, env=env, path=path, resolve_keys=resolve_keys
    )
