"""The words of a panel not answering now: its key refused (``auth_failed``),
every call failing (``panel_unreachable``), both said when both are open,
the key first. ``balance``, ``orders`` and ``doctor`` say them alike; each
gives the moments as it shows them. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# Why a panel's rows are its last answers, by the episode open for it now.
NOT_ANSWERING = {
    "auth_failed": "the API key is refused",
    "panel_unreachable": "every call has failed",
}
KEY_FIRST = "the refused key is the cause to fix first"
APART = "the smm-tracker.service installed does not run this daemon"
DEMO_FIX = (
    "the demo makes up its key and its simulated panel's at its start: stop it "
    "(Ctrl-C) and start `smm-tracker demo` again"
)


def not_answering_said(
    kind: str,
    since: str | None,
    open_now: Mapping[str, str | None],
    moment: Callable[[str | None], str],
) -> tuple[str, str]:
    """Given the episode a line names (``kind`` since ``since``), the
    panel's episodes open now ({kind: since}) and how a moment is shown,
    return what the line says of them ("the API key is refused since ...")
    and what it says before the fix or where to read why: both open, both
    said, the key first, the cause to fix first ("" when one is open)."""
    if not NOT_ANSWERING.keys() <= open_now.keys():
        return f"{NOT_ANSWERING[kind]} since {moment(since)}", ""
    said = (f"{words} since {moment(open_now[k])}" for k, words in NOT_ANSWERING.items())
    return ", and ".join(said), f"{KEY_FIRST}: "


def key_place(index: int, field: str, source: str | None) -> str:
    """Given a panel's N in ``panels[N]``, the key of its table that sets its
    API key (``key_env``, ``key_file``, ``key``) and where that says the key
    is ("environment variable SMM_KEY"; None: not known), return where a
    refused key is fixed, as :func:`key_fix` says it: "panels[0].key_env
    (environment variable SMM_KEY)" (never the key)."""
    return f"panels[{index}].{field}" + (f" ({source})" if source else "")


def key_taken(place: str | None, manager: str | None = None) -> str:
    """Given where a panel's key is set (:func:`key_place`; None: not known)
    and which systemd manager has a smm-tracker.service installed
    (``manager``: "system", "user", "both", "none"; "apart": one is
    installed but does not run this daemon, a ``run`` in a terminal;
    "system:UNIT", "user:UNIT": that other unit runs it,
    :func:`tracker.rules.unit_runs.running_manager`; None: not known, the
    system's said), return what has the daemon take a key fixed there. A
    reload reads the config again, so a key written in it (``key``), and a
    key file without a unit (none hands it over); the daemon's environment
    is its start's (``key_env``), and systemd copies a key file handed over
    by ``LoadCredential=`` at the start only (``key_file``): both take a
    restart, as does a place not known. A unit not named smm-tracker...
    (``myapp.service``) has a reload of its own, not the daemon's: a
    restart."""
    field = (place or "").split(" ", 1)[0].rpartition(".")[2]
    if manager == "apart":  # systemctl would start a second daemon
        return f"{_taken_without_unit(field)}; not `systemctl`: {APART}"
    if manager == "none":
        return _taken_without_unit(field)
    unit = (manager or "").partition(":")[2]
    if field == "key" and unit and not unit.startswith("smm-tracker"):
        why = f"{unit} runs the daemon: its reload is that unit's own"
        return f"{_systemctl('restart', manager)} ({why})"
    if field == "key":
        return f"{_systemctl('reload', manager)} (the daemon reads it again)"
    why = {
        "key_env": "its environment, the unit's or its EnvironmentFile's, "
        "is read at its start only",
        "key_file": "a key file the unit hands over with LoadCredential= "
        "is copied at its start only",
    }.get(field, "it reads the key again wherever the config sets it")
    return f"{_systemctl('restart', manager)} ({why})"


