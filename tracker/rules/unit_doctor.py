"""``smm-tracker doctor``'s lines of the installed systemd unit: the stop
budget against its stop timeout, a unit masked, one that is a dangling link.
Pure: :mod:`tracker.service.doctor_unit` reads the unit files. Apart from
:mod:`tracker.rules.doctor`, which was near its size limit."""

from __future__ import annotations

from collections.abc import Sequence

from tracker.config.model import Config
from tracker.panel.sockets import STOP_GRACE, STOP_SLICE
from tracker.rules.doctor import WARN, Check
from tracker.rules.not_answering import shell_word
from tracker.rules.unit_runs import UNIT
from tracker.rules.unit_stop import SHIPPED_STOP_TIMEOUT

# The unit's TimeoutStopSec= (systemd/smm-tracker.service): systemd kills a
# service still running this long after SIGTERM.
UNIT_STOP_TIMEOUT = SHIPPED_STOP_TIMEOUT
# A stop ends the daemon's wait for the answer of a call that only reads
# within this long (tracker.panel.sockets); not its connect and TLS
# handshake, each bounded by the connect timeout (an address of the host each).
READ_CUT = STOP_SLICE + STOP_GRACE


def acting_calls(config: Config) -> tuple[str, ...]:
    """Given the config, return the calls that may act which the daemon's
    jobs send (a stop waits for one on the wire until its deadline, whether
    it acted must be known): ``refill`` (refill rounds), ``add``
    (``automation.reorder``), ``cancel`` (``automation.cancel_pending``);
    none under ``automation.dry_run`` but the refills."""
    automation = config.automation
    sent = not automation.dry_run
    return tuple(
        action
        for action, on in (
            ("refill", config.refill.enabled),
            ("add", sent and automation.reorder),
            ("cancel", sent and automation.cancel_pending),
        )
        if on
    )


def stop_bound_check(
    timeouts: dict[str, float],
    busy_timeout: float,
    alerts_wait: float = 0.0,
    unit: tuple[float, str | None] = (UNIT_STOP_TIMEOUT, None),
    acting: Sequence[str] = ("refill",),
) -> Check | None:
    """Given each panel's timeout, the database busy_timeout, how long the
    stop waits for the alerts still queued (``alerts_wait``: the webhook
    timeout + 5 s when a webhook or notify target is set, else 0), the
    unit's stop timeout with where it was set (``unit``: None, the shipped
    unit's) and the calls that may act the daemon sends (``acting``:
    :func:`acting_calls`; the default config's refills), return a warning
    when a SIGTERM may not end ``run`` inside it, else None: the line is
    shown only when it has news.

    The bound is the daemon's own (:func:`tracker.service.once.stop_bound`,
    past which it exits anyway): one whole-call deadline, the longest
    panel's timeout, for all the calls on the wire, which run at once (a
    stop sends no new one), not one per call; then the job commits, waiting
    at most busy_timeout, then the queued alerts are posted. The line says
    which calls take it: one that may act is waited to its deadline; one
    that only reads is cut 0.75 s after the stop once it waits for its
    answer, but not in its connect or TLS handshake (the connect timeout
    each, an address of the host each: not known here), so the bound
    stands for them too."""
    name = "stop timeout"
    if not timeouts:
        return None
    panel = max(timeouts, key=lambda p: timeouts[p])
    bound = timeouts[panel] + busy_timeout + alerts_wait
    parts = [
        f"panel {panel} timeout {timeouts[panel]:g}s",
        f"database.busy_timeout {busy_timeout:g}s",
    ]
    if alerts_wait:
        parts.append(f"queued alerts {alerts_wait:g}s (alerts.webhook_timeout + 5s)")
    detail = f"run stops within {bound:g}s of SIGTERM ({' + '.join(parts)}: {_why(acting)})"
    limit, where = unit
    if bound < limit:  # infinity (TimeoutStopSec=infinity or 0): never killed
        return None
    return Check(
        WARN,
        name,
        f"{detail}, not under the unit's TimeoutStopSec={limit:g}s"
        f"{f' ({where})' if where else ''}: systemd may "
        "kill it mid-commit; lower the timeouts or raise TimeoutStopSec",
    )


def _why(acting: Sequence[str]) -> str:
    """What the panel's timeout in the stop's bound stands for."""
    once = "one timeout for all the calls on the wire, which run at once"
    if acting:
        calls = " or ".join([", ".join(acting[:-1]), acting[-1]] if len(acting) > 1 else acting)
        article = "an" if calls[0] in "aeiou" else "a"
        return f"{once}; {article} {calls} call is waited to its deadline"
    return (
        f"{once}; no job sends a refill, add or cancel, and a read's wait for its answer is "
        f"cut {READ_CUT:g}s after the stop, but not its connect and TLS handshake (up to "
        "the connect timeout each)"
    )


