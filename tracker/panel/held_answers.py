"""Whether a 4xx answer still speaks for its items: an item's word, or each order asked refused."""

from __future__ import annotations

from typing import Any

import httpx

from tracker.panel import items_held
from tracker.panel.form import asked_ids
from tracker.panel.ids import listed_id


def by_id(data: Any) -> bool:
    """Whether ``data`` is an object keyed by order IDs alone: a multi answer's."""
    return type(data) is dict and all(str(k).strip().isdigit() for k in data)


def holds(action: str, data: Any) -> bool:
    """Whether a 4xx answer to ``action`` carries the panel's word on an item
    (an order's status, a refill's, a refill ID given, a cancel accepted),
    or that of a single ``status`` or ``refill_status`` call on its one."""
    if items_held.holds_one(action, data):
        return True
    return holds_statuses(data) if action == "status" else items_held.holds_items(action, data)


def refuses_each(action: str, data: Any, response: httpx.Response) -> bool:
    """Whether a 4xx answer to a multi ``refill`` or ``cancel`` call refuses
    each order it names, every one an order the call asked (its ``orders=``,
    read back from the request: a single-order call's asks none), and says
    nothing else (:func:`items_held.refuses_each`)."""
    if action not in ("refill", "cancel"):
        return False
    return items_held.refuses_each(action, data, asked_ids(response.request.content))


def _names_order(item: dict[str, Any]) -> bool:
    """Whether a list item has a field naming its order (``order``, else
    ``id`` or ``order_id`` when they name one: :func:`ids.listed_id`)."""
    return "order" in item or listed_id(item) is not None


def holds_statuses(data: Any) -> bool:
    """Whether ``data`` is a multi-status answer (keyed by order IDs, or a
    list of items each naming its order: ``order``, else ``id`` or
    ``order_id``, as the parser reads them) with an order's status in at
    least one item."""
    if type(data) is list:
        return any(type(v) is dict and "status" in v and _names_order(v) for v in data)
    return by_id(data) and any(type(v) is dict and "status" in v for v in data.values())
