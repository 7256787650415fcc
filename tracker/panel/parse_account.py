"""Tolerant parsers of the answers to ``balance`` and ``services``.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel.amounts import bare_amount
from tracker.panel.flags import to_bool
from tracker.panel.ids import written_id
from tracker.panel.json_decoder import Twice
from tracker.panel.models import Balance, Service
from tracker.panel.parse import _expect_dict, _expect_list
from tracker.panel.refusals import error_text, raise_for_error
from tracker.panel.script_shapes import wrapped
from tracker.panel.values import (
    as_json,
    short,
    to_balance,
    to_currency,
    to_decimal,
    to_int,
    to_text,
)

_NO_SERVICES = re.compile(r"\bno services?\b", re.IGNORECASE)


def parse_balance(data: Any) -> Balance:
    """Given the answer to ``balance``, return a Balance (its ``currencies``
    the values of a ``currency`` given twice, differently: then no currency)."""
    data = wrapped("balance", data)  # {"data": {"balance": ...}}: read through
    raise_for_error(data)
    amount = to_balance(bare_amount(_expect_dict(data, "balance").get("balance")))
    if amount is None:
        raise BadAnswerError(f"balance answered without a number: {as_json(data, 120)}")
    currency = data.get("currency")
    if isinstance(currency, Twice):  # stated two ways: neither stored, both said
        return Balance(balance=amount, currencies=tuple(short(c, 40) for c in currency.said))
    return Balance(balance=amount, currency=to_currency(currency))


def parse_services(data: Any) -> list[Service]:
    """Given the answer to ``services``, return the Services it lists (bad items skipped).

    ``{"error": "No services available"}`` and ``[]`` are an empty catalogue;
    items none of which is a service (no ``service`` ID) are no catalogue at
    all: BadAnswerError, never "the panel lists none".
    """
    data = wrapped("services", data)  # {"data": [...]}: read through
    message = error_text(data)
    if message is not None and _NO_SERVICES.search(message):
        return []
    raise_for_error(data)
    services, items = [], _expect_list(data, "services")
    for listed in items:
        # A service ID is read as an order ID is (ids.written_id): "7", 7, " 7"
        # or 7.0; never "1e3", "1,000", "+7", "-5" or "0", no ID `add` sends back.
        if not isinstance(listed, dict) or written_id(listed.get("service")) is None:
            continue
        services += [_service(item) for item in _each_reading(listed)]
    if items and not services:
        # rules/counts.py's counted is a layer above the client: the plural here.
        many = f"{len(items)} item" if len(items) == 1 else f"{len(items)} items"
        raise BadAnswerError(f"listed {many}, none a service: {short(items[0], 120)}")
    return services


def _each_reading(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Given a services listing, return it as listed; one giving a key twice,
    differently (``"refill": true, "refill": false``), as one listing per value
    given: a service listed twice with different terms, believed in neither
    (never the error item in its place read as no refill, no max)."""
    twice = {key: value.said for key, value in item.items() if isinstance(value, Twice)}
    if not twice:
        return [item]
    count = max(len(said) for said in twice.values())
    return [
        {**item, **{key: said[min(i, len(said) - 1)] for key, said in twice.items()}}
        for i in range(count)
    ]


def _flag(value: Any) -> bool:
    """Given a service's flag as listed, return it as :func:`to_bool` reads it;
    NaN and Infinity (JSON a broken or hostile panel may write) say nothing,
    as a flag left out: never a yes (a stale Pending sent ``cancel`` on it)."""
    return not (isinstance(value, float) and not math.isfinite(value)) and to_bool(value)


def _service(item: dict[str, Any]) -> Service:
    return Service(
        service=written_id(item["service"]) or 0,  # parse_services skips the rest
        name=to_text(item.get("name")) or "",
        type=to_text(item.get("type")),
        category=to_text(item.get("category")),
        rate=to_decimal(bare_amount(item.get("rate"))),  # "$0.50", "0.50 USD", "€0,50"
        min=to_int(item.get("min")),
        max=to_int(item.get("max")),
        refill=_flag(item.get("refill")),
        cancel=_flag(item.get("cancel")),
        dripfeed=_flag(item.get("dripfeed")),
        desc=to_text(item.get("desc")),
    )
