"""A reload (SIGHUP) to a config with no alert target, while the old
generation's sink is trying kept alerts again (a slow target): the new
generation is built without waiting for that look (it held the reload, and
the daemon's new jobs, up to 5 s), and an alert still kept for the old
target stays kept, never lost: the next start gives it up, nothing being
left to send it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeClock

import tracker.alerts.redeliver as redeliver
from tracker.alerts.alerter import raise_alert
from tracker.alerts.redeliver import Keeper
from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Alert
from tracker.store.orders import Store
from tracker.store.outbox import waiting

DAY = 86400.0
BUILT = 30.0  # seconds: a build takes well under one; only reached when it waits


def no_target(tmp_path: Path) -> Config:
    return config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 16}],
            "refill": {"enabled": False},
        },
        base_dir=tmp_path,
        env={},
    )


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[int]:
    """An alert the webhook did not take, kept to be tried again: its ID."""
    store = Store(tmp_path / "t.db")
    clock = FakeClock()
    alert = Alert("balance_low", "p: balance 1.00 is below 5.00", panel="p")
    alert = raise_alert(alert, store=store)
    Keeper(store, clock, DAY).failed(alert, "webhook", "HTTP 503")
    store.close()
    assert alert.id is not None
    yield alert.id


def given_up(tracker: Tracker) -> dict[int, bool]:
    return {row["id"]: bool(row["gave_up_at"]) for row in waiting(tracker.store)}


def test_a_reload_to_no_target_does_not_wait_for_the_old_sinks_look(tmp_path, kept, monkeypatch):
    # The old code's wait, made unmistakable: an hour instead of 5 s.
    monkeypatch.setattr(redeliver, "GIVE_UP_WAIT", 3600.0, raising=False)
    built: list[Tracker] = []
    with redeliver._LOOKING:  # the old generation's sink, sending kept alerts
        reload = threading.Thread(target=lambda: built.append(Tracker(no_target(tmp_path))))
        reload.daemon = True
        reload.start()
        reload.join(BUILT)
        assert built, "the reload waited for the old sink's look"
        new = built[0]
        # Kept, not given up under the look that may be sending it.
        assert given_up(new) == {kept: False}
    new.close()
    # The next start, no other sink looking: nothing would ever send it.
    after = Tracker(no_target(tmp_path))
    try:
        assert given_up(after) == {kept: True}
    finally:
        after.close()
