"""Nothing a reload (SIGHUP) retires stays in memory: config management that
reloads the daemon every few minutes for months must not grow it per reload.

Soak (reloads every 2 s): each reload kept the retired generation's alerter,
webhook queue and its HTTP client, store and reachability alive, ~32 kB of
heap a reload, because the first generation (held by the daemon's loop for
its whole life) reached every later one through the reachability hand-over.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service import process
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("fresh_logs")

RELOADS = 8


def test_a_reload_leaves_nothing_of_the_generation_it_retired_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept: list[tuple[weakref.ref[Any], ...]] = []  # each generation's alerter, store, webhook

    class Noted(Tracker):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            watch = self.watch
            kept.append(
                (weakref.ref(watch.alerter), weakref.ref(self.store), weakref.ref(watch.sink))
            )

    monkeypatch.setattr(process, "Tracker", Noted)
    settings: dict[str, Any] = {
        "database": {"path": "t.db"},
        "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
        "alerts": {"webhook_url": "http://127.0.0.1:9/hook"},
    }
    config = config_from_dict(settings, base_dir=tmp_path, env={})
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    first = service._build(config)  # the daemon's loop holds its first generation for life
    current = first
    for _ in range(RELOADS):
        new = service._build(service.config)
        current.close()  # as the handover does once the old generation's runs have ended
        current = new
    gc.collect()
    # The first (held) and the current generation live; none of the retired ones.
    retired = [refs for refs in kept[1:-1] if any(ref() is not None for ref in refs)]
    assert len(kept) == RELOADS + 1
    assert retired == []
    current.close()
