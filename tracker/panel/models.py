"""Typed values parsed from panel answers. No I/O, no parsing here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple


class OrderStatus(NamedTuple):
    """One order's status as a panel reported it.

    ``status`` is normalised (see :mod:`tracker.panel.statuses`) or, when unknown,
    the panel's text verbatim; ``raw_status`` is always the panel's text.
    ``error`` is set instead of a status when the panel reported a per-order
    error ("Incorrect order ID").

    A named tuple, not a frozen dataclass: one is made for every order of every
    poll, and a tuple is built in a third of the time, as immutable.
    """

    order_id: int
    status: str | None = None
    raw_status: str | None = None
    known_status: bool = True
    charge: Decimal | None = None
    start_count: int | None = None
    remains: int | None = None
    currency: str | None = None
    runs: int | None = None
    child_orders: tuple[int, ...] = ()
    error: str | None = None
    # A negative charge as the panel sent it ("-1.5"), dropped (``charge`` is
    # then None: the stored one kept): said once per order by the client.
    negative_charge: str | None = None
    # ``charge`` or ``currency`` given twice, differently (json_decoder.Twice):
    # (field, values as given, short), neither believed (``charge`` and
    # ``currency`` None): said once per order and values by the client.
    twice: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A remains no count is read from ("N/A", "4.5", an object), as the panel
    # sent it, short (``remains`` is then None: the stored one kept): said
    # once per order by the client. Never for one left out, null or blank,
    # nor an absurd number (told as ``absurd_number``).
    unread_remains: str | None = None


class Service(NamedTuple):
    service: int
    name: str
    type: str | None = None
    category: str | None = None
    rate: Decimal | None = None
    min: int | None = None
    max: int | None = None
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    desc: str | None = None


class Balance(NamedTuple):
    balance: Decimal
    currency: str | None = None
    # The currencies an answer gave ``currency`` as, when it gave it twice,
    # differently (``"currency": "USD", "currency": "EUR"``): ``currency`` is
    # then None, neither believed, as any key given twice (json_decoder.Twice).
    currencies: tuple[str, ...] = ()


class RefillRequest(NamedTuple):
    """The answer to one order's refill request: an ID, or the panel's refusal."""

    order_id: int
    refill_id: str | None = None
    error: str | None = None
    # True when the panel took the request but named no usable refill ID: a
    # refill may exist all the same (``error`` says what came instead).
    unknown: bool = False
    # The HTTP code of the answer when not 200, as data (a refusal's words
    # name it too: "HTTP 403: ..."); None for a 200.
    status: int | None = None


class RefillStatus(NamedTuple):
    refill_id: str
    status: str | None = None
    raw_status: str | None = None
    known_status: bool = True
    error: str | None = None


# One order's cancel as the ``cancels`` table keeps it (the `cancel` command's
# and the automation's alike).
CANCEL_ACCEPTED, CANCEL_REFUSED, CANCEL_UNKNOWN = "Accepted", "Refused", "Unknown"


class CancelResult(NamedTuple):
    order_id: int
    ok: bool
    error: str | None = None
    unknown: bool = False  # neither yes nor no: it may have been canceled


class CancelAnswer(NamedTuple):
    """A multi ``cancel`` answer: a result per asked order it names, and what it
    named beside them (keys or items of orders not asked), shown short."""

    results: list[CancelResult]
    ignored: list[str]


class PlacedId(int):
    """The ID of an order ``add`` placed, as an ``int``, with the panel's words
    beside it that read as a refusal (``{"order": 77, "message": "Not enough
    funds"}``) in ``also_said``: the order is tracked, never said a plain
    "placed" (None: no such words)."""

    also_said: str | None = None


@dataclass(frozen=True)
class NewOrder:
    """What ``add`` sends. ``extra`` holds the service-type fields (comments, ...)."""

    service: int
    link: str | None
    quantity: int | None = None
    runs: int | None = None
    interval: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def form(self) -> dict[str, str]:
        """Return the form fields for the ``add`` action (without key/action)."""
        data: dict[str, str] = {"service": str(self.service)}
        if self.link is not None:
            data["link"] = self.link
        if self.quantity is not None:
            data["quantity"] = str(self.quantity)
        if self.runs is not None:
            data["runs"] = str(self.runs)
        if self.interval is not None:
            data["interval"] = str(self.interval)
        data.update(self.extra)
        return data
