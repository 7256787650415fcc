"""Which panel a command means: one in the config, or one the database still
holds orders of after it left the config (removed, or renamed).

Reading those orders, and untracking them, needs no panel: only the commands
that call a panel need it configured.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from tracker.cli.main import EXIT_USAGE, fail, open_store
from tracker.config.model import Config
from tracker.errors import ConfigError
from tracker.store.orders import Store
from tracker.store.readings import orders_with_id, panels_in_database


def stored_panel(config: Config, name: str | None, store: Callable[[], Store]) -> str:
    """Given ``--panel`` (None: the one configured panel) and a way to open the
    database, return the panel's name: configured, or with orders in the
    database. Raise the config's ConfigError when it is neither."""
    try:
        return config.panel(name).name
    except ConfigError:
        path = config.database.path
        if name is None or (str(path) != ":memory:" and not path.exists()):
            raise
        if name in panels_in_database(store()):
            return name
        raise


def read_panel(config: Config, name: str | None) -> tuple[str | None, Store]:
    """Given ``--panel`` of a read command (None: every panel), return the panel's
    name and the database opened read-only."""
    opened = cache(partial(open_store, config, read_only=True))
    return (stored_panel(config, name, opened) if name else None), opened()


def stored_order(config: Config, panel: str | None, order_id: int) -> tuple[Store, dict[str, Any]]:
    """Given ``--panel`` (None: any) and an order ID, return the database opened
    read-only and the order's row, on whichever panel holds it, configured or
    not. Exit 1 when no panel does, 2 when several do and none was named."""
    name, store = read_panel(config, panel)
    found = [row for row in orders_with_id(store, order_id) if name in (None, row["panel"])]
    if not found:
        fail(f"order {order_id} is not tracked" + (f" on {panel}" if panel else ""))
    if len(found) > 1:
        panels = ", ".join(row["panel"] for row in found)
        fail(
            f"order {order_id} is tracked on several panels ({panels}): pass --panel NAME",
            EXIT_USAGE,
        )
    return store, found[0]
