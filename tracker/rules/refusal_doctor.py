"""doctor's info line per panel about the orders its refill rounds leave out
because the panel refused their refills for good ("Refill is disabled for this
service"; :func:`tracker.rules.refill_states.refused_for_good`): how many, the lowest
IDs, where those refusals show and what puts an order back. Apart from
:mod:`tracker.rules.doctor`, which is at its size limit."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence
from typing import Any

from tracker.rules.doctor import INFO, Check


def held_out_checks(rows: Sequence[Sequence[Any]], configured: Collection[str]) -> list[Check]:
    """Given (panel, orders held out, order ID) for the lowest IDs of each
    panel's orders inside ``refill.window`` whose refills the panel refused for
    good, and the panels in the config, return an info line per configured
    panel (a panel left out of the config has no rounds to leave them out of)."""
    by_panel: dict[str, tuple[int, list[int]]] = {}
    for panel, count, order_id in rows:
        by_panel.setdefault(str(panel), (int(count), []))[1].append(int(order_id))
    return [
        Check(INFO, f"panel {panel}", held_out_text(panel, count, ids))
        for panel, (count, ids) in by_panel.items()
        if panel in configured
    ]


def held_out_text(panel: str, count: int, ids: Sequence[int]) -> str:
    """Given a panel, how many of its orders are held out and the lowest IDs,
    return what holds them out and the commands that show and retry them."""
    name = shlex.quote(panel)
    shown = ", ".join(f"#{i}" for i in ids) + ("…" if count > len(ids) else "")
    orders, their, one = (
        ("1 order", "its", str(ids[0])) if count == 1 else (f"{count} orders", "their", "ID")
    )
    return (
        f"{orders} inside refill.window ({shown}) left out of the automatic refill rounds: "
        f"the panel refused {their} refills for good (words such as "
        '"Refill is disabled for this service"); '
        f'`smm-tracker refills --panel {name}` marks such refusals "(for good)" (no command '
        f"lists these orders alone); once the panel enables refill again, "
        f"`smm-tracker refill --panel {name} {one}` (--force inside refill.cooldown), "
        "accepted, puts it back in the rounds"
    )
