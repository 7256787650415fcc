"""A count and its noun as a person reads it: "1 order", "2 orders", "0 orders".

Shared by the commands' and the daemon's count phrases, so that none says
"placed 1 orders" (``demo --orders 1``) or "1 open orders".
"""

from __future__ import annotations


def counted(count: int, noun: str, plural: str = "") -> str:
    """Given a count and its noun in the singular, return both as one phrase:
    the noun as given for exactly 1, else ``plural`` (default: the noun and
    an "s"). The words before the noun's last may come with it ("open order")."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
