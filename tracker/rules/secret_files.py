"""Files holding a secret that every user on the machine may read: a panel's
key file, the alert URL files (a bot token in a notify URL), a config with a
key or an alert URL inline; the database (order links, spend) every user may
read, or in a directory every user may write; a shipped unit's config
(smm-tracker.service's, an instance's of smm-tracker@.service) naming a
database the unit may not write, or named for an instance that cannot start.
Verdicts for ``doctor``; no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tracker.rules.doctor import FAIL, INFO, WARN, Check
from tracker.rules.unit_runs import UNIT


def key_file_check(panel: str, path: Path, mode: int) -> Check | None:
    """Given a panel's key file and its mode, return a warning when every user
    on the machine may read it (README: the key file stays root-only), else None."""
    return secret_file_check(f"panel {panel}", "key file", path, mode)


def secret_file_check(name: str, what: str, path: Path, mode: int) -> Check | None:
    """Given a file holding a secret (a key, a webhook or notify URL with its
    token, a config with a key in it), return a warning when every user on the
    machine may read it, else None."""
    if not mode & 0o004:
        return None
    return Check(
        WARN,
        name,
        f"{what} {path} is readable by every user (mode {mode & 0o7777:04o}): "
        f"chmod 600 {path} (under the unit, systemd hands the service a copy)",
    )


# What a config key holds inline, and where it moves to out of the config.
_MOVED = {
    "key": ("the API key", "a key_file"),
    "webhook_url": ("the webhook URL", "alerts.webhook_url_file"),
    "notify": ("the notify URLs", "alerts.notify_file"),
}


def config_file_check(path: Path, mode: int, inline: Sequence[str]) -> Check | None:
    """Given the config file, its mode and the keys in it holding a secret
    inline ("panels[0].key", "alerts.webhook_url", "alerts.notify"), return a
    warning when every user may read it, naming what it holds and where each
    moves, else None. The unit's service user reads the config itself (no
    copy from systemd): a chmod 600 of it would stop the daemon, so the
    secrets move out instead."""
    if not mode & 0o004 or not inline:
        return None
    moved = [(key, *_MOVED[key.rpartition(".")[2]]) for key in inline]
    said = [f"{what} ({key})" for key, what, _to in moved]  # "A, B and C"
    holds = " and ".join([", ".join(said[:-1]), said[-1]] if len(said) > 1 else said)
    moves = ", ".join(f"{key} to {to}" for key, _what, to in moved)
    return Check(
        WARN,
        "config",
        f"config file {path} is readable by every user (mode {mode & 0o7777:04o}) and holds "
        f"{holds}: move {moves} (chmod 600 {'them' if len(moved) > 1 else 'it'}; "
        "under the unit, LoadCredential= hands the service a copy); a chmod 600 config is "
        "unreadable to the unit's own user",
    )


def database_file_check(path: Path, mode: int) -> Check | None:
    """Given the database file and its mode, return a warning when every user
    on the machine may read it (its order links, spend and balances), else None."""
    if not mode & 0o004:
        return None
    return Check(
        WARN,
        "database",
        f"database {path} is readable by every user (mode {mode & 0o7777:04o}): its "
        f"order links and spend are anyone's to read: chmod 600 {path} {path}-wal "
        f"{path}-shm (a database the tracker creates is 0600)",
    )


UNIT_CONFIG = Path("/etc/smm-tracker/config.toml")  # the shipped unit's ExecStart --config
STATE_ROOT = Path("/var/lib")  # where StateDirectory= names a directory (private/: DynamicUser=)
UNIT_STATE = (STATE_ROOT / "smm-tracker", STATE_ROOT / "private" / "smm-tracker")
# The template's ExecStart: --config /etc/smm-tracker/%i.toml; StateDirectory=smm-tracker-%i.
TEMPLATE = "smm-tracker@.service"


def shipped_unit(config: Path | None, template: bool) -> tuple[str, Path] | None:
    """Given the config file read and whether the shipped template unit is
    installed, return the shipped unit whose ExecStart reads that config and
    the state directory it may write: smm-tracker.service's /var/lib/smm-tracker
    for /etc/smm-tracker/config.toml; with the template installed,
    smm-tracker@NAME.service's /var/lib/smm-tracker-NAME for
    /etc/smm-tracker/NAME.toml. None for any other file."""
    if config == UNIT_CONFIG:
        return UNIT, UNIT_STATE[0]
    if not template or config is None or config.parent != UNIT_CONFIG.parent:
        return None
    if config.suffix != ".toml" or not config.stem:
        return None
    return f"smm-tracker@{config.stem}.service", Path(f"/var/lib/smm-tracker-{config.stem}")


def unit_database_check(
    config: Path | None, database: Path, template: bool = False, running: str | None = None
) -> Check | None:
    """Given the config file read, its database path, whether the shipped
    template unit is installed and the system unit running a daemon on that
    database now (None: none, or none known), return a warning when the config
    is a shipped unit's (:func:`shipped_unit`: smm-tracker.service's, or an
    instance's of smm-tracker@.service) and the database lies outside that
    unit's StateDirectory: ProtectSystem=strict leaves every other place
    read-only to the service (init writes `path = "tracker.db"`:
    /etc/smm-tracker/tracker.db; a copy of systemd/config.toml for an
    instance keeps smm-tracker.service's /var/lib/smm-tracker), so it fails
    at start while doctor, run as root outside the unit, finds the directory
    writable. None otherwise, and when that unit itself runs a daemon on the
    database: it writes there (a ReadWritePaths= of its own)."""
    found = shipped_unit(config, template)
    if found is None or running == found[0]:
        return None
    unit, state = found
    private = Path("/var/lib/private", state.name)  # where DynamicUser= keeps it
    if database.is_relative_to(state) or database.is_relative_to(private):
        return None
    if unit == UNIT:
        return Check(
            WARN,
            "database",
            f"{database} is outside /var/lib/smm-tracker, the one place the shipped unit "
            'lets the service write (ProtectSystem=strict): its start fails with "cannot create '
            'lock file ...: Read-only file system"; set [database] path = '
            '"/var/lib/smm-tracker/tracker.db" in the config, or ReadWritePaths= in the unit',
        )
    other = f" ({running} runs a daemon on it now: each daemon needs its own)" if running else ""
    return Check(
        WARN,
        "database",
        f"{database} is outside {state}, the one place {unit} (the shipped template's "
        f"instance, which reads {config}) lets the service write{other}: its start fails "
        f'with "cannot create lock file ..."; set [database] path = "{state}/tracker.db" '
        "in the config, or ReadWritePaths= in the unit",
    )


def unit_state_not_made(
    config: Path | None,
    database: Path,
    template: bool = False,
    installed: tuple[str, Sequence[str]] | None = None,
) -> Check | None:
    """Given the config file read, its database path (whose directory does
    not exist), whether the shipped template unit is installed and the
    installed smm-tracker.service (its file and the names its
    ``StateDirectory=`` gives, :func:`tracker.rules.unit_stop.state_directories`;
    None: none installed), return a note in place of doctor's failure when
    that directory is a state directory systemd creates at the unit's first
    start: the shipped unit's reading the config (:func:`shipped_unit`), or
    the installed unit's, whatever the config's path. doctor run by hand
    before it (README's step 2, then 3) said "does not exist", a FAIL. With
    no smm-tracker.service installed, the shipped unit's state directory
    FAILs with installing the unit first (:func:`_no_unit`), as the fix:
    "mkdir -p" alone read as all it took. None otherwise."""
    found = shipped_unit(config, template)
    if found is not None:
        unit, state = found
        said = f"{unit}'s StateDirectory="
        if database.parent in (state, STATE_ROOT / "private" / state.name):
            return _made_at_start(database.parent, said, unit)
    if installed is not None:
        path, names = installed
        for name in names:
            if database.parent in (STATE_ROOT / name, STATE_ROOT / "private" / name):
                return _made_at_start(database.parent, f"StateDirectory={name} in {path}", UNIT)
    elif database.parent in UNIT_STATE:
        return _no_unit(database.parent)
    return None


def _no_unit(directory: Path) -> Check:
    """The failure for the shipped unit's state directory, no unit installed."""
    return Check(
        FAIL,
        "database",
        f"directory {directory} does not exist: it is the state directory of {UNIT}, "
        "which systemd creates at the service's first start, and no such unit is installed: "
        f"install it (smm-tracker unit | sudo tee /etc/systemd/system/{UNIT}; README's Run "
        f"as a service, step 3); or, to run by hand, create it (sudo mkdir -p {directory}), "
        "or set [database] path in the config to a file in a directory that exists",
    )


def _made_at_start(directory: Path, said: str, unit: str) -> Check:
    """The note for a unit's state directory not created yet."""
    return Check(
        INFO,
        "database",
        f"directory {directory} does not exist yet: created by systemd at the service's first "
        f"start ({said}; sudo systemctl enable --now {unit.removesuffix('.service')}); "
        "a run by hand before that fails",
    )


# The template's User=smm-tracker-%i, a dynamic user: its name must be a strict
# one (systemd.exec, User=): letters, digits, "-" and "_", at most 31 characters.
INSTANCE_MOST = 31 - len("smm-tracker-")  # 19
_STRICT = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})")  # systemd-escape's \x2d, \x20


