"""What a reload (SIGHUP) of the running daemon can apply, how its
problems are said in one line, and which panels it probes at once (a
refused key changed, a balance threshold changed). Decisions only: :mod:`tracker.service.process`
reads the new config and acts on them; the alerts of a failed reload and of
the good one after it."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import Path

from tracker.config.keys import unset_variable
from tracker.config.model import Config, PanelConfig
from tracker.rules.doctor import WARN, Check
from tracker.rules.episodes import Alert, Episode

CONFIG_RELOAD_FAILED = "config_reload_failed"
CONFIG_RELOADED = "config_reloaded"  # a good reload after a failed one: it is over

# A reload is read with the daemon's own environment, the one it started with:
# a variable exported in a shell since, or added to the unit, is not in it.
STARTED_WITH = (
    " (the daemon's environment is read at its start only: set it in the unit "
    "or its EnvironmentFile, then restart)"
)

# A key file read from $CREDENTIALS_DIRECTORY: systemd's copy, made when it
# started the daemon (LoadCredential=), read-only and the same at a reload.
CREDENTIAL_COPY = (
    " (a copy systemd made at the daemon's start of the file the unit's "
    "LoadCredential= names: fix that file, then restart)"
)
_CREDENTIAL_FIX = (
    "fix the key file the unit's LoadCredential= names, then restart the daemon "
    "(a reload reads the copy made at its start)"
)


def rekeyed(
    old: Config, new: Config, paused: Collection[str], refused: Callable[[str], Episode | None]
) -> list[str]:
    """Given the running config, the one a reload applies, the panels paused
    for a refused key and each panel's ``auth_failed`` episode (``refused``),
    return the panels whose balance job the reload runs at once: those whose
    key it changes while theirs is refused (paused, or the episode open). The
    reload keeps each job's turn, and only that probe ends the episode: a key
    fixed waited up to ``balance_every`` for its ``auth_recovered``."""
    before = {panel.name: panel.key for panel in old.panels}
    changed = [p.name for p in new.panels if p.name in before and before[p.name] != p.key]
    return [
        name
        for name in changed
        if name in paused or ((episode := refused(name)) is not None and episode.active)
    ]


def rethresholded(old: Config, new: Config) -> list[str]:
    """Given the running config and the one a reload applies, return the panels
    whose balance job the reload runs at once: those whose ``[balance]``
    settings it changes (their ``low``, ``balance_low`` included, ``remind``
    or ``recover_margin``). The reload keeps each job's turn: a threshold
    raised above the balance told nothing for up to ``balance_every``."""
    before = {panel.name: _balance_settings(old, panel) for panel in old.panels}
    return [
        p.name
        for p in new.panels
        if p.name in before and before[p.name] != _balance_settings(new, p)
    ]


def _balance_settings(config: Config, panel: PanelConfig) -> tuple[object, ...]:
    """Given a config and one of its panels, return what its balance job judges by."""
    balance = config.balance
    return (config.balance_low(panel), balance.remind, balance.recover_margin)


def rekeyed_panels(old: Config, new: Config) -> frozenset[str]:
    """Given the running config and the one a reload applies, return the panels
    whose key it changes at the same URL: maybe another account on another
    version of the script, so what was learned of the panel is asked again
    (a URL changed: :func:`moved_panels`). Compared in memory: nothing of a
    key is stored, so a restart or a ``run --once`` cannot tell."""
    before = {panel.name: panel for panel in old.panels}
    return frozenset(
        p.name
        for p in new.panels
        if (was := before.get(p.name)) is not None and was.url == p.url and was.key != p.key
    )


_NEW_DATABASE = "restart to use another database"
_NEW_LISTEN = "restart to move the metrics endpoint"


def reload_blockers(old: Config, new: Config) -> list[str]:
    """Given the running config and a newly read one, return why a reload cannot
    apply it (empty when it can)."""
    problems = []
    if old.database.path != new.database.path:
        problems.append(
            f"database.path changed ({old.database.path} -> {new.database.path}): {_NEW_DATABASE}"
        )
    if old.metrics.listen != new.metrics.listen:
        problems.append(f"metrics.listen changed: {_NEW_LISTEN}")
    return problems


def moved_database_check(pid: int, running_on: Path, configured: Path, restart: str) -> Check:
    """Given a daemon running with doctor's config (its PID), the database
    it writes, the one the config names now (a reload that moved it failed:
    :func:`reload_blockers`) and what restarts it, return doctor's warning:
    the checks of ``configured`` are of a file that daemon does not write."""
    return Check(
        WARN,
        "database",
        f"the smm-tracker daemon (pid {pid}) running with this config still writes "
        f"{running_on}, not {configured}, which the config names now (a reload cannot "
        f"move the database): restart to move ({restart}); {running_on} stays as it is: "
        f"to go on with its orders, stop the daemon, move {running_on} (with its -wal) to "
        f"{configured}, then start it",
    )


def reload_fix(problems: list[str], config: Path | None = None) -> str:
    """Given a failed reload's problems (:func:`reload_problems`') and the
    config file, return what takes the file: a reload again once it is
    fixed, or a restart when some problem is one no reload can apply
    (``database.path`` or ``metrics.listen`` moved, a ``key_env`` variable
    the daemon's environment lacks): a reload again would fail again. A
    ``key_file`` that cannot be used is named with what is wrong with it
    (:func:`key_file_fault`), never with what it holds: the file to fix is
    that one, not the config."""
    restart = [
        p
        for p in problems
        if p.endswith((STARTED_WITH, CREDENTIAL_COPY, _NEW_DATABASE, _NEW_LISTEN))
    ]
    if restart and len(restart) == len(problems):
        if any(p.endswith(CREDENTIAL_COPY) for p in problems):
            return _CREDENTIAL_FIX
        return "restart the daemon to take the file as it is (a reload cannot)"
    keys = [fault for p in problems if (fault := key_file_fault(p)) is not None]
    fixed = "fix the file (`smm-tracker doctor` checks it)"
    if keys and len(keys) + len(restart) == len(problems):  # the key files alone
        fixed = " and ".join(keys)
    elif keys:
        fixed = f"fix {config or 'the file'} and {' and '.join(keys)} "
        fixed += "(`smm-tracker doctor` checks both)"
    return f"{fixed}, then " + (
        "restart the daemon (a reload cannot apply all of it)" if restart else "reload again"
    )


# A key_file problem as the config reader words it (tracker.config.keys):
# "at 'panels[0].key_file': file /etc/smm-tracker/api-key is empty"; a
# key_file naming the key itself ("file named here") is the config's to fix.
_KEY_FILE = re.compile(
    r"at '[^']*key_file': (?:(?P<cannot>cannot read )file (?P<unread>/.+?): (?P<why>.+)"
    r"|file (?P<path>/.+?) (?P<fault>is empty|does not exist|is not UTF-8 text"
    r"|must hold only the key)(?P<more>.*))"
)


def key_file_fault(problem: str) -> str | None:
    """Given one problem of a config read, return what fixes the key file
    it is about, named, with what is wrong with it ("put the key in the key
    file /etc/smm-tracker/api-key (it is empty)"); None for a problem of
    another kind."""
    found = _KEY_FILE.fullmatch(problem)
    if found is None or problem.endswith(CREDENTIAL_COPY):  # fixed where systemd copies from
        return None
    if found["cannot"]:
        return f"fix the key file {found['unread']} (it cannot be read: {found['why']})"
    path, fault, more = found["path"], found["fault"], found["more"]
    if more.startswith(" (") and more.endswith(")"):  # "(it holds several words)"
        fault += (": " if fault.startswith("must") else "; ") + more[2:-1]
    verb = "put the key in" if fault.startswith(("is empty", "does not")) else "fix"
    return f"{verb} the key file {path} (it {fault})"


def moved_panels(old: Config, new: Config) -> frozenset[str]:
    """Given the running config and a newly read one, return the names of the
    panels whose ``url`` changed: another script, maybe; what was learned of
    the old URL holds no more, so their jobs start afresh, not at the turns
    the old ones kept (a balance learned missing is asked at once)."""
    before = {panel.name: panel.url for panel in old.panels}
    return frozenset(p.name for p in new.panels if before.get(p.name, p.url) != p.url)


def summarize_problems(problems: list[str]) -> str:
    """Given a list of problems, return them as one short line."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]}{more}" if problems else "unknown problem"


def reload_problems(problems: list[str], credentials: str | None = None) -> list[str]:
    """Given the problems of a config read for a reload and the daemon's
    ``$CREDENTIALS_DIRECTORY`` (None: none), return them with what cures a
    ``key_env`` variable that is not set, empty or not the key alone, and a
    key file read from that directory (systemd's copy): a restart, not a
    reload."""
    return [
        f"{p}{STARTED_WITH}"
        if unset_variable(p)
        else f"{p}{CREDENTIAL_COPY}"
        if credentials and _copied(p, credentials)
        else p
        for p in problems
    ]


def _copied(problem: str, credentials: str) -> bool:
    """Given a config problem and $CREDENTIALS_DIRECTORY, return True when it
    is of a key file in that directory."""
    found = _KEY_FILE.fullmatch(problem)
    if found is None:
        return False
    return Path(found["path"] or found["unread"]).is_relative_to(credentials)


def reload_failed_alert(path: Path | None, problems: list[str]) -> Alert:
    """Given the config file and a failed reload's problems, return its alert:
    the previous config runs on, none of the file's changes in effect."""
    message = (
        f"config reload failed: {summarize_problems(problems)}; the daemon runs on with "
        f"the previous config, none of the changes to {path or 'the config'} in effect: "
        f"{reload_fix(problems, path)}"
    )
    data = {"config": str(path) if path else None, "problems": problems}
    return Alert(CONFIG_RELOAD_FAILED, message, severity="error", data=data)


def reloaded_alert(path: Path | None) -> Alert:
    """Given the config file, return the alert of a good reload after a failed one."""
    where = str(path) if path else "the config"
    message = f"config reloaded: {where} is in effect as it is now (the failed reload is over)"
    return Alert(
        CONFIG_RELOADED, message, severity="info", data={"config": str(path) if path else None}
    )
