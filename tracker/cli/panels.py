"""Which panel a command means: one in the config, or one the database still
holds orders of after it left the config (removed, or renamed).

Reading those orders, and untracking them, needs no panel: only the commands
that call a panel need it configured.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Collection, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any, NoReturn

import click

from tracker.cli import pruned
from tracker.cli.main import EXIT_USAGE, fail
from tracker.cli.render import safe_text
from tracker.cli.store_open import open_store
from tracker.config.model import Config
from tracker.errors import ConfigError, PanelChoiceError, StoreError
from tracker.panel.values import said
from tracker.store.orders import Store
from tracker.store.readings import panels_holding, panels_in_database, panels_with_balances


def stored_panel(
    config: Config, name: str | None, store: Callable[[], Store], *, balances: bool = False
) -> str:
    """Given ``--panel`` (None: the one configured panel) and a way to open the
    database, return the panel's name: configured, or with orders in the
    database (``balances``, a read command: or balances, a panel no order was
    tracked on yet, as :func:`panel_names` lists it). Raise the config's
    ConfigError when it is neither."""
    try:
        return config.panel(name).name
    except ConfigError:
        path = config.database.path
        if name is None or (str(path) != ":memory:" and not path.exists()):
            raise
        known = panels_in_database(store())
        checked = panels_with_balances(store()) if balances else []
        if name in known or name in checked:
            return name
        if config.panels:
            beside(config, name, path, [*known, *checked])
            raise
        unknown_panel(path, name, known, checked)  # --database with no config: its panels are all


def beside(config: Config, name: str, path: object, held: Collection[str]) -> None:
    """Given a ``--panel`` name neither configured nor in the database, and
    the panels the database holds, raise the config's refusal naming those
    of them the option takes beside the configured ones: "configured: main"
    alone hid a panel left out of the config, or a kept file's own."""
    configured = [p.name for p in config.panels]
    if others := sorted(set(held) - set(configured)):
        also = ", ".join(safe_text(other) for other in others)
        raise PanelChoiceError(
            [
                f"no panel named {said(name)} (configured: {', '.join(configured)}; "
                f"also in {path}: {also})"
            ]
        )


def unknown_panel(
    path: object, name: str, known: Sequence[str], checked: Collection[str] = ()
) -> NoReturn:
    """With no config to know the panels by (``--database``), a panel with no
    order in the database is a typo: exit 2 naming those it holds orders of
    (and, ``checked``, the others it holds balances of)."""
    held = f"its orders are on: {', '.join(known)}" if known else "it holds no orders"
    if others := sorted(set(checked) - set(known)):
        held += f"; balances of: {', '.join(others)}"
    fail(f"--panel: no panel named {said(name)} in {path} ({held})", EXIT_USAGE)


def panel_names(config: Config, store: Store, *, named: bool = False) -> list[str]:
    """Given the config and the database, return the panels a read command lists:
    the configured ones, then, for a file named by ``--database`` (``named``) or
    with no config, the database's others: a copy from another machine holds
    panels this config does not know."""
    configured = [p.name for p in config.panels]
    if configured and not named:
        return configured
    held = {*panels_in_database(store), *panels_with_balances(store)}  # no order yet: its balance
    return configured + sorted(held - set(configured))


def read_panel(config: Config, name: str | None) -> tuple[str | None, Store]:
    """Given ``--panel`` of a read command (None: every panel), return the panel's
    name and the database opened read-only."""
    opened = cache(partial(open_store, config, read_only=True))
    return (stored_panel(config, name, opened, balances=True) if name else None), opened()


def shown_ids(ids: Sequence[int]) -> str:
    """Given order IDs, return them for a message: the first 10, then how many more."""
    more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
    return ", ".join(map(str, ids[:10])) + more


def orders_are(ids: Sequence[int]) -> str:
    """Given order IDs, return "order 5 is" or "orders 5, 6 are" for a message."""
    return f"orders {shown_ids(ids)} are" if ids[1:] else f"order {ids[0]} is"


def panel_holding(
    store: Store, order_ids: Sequence[int], names: Collection[str] | None = None
) -> tuple[str | None, list[int]]:
    """Given order IDs and the panels they may be on (None: any panel in the
    database, configured or not), return the one panel holding them (None when
    none is held) and the IDs none of those panels holds. Exit 2 naming the IDs
    several of those panels hold, or the panels when the IDs are on different
    ones: an order ID means something only on its panel."""
    held = {
        oid: [name for name in panels if names is None or name in names]
        for oid, panels in panels_holding(store, order_ids).items()
    }
    held = {oid: panels for oid, panels in held.items() if panels}
    if several := sorted(oid for oid, panels in held.items() if len(panels) > 1):
        named = ", ".join(sorted({name for oid in several for name in held[oid]}))
        fail(
            f"{orders_are(several)} tracked on several panels ({named}): pass --panel NAME",
            EXIT_USAGE,
        )
    by_panel: dict[str, list[int]] = {}
    for oid, (name,) in sorted(held.items()):
        by_panel.setdefault(name, []).append(oid)
    if len(by_panel) > 1:
        shown = "; ".join(f"{name}: {shown_ids(ids)}" for name, ids in sorted(by_panel.items()))
        fail(f"the orders are on different panels ({shown}): one panel's at a time", EXIT_USAGE)
    unheld = [oid for oid in dict.fromkeys(order_ids) if oid not in held]
    return next(iter(by_panel), None), unheld