def instance_name_check(config: Path | None, template: bool) -> Check | None:
    """Given the config file read and whether the shipped template unit is
    installed, return a warning when the config is an instance's
    (/etc/smm-tracker/NAME.toml: :func:`shipped_unit`) whose NAME cannot
    start one: its user, smm-tracker-NAME, is no strict user name (a dot,
    another character, more than :data:`INSTANCE_MOST`), which systemd
    refuses to allocate. The line names the name to rename it to: escapes
    read, every run of other characters one "-", cut to the limit."""
    found = shipped_unit(config, template)
    if found is None or found[0] == UNIT or config is None:
        return None
    name = config.stem
    if _STRICT.fullmatch(name) and len(name) <= INSTANCE_MOST:
        return None
    wrong = [f"{len(name)} characters"] if len(name) > INSTANCE_MOST else []
    others = sorted({c for c in name if not _STRICT.fullmatch(c)})
    said = [f'"{c}"' if c.isprintable() else repr(c) for c in others]
    wrong += [f"{' '.join(said)} in it"] if said else []
    plain = _ESCAPE.sub(lambda m: chr(int(m[1], 16)), name)
    new = re.sub(r"[^A-Za-z0-9_-]+", "-", plain).strip("-")[:INSTANCE_MOST].rstrip("-")
    if not new or new == UNIT_CONFIG.stem:  # config.toml is smm-tracker.service's
        new = f"{new or 'shop'}2"
    return Check(
        WARN,
        "config",
        f"{config} is the config of {found[0]}, which cannot start: systemd allocates "
        f"no user smm-tracker-{name} (User=smm-tracker-%i: an instance name is letters, "
        f"digits, - and _, at most {INSTANCE_MOST} characters; this one has "
        f"{' and '.join(wrong)}): rename it to {config.parent / new}.toml (and "
        f"{name}.api-key to {new}.api-key; its database then in /var/lib/smm-tracker-{new}) "
        f"and start smm-tracker@{new}",
    )


def database_directory_check(directory: Path, mode: int) -> Check | None:
    """Given the database's directory and its mode, return a warning when every
    user may create files in it (/tmp), else None: another user can put a file
    of theirs where the database or its -wal goes, and read what is written."""
    if not mode & 0o002:
        return None
    return Check(
        WARN,
        "database",
        f"database directory {directory} is writable by every user (mode "
        f"{mode & 0o7777:04o}): another user can create the database, its -wal or "
        "-shm before the tracker does and read or change what it writes there: keep "
        "the database in a directory only its own user may write (the unit's: "
        "/var/lib/smm-tracker)",
    )
