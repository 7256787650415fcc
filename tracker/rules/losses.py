"""Pure alert decisions for what a real panel makes the tracker give up on.

``order_lost``: orders that stopped being polled because the panel kept calling
them unknown past ``schedule.unknown_give_up`` (one alert per panel and poll:
how many in ``data.count``, the first MAX_LISTED with the panel's words in
``data.orders``). ``action_unsupported``: the
panel refuses an action (refill, refill_status, cancel) for every order with
the words it gives an action that does not exist, or ``balance`` so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tracker.rules.capabilities import BALANCE, NO_BALANCE
from tracker.rules.counts import counted
from tracker.rules.episodes import Alert, listed

ORDER_LOST = "order_lost"
ACTION_UNSUPPORTED = "action_unsupported"
_SHOWN = 5


def lost_alerts(lost: Iterable[dict[str, Any]]) -> list[Alert]:
    """Given orders that just stopped being polled, return one alert per panel."""
    by_panel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in lost:
        by_panel[item["panel"]].append(item)
    alerts = []
    for panel, items in by_panel.items():
        # Lowest ID first: the answers' order (calls in flight finish as they
        # will) made the five named and the 100 listed differ run to run.
        items.sort(key=lambda item: item["order_id"])
        words = items[0]["error"]
        if len(items) == 1:
            item = items[0]
            message = (
                f"{panel}: order #{item['order_id']} stopped being polled: the panel has "
                f"called it unknown since {item['unknown_since']} ({words}); "
                f"`smm-tracker track --panel {panel} {item['order_id']}` resumes it"
            )
        else:
            shown = ", ".join(f"#{i['order_id']}" for i in items[:_SHOWN])
            # Every one, past the first 100 data.orders holds, listed by `orders`.
            lists = "(`smm-tracker orders --status lost` lists them)"
            more = f" and {len(items) - _SHOWN} more {lists}" if len(items) > _SHOWN else ""
            message = (
                f"{panel}: {counted(len(items), 'order')} stopped being polled, the panel calls "
                f"them unknown ({words}): {shown}{more}; `smm-tracker track --panel {panel} ID` "
                "resumes one"
            )
        data = listed([{k: v for k, v in i.items() if k != "panel"} for i in items])
        alerts.append(Alert(ORDER_LOST, message, panel=panel, data=data))
    return alerts


def unsupported_alert(panel: str, action: str, words: str) -> Alert:
    """Given an action a panel turned out not to have, return the one alert about it."""
    again = "cancel" if action == "cancel" else "refill"
    message = (
        f"{panel}: the panel has no `balance` action (it answers {words!r}, as it does "
        f"an unknown action); {NO_BALANCE}; asked again a day later, or at once at a new url"
    )
    if action != BALANCE:
        message = (
            f"{panel}: the panel does not support `{action}` (it answers every order "
            f"{words!r}, as it does an unknown action); no more {action} requests until you "
            f"ask (`smm-tracker {again} ID` tries again)"
        )
    return Alert(ACTION_UNSUPPORTED, message, panel=panel, data={"action": action, "answer": words})
