"""The rate limiter as the daemon wires it: one bucket per panel, tied to shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.panel.ratelimit import RateLimiter, RateLimitStopped


def _config(tmp_path: Path, rpm: int):
    data = {
        "database": {"path": str(tmp_path / "t.db")},
        "panels": [
            {
                "name": "a",
                "url": "http://127.0.0.1:9/api/v2",
                "key": "key-a-123456",
                "requests_per_minute": rpm,
            },
            {"name": "b", "url": "http://127.0.0.1:9/api/v2", "key": "key-b-123456"},
        ],
    }
    return config_from_dict(data, base_dir=tmp_path, env={})


def test_the_tracker_gives_each_limited_panel_one_bucket_tied_to_its_stop_event(tmp_path):
    tracker = Tracker(_config(tmp_path, 120))
    try:
        limiter = tracker.clients["a"]._limiter
        assert isinstance(limiter, RateLimiter) and limiter.interval == pytest.approx(0.505)
        assert tracker.clients["b"]._limiter is None  # 0 = unlimited
        tracker.stop_event.set()
        with pytest.raises(RateLimitStopped):
            limiter()
    finally:
        tracker.close()
