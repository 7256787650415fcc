"""What is stored of a panel's script told to its client, so every process
starts from it (``panel_capabilities``).

A client holds for the process that the panel has no ``balance`` (refusals
are witnessed by ``services``: :meth:`PanelClient.lacks_balance`), told from
the rows that hold at the panel's URL now
(:func:`tracker.store.capabilities.learned_rows`): one learned at another URL
is asked again at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.panel.client import PanelClient
from tracker.rules.capabilities import BALANCE
from tracker.store.capabilities import learned_rows


def tell_client(store: Any, client: PanelClient[Any], now: datetime) -> None:
    """Given a panel's client (a new process's, a reload's), tell it what is
    stored of its panel at its URL: no balance action."""
    for row in learned_rows(store, client.name, client.panel.url):
        if not row["supported"] and row["action"] == BALANCE:
            client.lacks_balance()
