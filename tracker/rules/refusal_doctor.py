"""doctor's info line per panel about the orders its refill rounds leave out
because the panel refused their refills for good ("Refill is disabled for this
service"; :func:`tracker.rules.refill_states.refused_for_good`): how many, the lowest
IDs, where those refusals show and what puts an order back; each order counted
inside its own refill window (the guarantee its service's name says, else
``refill.window``: :func:`tracker.rules.guarantees.window_of`, the refill
round's), and only one the rounds would read but for the refusal (its status
in ``refill.statuses``, its service's refill not off in the panel's listing,
an unknown service only with ``unknown_service = "try"``). Apart from
:mod:`tracker.rules.doctor`, which is at its size limit."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from tracker.clock import read_iso
from tracker.config.model import RefillConfig
from tracker.rules.doctor import INFO, Check
from tracker.rules.guarantees import Guarantee, longest_window, named_guarantee, window_of

IDS_SHOWN = 3  # the lowest IDs of a panel's held-out orders named
WINDOW = "refill.window"


def reach_back(names: Sequence[Sequence[Any]], config: RefillConfig, now: datetime) -> datetime:
    """Given every stored service's (name, category), return the earliest
    completion the longest window they give (``refill.window`` at least)
    holds: how far back the held-out orders need be read."""
    said: list[Guarantee | None] = []
    if config.window_from_name:
        said = [named_guarantee(name, category) for name, category in names]
    return now - timedelta(seconds=longest_window(said, config))


def held_out_checks(
    rows: Sequence[Sequence[Any]], configured: Collection[str], config: RefillConfig, now: datetime
) -> list[Check]:
    """Given (panel, order ID, completed at, service name, category, service
    known, status, service's refill flag) for each order whose refills the
    panel refused for good, by panel then ID, the panels in the config,
    ``refill`` and now, return an info line per configured panel (a panel
    left out of the config has no rounds to leave them out of) counting
    those completed inside their own window that the rounds would read but
    for the refusal (:func:`_in_rounds`)."""
    by_panel: dict[str, tuple[list[int], set[str]]] = {}
    for panel, order_id, completed_at, name, category, known, status, flag in rows:
        if not _in_rounds(status, flag if known else None, config):
            continue  # left out of the rounds whatever the panel says
        window = window_of(named_guarantee(name, category) if known else None, config)
        done = read_iso(completed_at)  # None: a database edited by hand
        if done is None or now - done > timedelta(seconds=window.seconds):
            continue  # past its window: its rounds had left it out anyway
        ids, said = by_panel.setdefault(str(panel), ([], set()))
        ids.append(int(order_id))
        said.add(window.said())
    return [
        Check(INFO, f"panel {panel}", held_out_text(panel, len(ids), ids[:IDS_SHOWN], said))
        for panel, (ids, said) in by_panel.items()
        if panel in configured
    ]


def _in_rounds(status: Any, flag: Any, config: RefillConfig) -> bool:
    """Whether the refill rounds would ask for an order but for its refusal
    for good, as :func:`tracker.rules.refill_eligibility.eligibility` judges
    what comes after it: its status one of ``refill.statuses``, its service's
    refill not off in the panel's listing (``flag`` 0), a service not listed
    (``flag`` None) only with ``refill.unknown_service = "try"``."""
    if status not in config.statuses:
        return False
    if flag is None:
        return config.unknown_service == "try"
    return bool(flag)


def held_out_text(panel: str, count: int, ids: Sequence[int], windows: Collection[str] = ()) -> str:
    """Given a panel, how many of its orders are held out, the lowest IDs and
    the windows they are inside (as ``Window.said``: "R90 in the service's
    name, 90d"), return what holds them out and the commands that show and
    retry them."""
    name = shlex.quote(panel)
    shown = ", ".join(f"#{i}" for i in ids) + ("…" if count > len(ids) else "")
    orders, their, one = (
        ("1 order", "its", str(ids[0])) if count == 1 else (f"{count} orders", "their", "ID")
    )
    return (
        f"{_counted(orders, shown, _inside(windows, their))} left out of the automatic "
        "refill rounds: "
        f"the panel refused {their} refills for good (words such as "
        '"Refill is disabled for this service"); '
        f'`smm-tracker refills --panel {name}` marks such refusals "(for good)" (no command '
        f"lists these orders alone); once the panel enables refill again, "
        f"`smm-tracker refill --panel {name} {one}` (--force inside refill.cooldown), "
        "accepted, puts it back in the rounds"
    )


def _counted(orders: str, shown: str, inside: str) -> str:
    """ "2 orders inside refill.window (#101, #102)", or, the window said in
    parentheses of its own, "1 order (#101) inside its guarantee (R90 ...)"."""
    if inside == f"inside {WINDOW}":
        return f"{orders} {inside} ({shown})"
    return f"{orders} ({shown}) {inside}"


def _inside(windows: Collection[str], their: str) -> str:
    """Which window the orders are inside: "inside refill.window", their one
    guarantee ("inside their guarantee (R90 in the service's name, 90d)"), or
    each its own."""
    if all(said.startswith(f"{WINDOW}, ") for said in windows):
        return f"inside {WINDOW}"
    if len(windows) == 1:
        return f"inside {their} guarantee ({next(iter(windows))})"
    return f"inside {their} guarantees (each the one its service's name says, else {WINDOW})"
