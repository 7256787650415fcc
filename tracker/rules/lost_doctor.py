"""doctor's warning line per panel about its orders given up as lost (unknown
past ``schedule.unknown_give_up``, or by smm-tracker 0.1.0 and marked lost by
m033): how many, the lowest IDs, and the commands that list and resume them.
Apart from :mod:`tracker.rules.doctor`, which is at its size limit."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence
from typing import Any

from tracker.rules.doctor import WARN, Check


def lost_checks(rows: Sequence[Sequence[Any]], configured: Collection[str]) -> list[Check]:
    """Given (panel, lost orders, order ID, how many of them an older version
    gave up on) for the lowest IDs of each panel's lost orders (given up as
    unknown, not resumed), by panel, and the panels in the config, return a
    warning line per panel."""
    by_panel: dict[str, tuple[int, int, list[int]]] = {}
    for panel, count, order_id, older in rows:
        by_panel.setdefault(str(panel), (int(count), int(older or 0), []))[2].append(int(order_id))
    return [
        Check(WARN, f"panel {panel}", lost_text(panel, count, ids, panel in configured, older))
        for panel, (count, older, ids) in by_panel.items()
    ]


def lost_text(panel: str, count: int, ids: Sequence[int], configured: bool, older: int = 0) -> str:
    """Given a panel's lost orders (how many, the lowest IDs, how many of them
    an older version gave up on) and whether the panel is in the config,
    return what happened and the commands to see them."""
    name = shlex.quote(panel)
    shown = ", ".join(f"#{i}" for i in ids)
    more = "…" if count > len(ids) else ""
    if count == 1:
        orders, them, are = "1 order", "it", "it is"
        resume = f"`smm-tracker track --panel {name} {ids[0]}` resumes it"
    else:
        orders, them, are = f"{count} orders", "them", "they are"
        resume = (
            f"`smm-tracker track --panel {name} ID` resumes one, `smm-tracker orders "
            f"--panel {name} --status lost --ids | smm-tracker track --panel {name} -` all"
        )
    if not configured:
        resume = f"add the panel back to the config, then {resume}"
    why = f"the panel kept calling {them} unknown past schedule.unknown_give_up"
    if older >= count:  # 0.1.0's give-ups, marked lost by m033
        why = (
            f"smm-tracker 0.1.0 gave up on {them} when the panel called {them} unknown "
            "three times in a row"
        )
    elif older:
        why += f" ({older} of them given up by smm-tracker 0.1.0, at three times in a row)"
    return (
        f"{orders} given up as lost ({shown}{more}): {why}, so {are} no longer polled; "
        f"`smm-tracker orders --panel {name} --status lost` lists {them}, {resume}"
    )
