"""``smm-tracker doctor``: what each check concludes from the facts gathered.

Pure: the facts (config problems, what the filesystem said, a panel's
answer) are gathered by :mod:`tracker.service.doctor`; each function here turns
them into :class:`Check` lines. No check ever shows an API key: a panel's
line names where its key comes from, never the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.rules.capabilities import REFILL_ORDERS, one_at_a_time
from tracker.rules.catalogue import describe, what_is_kept
from tracker.rules.counts import counted
from tracker.rules.money import currency_shown, money
from tracker.rules.unknown_status import SHOWN_SPELLINGS, listing_hint, quoted

OK, FAIL, SKIP, WARN, INFO = "ok", "FAIL", "skip", "warn", "info"  # info: news, never a fault


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


def config_checks(path: Path | None, problems: Iterable[str], panels: int) -> list[Check]:
    """Given the config file read (None: none was) and its problems, return one
    FAIL per problem, after the file it is in, or one ok."""
    if problems := [f"{path}: {p}" if path else p for p in problems]:
        return [Check(FAIL, "config", problem) for problem in problems]
    return [Check(OK, "config", f"{path} is valid ({panels} panel{'s' * (panels != 1)})")]


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
    amount = "?" if balance is None else money(balance)  # as `balance` shows it
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
