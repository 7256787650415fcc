"""The database a command writes to, or reads before it writes, opened for
the command's run (:func:`open_store`): closed when it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tracker.errors import StoreError

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.store.orders import Store


def open_store(config: Config, *, read_only: bool = False, existing: bool = False) -> Store:
    """Open the database; ``read_only`` for commands that only look (they work
    on read-only media and never create a file), ``existing`` for writes that
    mean nothing without one (untrack): neither creates it."""
    from tracker.store.orders import Store

    path = config.database.path
    if existing and str(path) != ":memory:" and not path.exists():
        raise StoreError.no_database(path)
    from tracker.cli.database import no_daemon_behind

    store = Store(
        path,
        busy_timeout=config.database.busy_timeout,
        read_only=read_only,
        before_migrating=no_daemon_behind(path),
    )
    # Closed when the command ends (the WAL checkpointed and removed), not left
    # to the garbage collector: click's test runner runs many commands in one process.
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(store.close)
    return store
