"""What an ``add`` request must carry, by service type: checked before sending.

Pure. API v2 panels take different fields per service type (shared/api-v2.md):
a Default service wants a link and a quantity, Custom Comments the comments,
Subscriptions a username and no link at all. A request missing what its type
requires is certainly refused, so it is refused here, where nothing has been
spent and the message can name the flag. Types this module does not know are
not judged: only the flags' own formats are checked then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tracker.panel.values import said
from tracker.terminal import escape_controls

# Field -> the CLI flag that sets it.
FLAGS = {
    "link": "--link",
    "quantity": "--quantity",
    "comments": "--comments",
    "usernames": "--usernames",
    "hashtag": "--hashtag",
    "hashtags": "--hashtags",
    "username": "--username",
    "media": "--media",
    "answer_number": "--answer-number",
    "keywords": "--keywords",
    "groups": "--groups",
    "min": "--min",
    "max": "--max",
    "posts": "--posts",
    "old_posts": "--old-posts",
    "delay": "--delay",
    "expiry": "--expiry",
}

# Each known type (lower case) and the fields it requires besides ``service``.
REQUIRED: dict[str, tuple[str, ...]] = {
    "default": ("link", "quantity"),
    "package": ("link",),
    "custom comments": ("link", "comments"),
    "custom comments package": ("link", "comments"),
    "mentions": ("link", "quantity", "usernames"),
    "mentions with hashtags": ("link", "quantity", "usernames", "hashtags"),
    "mentions custom list": ("link", "usernames"),
    "mentions hashtag": ("link", "quantity", "hashtag"),
    "mentions user followers": ("link", "quantity", "username"),
    "mentions media likers": ("link", "quantity", "media"),
    "comment likes": ("link", "quantity", "username"),
    "comment replies": ("link", "username", "comments"),
    "poll": ("link", "quantity", "answer_number"),
    "invites from groups": ("link", "quantity", "groups"),
    "seo": ("link", "quantity", "keywords"),
    "subscriptions": ("username", "min", "max"),
}

# Each known type's fields besides those it requires that it takes too: a
# type's field outside both is one its services do not take.
OPTIONAL: dict[str, tuple[str, ...]] = {"subscriptions": ("posts", "old_posts", "delay", "expiry")}

# Fields that must be whole numbers, and the smallest each may be.
_NUMBERS = {"answer_number": 1, "min": 1, "max": 1, "posts": 0, "old_posts": 0, "delay": 0}


@dataclass(frozen=True)
class ServiceFacts:
    """What the synced services table says of one service."""

    service: int
    type: str | None
    min: int | None
    max: int | None
    # Whether it takes drip-feed (--runs, --interval); None: the catalogue
    # does not say so unambiguously (a panel listing no dripfeed flag at all).
    dripfeed: bool | None = None


def order_problems(
    link: str | None,
    quantity: int | None,
    extra: Mapping[str, str],
    facts: ServiceFacts | None,
) -> list[str]:
    """Given an add request (``extra``: the type's fields as sent) and what is
    known of its service (None: not in the synced table), return every problem
    that makes a refusal certain, each naming the flag to fix; [] when none."""
    problems = _link_problems(link) + _format_problems(extra)
    kind = (facts.type or "").strip().lower() if facts else ""
    if facts is None or kind not in REQUIRED:
        return problems
    given = {"link": bool(link and link.strip()), "quantity": quantity is not None}
    given.update({name: bool(value.strip()) for name, value in extra.items()})
    missing = [FLAGS[name] for name in REQUIRED[kind] if not given.get(name)]
    what = f"service {facts.service} is a {facts.type!r} service"
    if missing:
        problems.append(f"{what}: {' and '.join(missing)} required")
    if "quantity" in REQUIRED[kind] and quantity is not None:
        problems.extend(_quantity_problems(quantity, facts, "--quantity"))
    if kind == "custom comments" and given.get("comments"):
        # The panel counts the comments: their number is the quantity.
        count = len([line for line in extra["comments"].splitlines() if line.strip()])
        problems.extend(_quantity_problems(count, facts, "number of --comments"))
    if kind == "subscriptions" and not _format_problems(extra):
        low, high = extra.get("min"), extra.get("max")
        if low and high and int(low) > int(high):
            problems.append(f"--min ({low}) must not be above --max ({high})")
    return problems


def untaken(drip: bool, extra: Mapping[str, str], facts: ServiceFacts | None) -> list[str]:
    """Given whether drip-feed is asked (--runs, --interval), the type's fields
    given and the service as last synced (None: not in the synced table),
    return what it does not take, as "no drip-feed (...)", "no --comments (a
    'Default' service)"; [] when it takes all, or the catalogue does not say
    (a type this module does not know, a dripfeed flag the panel never lists).
    Not certain refusals: a catalogue may be stale or wrong."""
    if facts is None:
        return []
    found = []
    if drip and facts.dripfeed is False:
        found.append("no drip-feed (--runs, --interval: its dripfeed flag is off)")
    kind = (facts.type or "").strip().lower()
    if kind in REQUIRED:
        takes = {*REQUIRED[kind], *OPTIONAL.get(kind, ())}
        flags = [flag for name, flag in FLAGS.items() if name in extra and name not in takes]
        if flags:
            found.append(f"no {' or '.join(flags)} (a {facts.type!r} service)")
    return found


# C0 and C1 controls and DEL: in no URL or username (a line break, a tab, a
# terminal's escape pasted with the link); the bidirectional controls too
# (ALM, LRM, RLM, the embeddings, overrides and isolates: in no IRI, RFC 3987
# 4.1; a link holding one reads as another). The format characters of emoji
# (a zero-width joiner) are not among them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _link_problems(link: str | None) -> list[str]:
    found = _CONTROL.search(link or "")
    if found is None:
        return []
    char = escape_controls(found.group())
    return [f"--link holds a control character ({char} at {found.start() + 1}): no link has one"]


def _quantity_problems(quantity: int, facts: ServiceFacts, what: str) -> list[str]:
    low, high = facts.min, facts.max
    if (low and quantity < low) or (high and quantity > high):
        bounds = f"{low or 1}..{high}" if high else f"at least {low}"
        return [
            f"{what} {quantity} is outside service {facts.service}'s range {bounds} "
            "(as last synced; smm-tracker services --refresh to update)"
        ]
    return []


def _format_problems(extra: Mapping[str, str]) -> list[str]:
    """Problems with the flags' own formats, whatever the service type."""
    problems = []
    expiry = extra.get("expiry")
    if expiry is not None:
        try:
            datetime.strptime(expiry.strip(), "%d/%m/%Y")
        except ValueError:
            problems.append(
                f"--expiry must be a date as d/m/Y, like 31/12/2026 (got {said(expiry)})"
            )
    for name, lowest in _NUMBERS.items():
        value = extra.get(name)
        if value is None:
            continue
        text = value.strip()
        # ASCII digits only, as every number option: "²".isdigit() too, and int() fails on it
        # (as on 4,300 digits and more).
        digits = text.isascii() and text.isdigit()
        if digits and len(text) > 18:
            problems.append(f"{FLAGS[name]} is too large (got {said(value)})")
        elif not digits or int(text) < lowest:
            kind = "a positive whole number" if lowest else "a whole number, 0 or more"
            problems.append(f"{FLAGS[name]} must be {kind} (got {said(value)})")
    return problems


def counted_quantity(quantity: int | None, extra: Mapping[str, str]) -> int | None:
    """Given ``--quantity`` and an order's other fields, return the quantity to
    record: the one given, else the number of comments or usernames (one a
    line), which the panel counts as the quantity of a Custom Comments or
    Mentions Custom List order. None when neither says."""
    if quantity is not None:
        return quantity
    for name in ("comments", "usernames"):
        lines = [line for line in extra.get(name, "").splitlines() if line.strip()]
        if lines:
            return len(lines)
    return None
