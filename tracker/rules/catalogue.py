"""What a panel's ``services`` answer says of each service, when it lists one twice.

Pure. A service listed more than once with the same terms is one listing (the
first one's name, category and description are kept: panels list a service
under two categories). Listed with different terms (the ones the tracker acts
on: TERMS), it is ambiguous: neither listing is believed, in either
direction. The store then keeps the terms it already had for that service,
or none (an unknown service, as before the panel listed it), and the
``service_ambiguous`` alert says which services and what differed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from tracker.panel.models import Service
from tracker.panel.values import short
from tracker.rules.episodes import Alert

SERVICE_AMBIGUOUS = "service_ambiguous"
# What the tracker acts on: refill requests, automatic cancels, `add`'s
# checks, re-order amounts and their cost. Names and descriptions are words.
TERMS = ("refill", "cancel", "min", "max", "rate", "type", "dripfeed")
_VALUES = 4  # distinct values kept per term: a panel may list one service 10,000 times
_SHOWN = 5  # services named in an alert's message
_IN_DATA = 100  # services in an alert's data


class Ambiguous(NamedTuple):
    """A service listed more than once with different terms: how many times,
    and each differing term's values in the order listed (as text)."""

    service: int
    listings: int
    differences: dict[str, list[str]]


def _spelled(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return short(value, 40)


def sort_catalogue(listed: Iterable[Service]) -> tuple[list[Service], list[Ambiguous]]:
    """Given a panel's services as listed, return (the services listed
    unambiguously, once each, in listing order; the ambiguous ones, by ID)."""
    by_id: dict[int, list[Service]] = {}
    for service in listed:
        by_id.setdefault(service.service, []).append(service)
    clear, ambiguous = [], []
    for service_id, listings in by_id.items():
        differences = _differences(listings)
        if differences:
            ambiguous.append(Ambiguous(service_id, len(listings), differences))
        else:
            clear.append(listings[0])
    return clear, sorted(ambiguous, key=lambda a: a.service)


def _differences(listings: Sequence[Service]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for term in TERMS:
        values: list[Any] = []
        for listing in listings:
            value = getattr(listing, term)
            if value not in values:  # Decimal("0.9") == Decimal("0.90"): one rate
                values.append(value)
                if len(values) > _VALUES:  # enough to say "…": never n² comparisons
                    break
        if len(values) > 1:
            shown = [_spelled(v) for v in values[:_VALUES]]
            found[term] = shown + (["…"] if len(values) > _VALUES else [])
    return found


def describe(differences: dict[str, list[str]]) -> str:
    """Given an ambiguous service's differences, return them as one phrase:
    ``refill yes/no, max 1000/5000``."""
    return ", ".join(f"{term} {'/'.join(values)}" for term, values in differences.items())


def what_is_kept(stored_at: str | None) -> str:
    """Given when the terms still stored for an ambiguous service were synced
    (None: none are), return what the tracker goes by, in words."""
    if stored_at:
        return f"kept the terms synced {stored_at}"
    return (
        "not stored: an unknown service to the tracker (refill.unknown_service decides "
        "refill requests; `add` sends it unchecked)"
    )


def ambiguous_alert(panel: str, found: Sequence[Ambiguous]) -> Alert:
    """Given a panel's newly ambiguous services, return the one alert about them."""
    shown = "; ".join(f"service {a.service} ({describe(a.differences)})" for a in found[:_SHOWN])
    more = f"; and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    message = (
        f"{panel}: the services list names {shown}{more} more than once with different "
        f"terms; neither listing is trusted: the terms known before are kept (none: "
        f"unknown service); `smm-tracker services` shows them"
    )
    data = {
        "count": len(found),
        "services": [
            {"service": a.service, "listings": a.listings, "differences": a.differences}
            for a in found[:_IN_DATA]
        ],
    }
    return Alert(SERVICE_AMBIGUOUS, message, panel=panel, data=data)
