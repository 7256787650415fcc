"""A page of a database as `smm-tracker dashboard` serves it: Datasette with
every plugin of the tracker's own (tracker.cli.dashboard.register_plugins),
in this process, through Datasette's own client (no socket)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest


def served(
    db: Path, address: str, params: dict[str, str] | None = None, metadata: Any = None
) -> Any:
    """Return Datasette's answer to ``address`` (under the database's name
    unless it starts with "/") on ``db``, served with ``metadata`` (as
    ``build_metadata`` makes it) if given; skip the test without Datasette."""
    pytest.importorskip("datasette")
    from datasette.app import Datasette
    from datasette.plugins import pm

    from tracker.cli.dashboard import register_plugins

    path = address if address.startswith("/") else f"/{db.stem}/{address}"
    added = register_plugins()
    try:
        app = Datasette([str(db)], metadata=metadata)
        return asyncio.run(app.client.get(path, params=params))
    finally:
        for plugin in added:
            pm.unregister(plugin)


def page(db: Path, address: str, params: dict[str, str] | None = None, metadata: Any = None) -> str:
    """The text of a page that must answer 200 (:func:`served`)."""
    answer = served(db, address, params, metadata)
    assert answer.status_code == 200, answer.text[-3000:]
    return str(answer.text)