def note_held_elsewhere(
    held: dict[int, list[str]], chosen: str, configured: Collection[str], what: str
) -> None:
    """Given the panels holding each order ID (:func:`panels_holding`), the
    panel a command picked for them without ``--panel`` and the configured
    panels' names, say on stderr which IDs are also orders on a panel not in
    the config (removed, or renamed): the command goes to ``chosen``'s, and
    nothing else names the panel when no question is asked (``--yes``, a
    script)."""
    also = {
        oid: [name for name in panels if name != chosen and name not in configured]
        for oid, panels in held.items()
        if chosen in panels
    }
    also = {oid: names for oid, names in also.items() if names}
    if not also:
        return
    ids = sorted(also)
    names = sorted({name for oid in ids for name in also[oid]})
    verb = "which are" if names[1:] else "which is"
    line = (
        f"note: {orders_are(ids)} also tracked on {', '.join(names)}, {verb} not in the "
        f"config: the {what} goes to {chosen}'s (pass --panel NAME to choose)"
    )
    click.echo(safe_text(line), err=True)


def stored_order(
    config: Config,
    panel: str | None,
    order_id: int,
    named: Path | None = None,
    unheld: Callable[[Store], None] | None = None,
) -> tuple[Store, dict[str, Any]]:
    """Given ``--panel`` (None: any), an order ID and the file ``--database``
    named (None: the config's), return the database opened read-only and the
    order's row, on whichever panel holds it, configured or not. Exit 1 when
    no panel does, 2 when several do and none was named; ``unheld``, given
    the database, may exit first, saying more of an order no panel holds."""
    name, store = read_panel(config, panel)
    held, _ = panel_holding(store, [order_id], None if name is None else [name])
    row = store.order(held, order_id) if held is not None else None
    if row is None:
        if unheld is not None:
            unheld(store)
        untracked(config, store, order_id, panel, named)
    return store, row


def held_or_untracked(
    config: Config,
    store: Store,
    order_id: int,
    panel: str | None,
    named: Path | None,
    none: str,
    unheld: Callable[[Store], None] | None = None,
) -> None:
    """Exit 1 as :func:`untracked` unless the database holds ``order_id`` on
    ``panel`` (None: on any), tracked or untracked; ``unheld``, given the
    database, may exit first, as :func:`stored_order`'s."""
    held = panels_holding(store, [order_id]).get(order_id, [])
    if not held or (panel is not None and panel not in held):
        if unheld is not None:
            unheld(store)
        untracked(config, store, order_id, panel, named, none)


def untracked(
    config: Config,
    store: Store,
    order_id: int,
    panel: str | None,
    named: Path | None = None,
    none: str = "no history",
) -> NoReturn:
    """Exit 1: the database (the file ``--database`` named, if any) holds no
    ``order_id`` on ``panel`` (None: on any); ``none``: what the command
    therefore has nothing of ("no history", "no refill requests")."""
    _pruned(store, order_id, panel, none)
    # A prune of the panel (of any, without --panel) that deleted orders: maybe one.
    gone = pruned.gone(store, panel)
    if named is not None:  # a copy: `track` would act elsewhere
        fail(f"order {order_id} is not in {named}" + (f" on {panel}" if panel else "") + gone)
    on, flag = (f" on {panel}", f" --panel {shlex.quote(panel)}") if panel else ("", "")
    names = ""
    if not panel and len(config.panels) > 1:  # track refuses to guess the panel
        flag, names = " --panel NAME", f"; {name_is_one_of(config)}"
    fail(
        f"order {order_id} is not tracked{on}{gone}: {none} "
        f"(smm-tracker track{flag} {order_id} records it from now on{names})"
    )


def name_is_one_of(config: Config) -> str:
    """Return what NAME may be in a step said as ``--panel NAME``: the
    configured panels, "NAME: main, spare or rub" (quoted for the shell)."""
    quoted = [shlex.quote(p.name) for p in config.panels]
    listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    return f"NAME: {listed}"


def _pruned(store: Store, order_id: int, panel: str | None, none: str) -> None:
    """Exit 1 saying so when the file no longer holds ``order_id`` but keeps
    the ``add --idempotency-key`` it was placed under: ``prune`` deleted it
    (its only trace; another order gone is told as one never tracked)."""
    from tracker.store.pruned import keys_of_removed

    try:
        keys = keys_of_removed(store, order_id, panel)
    except StoreError:  # a file older than the keys (m034), read as it is
        return
    if keys:
        key = keys[0]
        fail(
            safe_text(
                f"order {order_id} is not in the database any more: placed on "
                f"{key['panel']} by add under idempotency key {key['idempotency_key']} "
                f"at {key['at']}, then deleted by `smm-tracker prune`; {none}"
            )
        )
