"""``smm-tracker doctor``: what each check concludes from the facts gathered.

Pure: the facts (config problems, what the filesystem said, a panel's
answer) are gathered by :mod:`tracker.service.doctor`; each function here turns
them into :class:`Check` lines. No check ever shows an API key: a panel's
line names where its key comes from, never the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.rules.capabilities import REFILL_ORDERS, one_at_a_time
from tracker.rules.catalogue import describe, what_is_kept
from tracker.rules.counts import counted
from tracker.rules.money import currency_shown
from tracker.rules.unit_stop import SHIPPED_STOP_TIMEOUT
from tracker.rules.unknown_status import SHOWN_SPELLINGS, listing_hint, quoted

OK, FAIL, SKIP, WARN, INFO = "ok", "FAIL", "skip", "warn", "info"  # info: news, never a fault
# The unit's TimeoutStopSec= (systemd/smm-tracker.service): systemd kills a
# service still running this long after SIGTERM.
UNIT_STOP_TIMEOUT = SHIPPED_STOP_TIMEOUT


@dataclass(frozen=True)
class Check:
    """One line of the report: ``state`` is ok, warn, FAIL, skip or info;
    ``url`` the URL a line of a panel the config no longer names is about
    (credentials as ``***``, said in ``name`` too), None on every other."""

    state: str
    name: str
    detail: str
    url: str | None = None

    @property
    def failed(self) -> bool:
        return self.state == FAIL

    def line(self) -> str:
        return f"{self.state:<4} {self.name}: {' '.join(self.detail.split())}"


@dataclass(frozen=True)
class DatabaseFacts:
    """What the filesystem and SQLite said about ``database.path``."""

    path: Path
    directory_exists: bool = True
    directory_error: str | None = None  # why a file could not be created there
    exists: bool = False
    writable: bool = True  # the file itself (when it exists)
    read_error: str | None = None
    applied: tuple[str, ...] = ()  # migrations recorded in the file
    known: tuple[str, ...] = field(default_factory=tuple)  # migrations this version has


def config_checks(path: Path | None, problems: Iterable[str], panels: int) -> list[Check]:
    """Given the config file read (None: none was) and its problems, return one
    FAIL per problem, after the file it is in, or one ok."""
    if problems := [f"{path}: {p}" if path else p for p in problems]:
        return [Check(FAIL, "config", problem) for problem in problems]
    return [Check(OK, "config", f"{path} is valid ({panels} panel{'s' * (panels != 1)})")]


def stop_bound_check(
    timeouts: dict[str, float],
    busy_timeout: float,
    alerts_wait: float = 0.0,
    unit: tuple[float, str | None] = (UNIT_STOP_TIMEOUT, None),
) -> Check | None:
    """Given each panel's timeout, the database busy_timeout, how long the
    stop waits for the alerts still queued (``alerts_wait``: the webhook
    timeout + 5 s when a webhook or notify target is set, else 0) and the
    unit's stop timeout with where it was set (``unit``: None, the shipped
    unit's), return a warning when a SIGTERM may not end ``run`` inside it
    (a call on the wire ends by its deadline, then the job commits, waiting
    at most busy_timeout, then the queued alerts are posted), else None: the
    line is shown only when it has news."""
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
    detail = f"run stops within {bound:g}s of SIGTERM ({' + '.join(parts)})"
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


def masked_unit_check(unit: str, how: str, user: bool) -> Check:
    """Given a unit file that masks smm-tracker.service (how: "a link to
    /dev/null", "an empty file"), the user manager's (``user``) or the
    system's, return its warning: systemd will not start the daemon. Not a
    failure: a tracker run otherwise (cron's ``run --once``, a user unit
    beside a masked system one) may be masked so on purpose."""
    systemctl = "systemctl --user" if user else "sudo systemctl"
    fix = (
        f"`{systemctl} unmask smm-tracker` if the daemon should run"
        if how.startswith("a link")
        else "remove it, or put the unit there, if the daemon should run"
    )
    return _unit_not_started(unit, f"is masked ({how})", "the unit is masked", fix, user)


def dangling_unit_check(unit: str, target: str, user: bool) -> Check:
    """Given a unit file that is a symbolic link to nothing (``target``: where
    it leads), the user manager's (``user``) or the system's, return its
    warning: systemd, finding it first, cannot open it and takes the unit as
    not found (a smm-tracker.service later in its search path is not read)."""
    return _unit_not_started(
        unit,
        f"is a dangling link (to {target}, which does not exist)",
        "the unit is not found; a smm-tracker.service in a later directory is not read",
        f"put the unit file at {target}, or remove the link, if the daemon should run",
        user,
    )


def _unit_not_started(unit: str, what: str, fails: str, fix: str, user: bool) -> Check:
    """The warning of a unit file systemd will not start the daemon from."""
    systemctl = "systemctl --user" if user else "systemctl"
    return Check(
        WARN,
        "systemd unit",
        f"{unit} {what}: systemd will not start the daemon from it "
        f"(`{systemctl} start smm-tracker` fails: {fails}), "
        f"so no stop timeout is checked there; {fix}",
    )


def database_check(facts: DatabaseFacts) -> Check:
    """Given the database facts, return whether ``run`` can use the database."""
    path, name = facts.path, "database"
    if str(path) == ":memory:":
        return Check(OK, name, "in memory: nothing is kept between runs")
    if not facts.directory_exists:
        return Check(FAIL, name, f"directory {path.parent} does not exist")
    if facts.directory_error is not None:
        return Check(FAIL, name, f"cannot create files in {path.parent} ({facts.directory_error})")
    if not facts.exists:
        return Check(OK, name, f"{path} will be created by the first run (directory writable)")
    if not facts.writable:
        return Check(FAIL, name, f"{path} is read-only for this user")
    if facts.read_error is not None:
        return Check(FAIL, name, facts.read_error)
    unknown = [m for m in facts.applied if m not in facts.known]
    if unknown:
        return Check(
            FAIL,
            name,
            f"{path} was migrated by a newer smm-tracker ({', '.join(unknown)}): "
            "upgrade smm-tracker",
        )
    pending = [m for m in facts.known if m not in facts.applied]
    if pending:
        return Check(
            OK,
            name,
            f"{path} writable; the next run applies {counted(len(pending), 'migration')}: "
            + ", ".join(pending),
        )
    # The latest migration's number, as README and CHANGELOG name it ("m038"):
    # a count of migrations (some numbers were never used) matched nothing.
    latest = facts.known[-1].partition("_")[0] if facts.known else "none"
    return Check(OK, name, f"{path} writable; schema current ({latest}, the latest migration)")


def panel_check(
    name: str,
    key_source: str | None,
    *,
    balance: Decimal | None = None,
    currency: str | None = None,
    error: str | None = None,
    skipped: str | None = None,
    limited: bool = False,
) -> Check:
    """Given a panel's key source and the outcome of its balance call, return its line.

    ``skipped`` says why the panel was not called (its config is broken);
    ``limited``, that ``error`` was a 429 or its words: a warning, no failed
    key (the daemon beside it may be using the limit).
    """
    key = f"key: {key_source}" if key_source else "key: source unknown"
    if skipped is not None:
        return Check(SKIP, f"panel {name}", f"{key}; not called: {skipped}")
    if error is not None and limited:
        said = f"not checked: the panel is rate limiting our calls now ({error}); try again later"
        return Check(WARN, f"panel {name}", f"{key}; {said}")
    if error is not None:
        return Check(FAIL, f"panel {name}", f"{key}; balance call failed: {error}")
    amount = "?" if balance is None else f"{balance:f}"
    shown = f"{amount} {currency_shown(currency)}" if currency else f"{amount}"
    return Check(OK, f"panel {name}", f"{key}; answers (balance {shown})")


def exit_code(checks: Iterable[Check]) -> int:
    """Given every check, return 1 if any failed, else 0."""
    return 1 if any(check.failed for check in checks) else 0


def capability_check(panel: str, action: str, learned_at: str, evidence: str | None) -> Check:
    """Given an action a panel was learned to lack, return its warning line
    (an ok line for :data:`REFILL_ORDERS`: refills asked one order at a time)."""
    if action == REFILL_ORDERS:
        return Check(OK, f"panel {panel}", one_at_a_time(learned_at, evidence))
    return Check(
        WARN,
        f"panel {panel}",
        f"does not support {action} (learned {learned_at}: it answers {evidence!r}, as it does "
        f"an unknown action); no {action} requests are sent. `smm-tracker "
        f"{'cancel' if action == 'cancel' else 'refill'} ID` tries again",
    )


def ambiguity_check(
    panel: str, service: int, listings: int, differences: str, since: str, stored_at: str | None
) -> Check:
    """Given a service the panel lists more than once with different terms, return
    its warning line (``differences``: the stored JSON of each term's values;
    ``stored_at``: when the terms still stored were synced, None when none are)."""
    try:
        terms = describe(json.loads(differences))
    except (ValueError, TypeError, AttributeError):
        terms = "unreadable"
    return Check(
        WARN,
        f"panel {panel}",
        f"lists service {service} {counted(listings, 'time')} with different terms ({terms}) since "
        f"{since}: neither is trusted; {what_is_kept(stored_at)}",
    )


def ambiguity_checks(rows: Sequence[Sequence[Any]], shown: int = 10) -> list[Check]:
    """Given the rows of ``service_conflicts`` (each the arguments of
    :func:`ambiguity_check`), return a warning line for each of the first
    ``shown`` and one line counting the rest: a panel may list thousands twice."""
    checks = [ambiguity_check(*row) for row in rows[:shown]]
    if (left := len(rows) - shown) > 0:
        more = f"and {left} more service{'s' * (left != 1)} listed twice with different terms"
        checks.append(Check(WARN, "services", f"{more} (`smm-tracker services` lists them)"))
    return checks


def unconfigured_text(panel: str, count: int) -> str:
    """Given a panel missing from the config and its open orders, return what to do."""
    one = count == 1  # "1 open order belongs ... untrack it", not "them"
    orders = f"{count} open order{'s' * (not one)} belong{'s' * one}"
    them, ids = ("it", "ID") if one else ("them", "ID...")
    return (
        f"{orders} to panel {panel!r}, which is not in the config: not polled; add the "
        f"panel back or untrack {them} (smm-tracker untrack --panel {panel} {ids})"
    )


def unconfigured_check(panel: str, count: int) -> Check:
    """Given a panel missing from the config and its open orders, return its warning."""
    return Check(WARN, f"panel {panel}", unconfigured_text(panel, count))


def unconfigured_note(found: dict[str, int]) -> str:
    """Given the open orders of each panel missing from the config, return the
    words the STATUS= line adds ("" when there are none)."""
    if not found:
        return ""
    count, panels = sum(found.values()), ", ".join(sorted(found))
    return f"{count} open order{'s' * (count != 1)} not polled (not in the config: {panels})"


def unknown_status_checks(rows: Sequence[Sequence[Any]]) -> list[Check]:
    """Given (panel, status, open orders) of each status the tracker does not
    know, by panel and most orders first, return a warning line per panel."""
    by_panel: dict[str, list[tuple[str, int]]] = {}
    for panel, status, count in rows:
        by_panel.setdefault(str(panel), []).append((str(status), int(count)))
    checks = []
    for panel, found in by_panel.items():
        orders = sum(count for _, count in found)
        named = ", ".join(f"{quoted(words)} {count}" for words, count in found[:SHOWN_SPELLINGS])
        left = len(found) - SHOWN_SPELLINGS
        more = f" and {left} more spelling{'s' * (left != 1)}" if left > 0 else ""
        listed = "the first spelling's orders" if len(found) > 1 else "them"
        detail = (
            f"{orders} open order{'s' * (orders != 1)} in status words the tracker does not "
            f"know ({named}{more}): still polled, but no refill, cancel or stall rule applies; "
            f"{listing_hint(panel, found[0][0])} lists {listed}"
        )
        checks.append(Check(WARN, f"panel {panel}", detail))
    return checks
