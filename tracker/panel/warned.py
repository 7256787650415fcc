"""What one panel's client has logged once (:meth:`Interpreting.tell_quirk`,
status spellings, a panel answering part of each call), its memory flat over a daemon's long life.

A key of a kind (``notices``, ``absurd:status:remains``) is kept for the
process: there are few. A key of one order (``remains_odd:5``,
``charge_negative:5``, ``charge_twice:5:0.90|1.20``) or of values the panel
wrote (``currency_twice:USD|EUR``) is kept among the last
:data:`MAX_ORDER_KEYS` only, the oldest forgotten. Once one was forgotten,
an order's quirk not kept may be one told before: it is told at debug, after
one ``order_quirks_many`` warning, so no order's quirk is warned of twice.
Not thread-safe: the client holds its ``_warn_lock`` around it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

# Per panel and process: a daemon meeting a quirk on every order keeps this
# many of their keys (about 100 bytes each), not one per order for ever.
MAX_ORDER_KEYS = 4096
# The keys of one order or of values a panel wrote, by their start.
PER_ORDER = (
    "remains_odd:",
    "remains_unread:",
    "charge_negative:",
    "charge_twice:",
    "currency_twice:",
)
# Kept once an order's key was forgotten (a kind key: a reload's client takes it over).
MANY = "order_quirks_many"


class WarnedKeys:
    """The keys logged once (see the module): ``in``, ``add``, ``update``,
    ``|=`` and iteration, as the set they replace."""

    def __init__(self) -> None:
        self._kinds: set[str] = set()
        self._orders: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and key in self._orders:
            self._orders.move_to_end(key)  # an order still seen is kept
            return True
        return key in self._kinds

    def __iter__(self) -> Iterator[str]:
        yield from self._kinds
        yield from self._orders

    def __len__(self) -> int:
        return len(self._kinds) + len(self._orders)

    @property
    def forgetting(self) -> bool:
        """Whether an order's key was forgotten in this process (or the one taken over)."""
        return MANY in self._kinds

    def add(self, key: str) -> None:
        if not key.startswith(PER_ORDER):
            self._kinds.add(key)
            return
        self._orders[key] = None
        self._orders.move_to_end(key)
        if len(self._orders) > MAX_ORDER_KEYS:
            self._orders.popitem(last=False)
            self._kinds.add(MANY)

    def take(self, key: str) -> tuple[bool, bool] | None:
        """Keep ``key``; return None when it was kept already (told), else
        whether to tell it at debug (an order's, maybe one forgotten) and
        whether it made the first order's key forgotten (``MANY`` to tell)."""
        if key in self:
            return None
        was = self.forgetting
        self.add(key)
        return was and key.startswith(PER_ORDER), self.forgetting and not was

    def update(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.add(key)

    def __ior__(self, keys: Iterable[str]) -> WarnedKeys:
        self.update(keys)
        return self
