"""What a panel's words about a refill mean: an error about the refill asked
for or the order it was asked for, and a refusal saying the order's earlier
refill still runs.

Pure functions over a panel's error text, as :mod:`tracker.panel.refusals`.
"""

from __future__ import annotations

import re
from functools import cache

from tracker.panel.refusals import is_busy
from tracker.panel.values import compatible

# Words about the refill asked for, or the order a refill was asked for: the
# panel's refusal of it ("Refill not found", "Order not eligible for refill."),
# never of the key, so no other action need be asked what they mean.
_NAMES_REFILL = re.compile(r"\brefill", re.IGNORECASE)
_NAMES_ORDER = re.compile(r"\b(?:refill|order|eligible)", re.IGNORECASE)


# Words refusing a refill request because the order's earlier refill still
# runs ("The refill task is not completed for this order", "A refill is
# already in progress", "You already have a pending refill request"): about a
# refill (its task or request; a task alone may be any), never the order
# ("Order is not completed", "Cannot refill while the order is in progress":
# the order is not eligible), and no
# negation before the running words ("Refill not active for this service").
# Not "Refill already requested" (the cooldown, as often as a running refill):
# unknown, as today.
_RUNNING_WORDS = (
    r"(?:not\s+(?:yet\s+)?(?:been\s+)?(?:completed?|finished|done|over)|in\s+progress|"
    r"in\s+process|in\s+(?:the\s+)?queue|pending|running|processing|active|ongoing|queued|"
    r"being\s+processed|under\s+process(?:ing)?)"
)
# What follows "refill" when the words are about its cooldown or terms, not a
# refill under way ("Refill cooldown still active", "Refill time not over",
# "Refill guarantee still active but no drop detected"), and words putting a
# condition on something else ("Cannot refill while processing").
_NOT_A_RUNNING_REFILL = (
    r"(?!\s+(?:cool-?down|period|time|timer|window|guarantee|button|limit|interval|delay|"
    r"option|feature|service)s?\b)"
)
_CONDITION = r"while|during|when|if|until|till|after|before|unless|only|unavailable|disabled"
_REFILL_RUNNING = (
    r"\brefills?\b" + _NOT_A_RUNNING_REFILL + r"(?:\s+(?:requests?|tasks?))?"
    r"(?:\s+for\s+(?:this|the|that)\s+orders?)?"
    r"(?:\s+(?!(?:not|no|never|orders?|" + _CONDITION + r")\b)\w+){0,2}?"
    r"\s+(?:(?:is|are|has|have|was|were)\s+)?(?:(?:still|already|yet|currently)\s+)?"
    + _RUNNING_WORDS
    + r"\b|"
    r"\b(?:already|still|have|has|is|there\s+is)\s+(?:already\s+)?(?:an?\s+|one\s+)?"
    r"(?:pending|active|running|ongoing|unfinished|incomplete|uncompleted|open)\s+refill|"
    # "Wait until the previous refill is completed": a refill named as the
    # one under way, or waited for to end; not "wait for the refill cooldown".
    r"\bwait\s+(?:for|until|till)\s+(?:the\s+|your\s+)?"
    r"(?:(?:current|previous|last|pending|active|running|ongoing|earlier)\s+refill\b|"
    r"refill\s+(?:requests?\s+)?(?:to\s+(?:be\s+)?(?:complete|finish|end)|"
    r"(?:is|has\s+been)\s+(?:completed|finished|done)))"
)


@cache
def _refill_running() -> re.Pattern[str]:
    """The pattern above, compiled at its first use (2 ms: a refusal of a
    refill request; not at the start of every command that imports this)."""
    return re.compile(_REFILL_RUNNING, re.IGNORECASE)


def says_refill_running(message: str | None) -> bool:
    """Return True when ``message``, a panel's refusal of a refill request,
    says the order's earlier refill still runs ("The refill task is not
    completed for this order"): no refusal of the order, a refill under way."""
    return bool(message) and _refill_running().search(compatible(message or "")) is not None


def names_refill(message: str) -> bool:
    """Return True when ``message``, a whole-answer error to ``refill_status``
    for one refill, is about a refill ("Refill not found", "Incorrect refill ID")."""
    return _NAMES_REFILL.search(compatible(message)) is not None


def names_order(message: str) -> bool:
    """Return True when ``message``, a whole-answer error to ``refill`` for one
    order, is about the order or its refill, or says the panel is busy."""
    return _NAMES_ORDER.search(compatible(message)) is not None or is_busy(message)