def masked_unit_check(unit: str, how: str, user: bool, name: str = UNIT) -> Check:
    """Given a unit file that masks smm-tracker.service (how: "a link to
    /dev/null", "an empty file"; ``name``: the unit it masks, the one that
    runs the daemon), the user manager's (``user``) or the system's, return
    its warning: systemd will not start the daemon. Not a
    failure: a tracker run otherwise (cron's ``run --once``, a user unit
    beside a masked system one) may be masked so on purpose."""
    systemctl = "systemctl --user" if user else "sudo systemctl"
    fix = (
        f"`{systemctl} unmask {_word(name)}` if the daemon should run"
        if how.startswith("a link")
        else "remove it, or put the unit there, if the daemon should run"
    )
    return _unit_not_started(unit, f"is masked ({how})", "the unit is masked", fix, user, name)


def dangling_unit_check(unit: str, target: str, user: bool, name: str = UNIT) -> Check:
    """Given a unit file that is a symbolic link to nothing (``target``: where
    it leads), the user manager's (``user``) or the system's, return its
    warning: systemd, finding it first, cannot open it and takes the unit as
    not found (a smm-tracker.service later in its search path is not read)."""
    return _unit_not_started(
        unit,
        f"is a dangling link (to {target}, which does not exist)",
        f"the unit is not found; a {name} in a later directory is not read",
        f"put the unit file at {target}, or remove the link, if the daemon should run",
        user,
        name,
    )


def unopenable_unit_check(unit: str, why: str, user: bool, name: str = UNIT) -> Check:
    """Given a unit file systemd finds first but cannot read as one (``why``:
    "loop", a link loop; "directory", a directory of that name), the user
    manager's (``user``) or the system's, return its warning: systemd fails
    to load the unit ("Failed to open" or "Failed to read configuration
    file", load-fragment.c's unit_load_fragment), and a smm-tracker.service
    later in its search path is not read."""
    what, fix = {
        "loop": (
            "is a link loop (too many levels of symbolic links)",
            "make it a link to the unit file, or remove it,",
        ),
        "directory": ("is a directory", "remove it, or put the unit file in its place,"),
    }[why]
    fails = f"systemd cannot read it; a {name} in a later directory is not read"
    return _unit_not_started(unit, what, fails, f"{fix} if the daemon should run", user, name)


def unreadable_unit_check(
    unit: str, reason: str, user: bool, root: bool, name: str = UNIT
) -> Check:
    """Given a unit file this user cannot read (``reason``: the system's
    words, "Permission denied"), the user manager's (``user``) or the
    system's, and whether doctor runs as root: the user manager, running as
    this user, cannot read it either and fails to load the unit; the system
    manager, root, reads it, so only its stop timeout is not checked."""
    if user or root:
        fails = f"systemd cannot read it either ({reason})"
        fix = "let its owner read it (chmod u+r, or a+r), if the daemon should run"
        return _unit_not_started(unit, "cannot be read", fails, fix, user, name)
    return Check(
        WARN,
        "systemd unit",
        f"{unit} cannot be read by this user ({reason}): its stop timeout is not checked "
        "(systemd, as root, reads it); `sudo smm-tracker doctor` checks it",
    )


def rejected_alias_check(
    unit: str, target: str, instead: str | None, user: bool, name: str = UNIT
) -> Check:
    """Given a unit file that is a link inside systemd's unit directories to
    a file whose name is no alias of smm-tracker.service (``target``: where it
    leads; systemd's unit_validate_alias_symlink_or_warn rejects it, "symlink
    target ... has incompatible suffix, rejecting", and passes the file
    over), the unit systemd reads instead (a later directory's; None: none)
    and the user manager's (``user``) or the system's, return its warning
    (``name``: the unit's, an instance's aliases being instances' or templates')."""
    alias = target.rpartition("/")[2]
    kind = "an instance's or template's" if "@" in name else "a plain"
    said = f"{unit} is a link to {target}, which systemd rejects as an alias: {alias!r} is not "
    said += f"{kind} .service unit's name, so systemd passes the link over"
    if instead is not None:
        return Check(
            WARN,
            "systemd unit",
            f"{said} and reads {instead} in its place; remove the link, or make it a link to "
            "the unit file you mean",
        )
    return _unit_not_started(
        unit,
        f"is a link to {target}, which systemd rejects as an alias ({alias!r} is not {kind} "
        ".service unit's name)",
        "the unit is not found",
        "make it a link to the unit file, or put the unit file there, if the daemon should run",
        user,
        name,
    )


def _unit_not_started(
    unit: str, what: str, fails: str, fix: str, user: bool, name: str = UNIT
) -> Check:
    """The warning of a unit file systemd will not start the daemon from
    (``name``: the unit's, smm-tracker.service or the one that runs it)."""
    systemctl = "systemctl --user" if user else "systemctl"
    return Check(
        WARN,
        "systemd unit",
        f"{unit} {what}: systemd will not start the daemon from it "
        f"(`{systemctl} start {_word(name)}` fails: {fails}), "
        f"so no stop timeout is checked there; {fix}",
    )


def _word(name: str) -> str:
    """The unit's name as systemctl takes it, in a shell: "smm-tracker",
    "'smm-tracker@shop2'"."""
    return shell_word(name.removesuffix(".service"))
