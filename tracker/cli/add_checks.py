"""``add``'s checks before anything is sent: the flags' own formats (a
control character in ``--link``: exit 2, nothing to override), what the
synced catalogue makes a certain refusal (a missing ``--link`` or
``--comments``, a quantity outside its range: exit 2 unless ``--force``),
then the options the synced catalogue says the service does not
take (drip-feed on a service whose ``dripfeed`` flag is off, a type's field
its type does not take: exit 2 unless ``--force``, a catalogue may be stale
or wrong). Nothing is stored for a refused add, its key left unclaimed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tracker.cli.main import EXIT_USAGE, fail

if TYPE_CHECKING:
    from tracker.panel.order_fields import ServiceFacts
    from tracker.store.orders import Store

_BOUND = r"(?:min|max)(?:imum|imal)?"
# A panel's refusal of a quantity outside the service's range, in the words
# panels use: "neworder.error.min_quantity", "Quantity less than minimal
# 100", "Minimum quantity for this service is 50", "Quantity must be between
# 100 and 5000"; never "Not enough funds" nor "Incorrect service ID".
QUANTITY_BOUND = re.compile(
    rf"{_BOUND}[\s_.-]*(?:order[\s_.-]*)?(?:quantity|qty)|"
    rf"\b(?:quantity|qty)\b.{{0,40}}?(?:\b{_BOUND}\b|\b(?:less|more|greater|fewer|lower|"
    r"higher|below|above|between|range|exceeds?|at least|at most)\b|too (?:low|high|small|"
    rf"large|big))|\b{_BOUND}\b.{{0,30}}?\bquantity\b",
    re.IGNORECASE,
)
# A refusal naming the service: "Incorrect service ID", "error.incorrect_service_id".
SERVICE_WORD = re.compile(r"(?<![a-z])service", re.IGNORECASE)


def refuse_before_sending(
    store: Store,
    panel: str,
    service: int,
    link: str | None,
    quantity: int | None,
    drip: bool,
    extra: dict[str, str],
    force: bool,
) -> None:
    """Exit 2 before sending when the flags' formats make the panel's refusal
    certain. Unless ``force``, also when ``service`` as ``panel``'s catalogue
    was last synced makes it certain (a field its type requires missing, a
    quantity outside its range), or says unambiguously that it does not take
    drip-feed (``drip``: --runs and --interval given) or one of the type's
    fields of ``extra`` (not said of a service listed twice with different
    terms now). A service not synced is judged by the flags' formats alone."""
    from tracker.panel.order_fields import order_problems, untaken
    from tracker.store.catalogue import stated_terms

    row = stated_terms(store, panel, service)
    facts = _facts(service, row)
    problems = order_problems(link, quantity, extra, None)  # the flags' own formats
    if problems:
        fail("; ".join(problems) + " (nothing sent)", EXIT_USAGE)
    if force or row is None:  # the catalogue's word overridden, or none
        return
    problems = order_problems(link, quantity, extra, facts)  # its type, its range
    if problems:  # as last synced: a stale or wrong catalogue must not block for good
        fail("; ".join(problems) + "; add --force sends it anyway (nothing sent)", EXIT_USAGE)
    if row["twice"]:
        return
    if found := untaken(drip, extra, facts):
        fail(
            f"service {service} takes {' and '.join(found)} as {panel}'s catalogue was last "
            f"synced ({row['updated_at']}): smm-tracker services --refresh updates it; "
            "add --force sends them anyway (nothing sent)",
            EXIT_USAGE,
        )


def _facts(service: int, row: dict[str, Any] | None) -> ServiceFacts | None:
    """Given a service's stored terms (:func:`tracker.store.catalogue.stated_terms`),
    return what add's checks read of them; None when it was never synced."""
    from tracker.panel.order_fields import ServiceFacts

    if row is None:
        return None
    dripfeed = bool(row["dripfeed"]) if row["dripfeed_listed"] else None
    return ServiceFacts(service, row["type"], row["min"], row["max"], dripfeed)


def catalogue_hint(store: Store, panel: str, service: int, refusal: str) -> str | None:
    """Given ``panel``'s refusal of an order of ``service``, return what the
    synced catalogue tells of it: no service of ``panel`` ever synced, a
    refusal reading as the quantity's range, what makes ``add`` check it
    before sending; one reading as the service's, ``service`` not among
    those synced, where they are listed. None otherwise."""
    from tracker.errors import StoreError
    from tracker.store.refills import has_services, service_row

    bound = QUANTITY_BOUND.search(refusal) is not None
    if not bound and SERVICE_WORD.search(refusal) is None:
        return None
    try:
        synced = has_services(store, panel)
        listed = synced and service_row(store, panel, service) is not None
    except StoreError:  # a hint unread is no failure: the refusal is said all the same
        return None
    if bound and not synced:
        return (
            f"no service of {panel} synced yet: smm-tracker services --refresh lists each "
            "service's minimum and maximum, which add then checks before sending"
        )
    if bound or listed:
        return None
    if not synced:
        return f"smm-tracker services --refresh lists {panel}'s services and their IDs"
    return (
        f"service {service} is not among {panel}'s services as last synced (smm-tracker "
        "services lists them, --refresh updates them)"
    )
