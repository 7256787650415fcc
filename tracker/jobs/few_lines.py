"""A poll's per-order log lines, the first few by name, the rest counted.

A panel ending, re-pricing or re-opening many orders at once (20 stale
Pending orders the automation canceled, 1,000 refunds in one go) wrote a line
per order, and the journal scrolled the lines that matter away. Per poll and
panel, the first LOGGED lines of an event go at its level, each naming its
order; any more go at debug (still there for ``--log-level debug``), and
when the poll ends one ``<event>_many`` line (or the name given) at the same
level counts them:
``orders`` (those past the first LOGGED), ``first`` (the first LISTED of
those), ``more`` when some are named in neither ("12 more at --log-level
debug": where they are), and the poll's whole count under the name given
(``changed``...).

:func:`tell_named`: one line of a pass naming what came of each order, the
first LISTED by name, all counted, the rest at debug.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

LOGGED = 10  # lines of an event a poll writes at its level, by name
LISTED = 20  # order IDs a ``*_many`` line names


class FewLines:
    """Given a logger's level method (``log.info``), an event, a panel's name
    and the name of the poll's whole count in the closing line (``many``: its
    event, ``<event>_many`` by default), log a poll's lines of that event:
    :meth:`tell` each, :meth:`finish` once it ends."""

    def __init__(
        self,
        level: Callable[..., Any],
        debug: Callable[..., Any],
        event: str,
        panel: str,
        total: str,
        many: str | None = None,
    ):
        self.level, self.debug, self.event = level, debug, event
        self.panel, self.total, self.many = panel, total, many or f"{event}_many"
        self.orders: list[int] = []  # every order told, this poll

    def tell(self, order: int, **fields: Any) -> None:
        """Log one order's line: at the level for the first LOGGED, else at debug."""
        self.orders.append(order)
        told = self.level if len(self.orders) <= LOGGED else self.debug
        told(self.event, panel=self.panel, order=order, **fields)

    def finish(self) -> None:
        """Once the poll ends: those past the first LOGGED counted in one line."""
        if rest := self.orders[LOGGED:]:
            unnamed = len(rest) - LISTED  # named nowhere but in their debug lines
            more = {"more": f"{unnamed} more at --log-level debug"} if unnamed > 0 else {}
            self.level(
                self.many,
                panel=self.panel,
                orders=len(rest),
                first=rest[:LISTED],
                **more,
                **{self.total: len(self.orders)},
            )
        self.orders = []


def tell_named(
    level: Callable[..., Any],
    debug: Callable[..., Any],
    event: str,
    panel: str,
    named: Mapping[int, str],
    **fields: Any,
) -> None:
    """Given a logger's level and debug methods, an event, a panel's name and
    what came of each order (order ID -> words), log one line at the level:
    ``orders`` (how many), ``first`` (the first LISTED, by order ID) and
    ``fields``, with ``more`` when there are more, all of them then in one
    line at debug (``rest``)."""
    said = [(str(order), words) for order, words in named.items()]
    rest = said[LISTED:]
    more = {"more": f"{len(rest)} more at --log-level debug"} if rest else {}
    level(event, panel=panel, orders=len(said), first=dict(said[:LISTED]), **more, **fields)
    if rest:
        debug(event, panel=panel, rest=dict(rest))