def daemon_restart(
    manager: str | None,
    masked: str | None = None,
    dangling: tuple[str, str] | None = None,
    fault: tuple[str, str] | None = None,
) -> str:
    """Given what runs the daemon (:func:`key_taken`'s ``manager``: "apart"
    a ``run`` beside a unit installed) and, with none, the unit file that
    masks smm-tracker.service (None: none masks it), the dangling link
    systemd finds in its place and where it leads (None: none), or the file
    systemd finds but cannot load and why (``fault``: "loop", "directory",
    "unreadable: WHY"; None: none), return what restarts the daemon: its
    manager's systemctl, or `smm-tracker run` stopped and started again
    where it runs (a terminal, tmux)."""
    again = "stop `smm-tracker run` where it runs and start it again"
    if manager == "apart":  # systemctl would start a second daemon
        return f"{again}; not `systemctl`: {APART}"
    if manager == "none":
        why = "no smm-tracker.service installed"
        if masked:
            why = f"smm-tracker.service is masked ({masked})"
        elif dangling:
            link, target = dangling
            why = f"smm-tracker.service is a dangling link ({link}, to {target}, "
            why += "which does not exist)"
        elif fault:
            path, what = fault
            why = {
                "loop": f"smm-tracker.service is a link loop ({path})",
                "directory": f"smm-tracker.service is a directory ({path})",
            }.get(what, f"smm-tracker.service cannot be read ({path}: {what.partition(': ')[2]})")
        return f"{why}: {again}"
    return _systemctl("restart", manager)


def _systemctl(verb: str, manager: str | None) -> str:
    """The systemctl command that reloads or restarts the daemon of the
    installed unit: the system's, the user manager's, either when both are;
    the unit that runs it when it is another ("user:smm-tracker@shop2.service":
    `systemctl --user restart 'smm-tracker@shop2'`, quoted as a shell needs)."""
    manager, _, unit = (manager or "").partition(":")
    name = shell_word(unit.removesuffix(".service")) if unit else "smm-tracker"
    system, user = f"`systemctl {verb} {name}`", f"`systemctl --user {verb} {name}`"
    if manager == "user":
        return user
    return f"{system} or {user}, whichever runs it" if manager == "both" else system


def shell_word(name: str) -> str:
    """A unit's name as a shell takes it, to paste: as it is when it is only
    letters, digits and ``-_.:``; in single quotes otherwise (an instance's
    "@", systemd-escape's backslashes, any byte a cgroup's name may hold)."""
    if all(c.isascii() and (c.isalnum() or c in "-_.:") for c in name):
        return name
    return "'" + name.replace("'", "'\\''") + "'"


def _taken_without_unit(field: str) -> str:
    """What has a ``smm-tracker run`` no systemd unit runs take a fixed key:
    a SIGHUP reads the config again, a key file's included; an environment
    variable is its start's."""
    if field in ("key", "key_file"):
        return (
            "a reload of `smm-tracker run` where it runs "
            "(`kill -HUP` its PID: it reads the config again)"
        )
    why = "its environment is read at its start only" if field == "key_env" else ""
    return "a restart of `smm-tracker run` where it runs" + (
        f", from a shell that has the variable set ({why})" if why else ""
    )


def key_fix(place: str | None, manager: str | None = None) -> str:
    """Given where a panel's key is set ("panels[0].key_env (environment
    variable SMM_KEY)"; None: not known) and the installed unit's manager
    (:func:`key_taken`), return what fixes a refused key: the key there,
    then what has the daemon take it, or the next cron run."""
    return f"{daemon_key_fix(place, manager)}; from cron, the next run reads it"


def daemon_key_fix(place: str | None, manager: str | None = None) -> str:
    """:func:`key_fix` without the cron run: the key fixed where it is set,
    then what has the daemon take it, as the daemon's ``auth_failed`` says it;
    the demo's (``manager`` "demo": in the foreground, no unit) its restart."""
    if manager == "demo":  # its key is made up at its start: no config holds it
        return DEMO_FIX
    where = f"in {place}" if place else "in the panel's [[panels]] table"
    return f"fix the key {where}, then {key_taken(place, manager)}"


def refused_key_hint(place: str) -> str:
    """Given where a panel's key is set (:func:`key_place`), return the fix a
    one-off call refused for its key says after its line (``doctor``, ``add``)."""
    return f"the panel refuses this key: check that {place} holds this account's key"
