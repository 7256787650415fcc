"""What a panel's words saying something does not exist mean: the order or
refill asked about not found ("Order not found", "Incorrect order ID"), and
the hint when every order asked is so refused.

Pure functions over a panel's error text, as :mod:`tracker.panel.refusals`.
"""

from __future__ import annotations

import re
from functools import cache

from tracker.panel.refusals import is_key_refusal
from tracker.panel.statuses import names_order_status
from tracker.panel.values import compatible

# Words saying a refill or an order does not exist ("Refill not found",
# "Incorrect order ID"): where its status goes, the panel's error about it,
# not a status.
_NOT_FOUND = (
    r"\bnot (?:be )?found\b|\b(?:does|do)(?:n['’]?t| not) exist|\bno such\b|"
    r"\bincorrect\b|\binvalid\b|\bwrong\b"
)
# "No order found" too, for an order only: a refill's "No drops found" may
# be its outcome, not that it does not exist.
_NO_ORDER_FOUND = r"\bno\s+orders?\s+(?:(?:was|were)\s+)?found\b"
# Who a not-found message is about, for it to be the order asked about: the
# order ("Order not found", "Incorrect order ID"), or nobody named besides
# an ID ("Not found", "Invalid ID"); never a link, user or post (the reason
# an order failed: "Invalid link", "User not found").
_THE_ORDER = r"\borders?\b"
_NOBODY_ELSE = r"[\W_]*(?:ids?\b[\W_]*)?"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """Those above, compiled at their first use: a usual poll meets no error words."""
    return re.compile(pattern, re.IGNORECASE)


def says_not_found(message: str) -> bool:
    """Return True when ``message`` says that what was asked about does not
    exist, in full-width letters too (:func:`values.compatible`)."""
    return _compiled(_NOT_FOUND).search(compatible(message)) is not None


def says_order_not_found(message: str) -> bool:
    """Return True when ``message``, an order's status the tracker does not
    know, says that the order does not exist ("Order not found", "Incorrect
    order ID", "No order found"): the panel's error about the order in words.

    A known status word in it ("Canceled: invalid link") makes it a status
    with a reason; key refusals and words about anything but the order or an
    ID ("Link not found") are not about the order either.
    """
    message = compatible(message)
    said = says_not_found(message) or _compiled(_NO_ORDER_FOUND).search(message) is not None
    if not said or names_order_status(message) or is_key_refusal(message):
        return False
    if _compiled(_THE_ORDER).search(message) is not None:
        return True
    return _compiled(_NOBODY_ELSE).fullmatch(_compiled(_NOT_FOUND).sub(" ", message)) is not None


# Every order a panel is asked about "not found", while it answers none with a
# status: the orders are another account's or another panel's to it.
NOT_FOUND_HINT = " (is the key another account's, or the url another panel's?)"


def not_found_hint(message: str) -> str:
    """Given the words refusing every order asked, return NOT_FOUND_HINT when
    they say the order does not exist, else ""."""
    return NOT_FOUND_HINT if says_order_not_found(message) else ""
