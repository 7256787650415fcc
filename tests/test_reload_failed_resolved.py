"""A failed reload's alert is resolved by the good reload after it.

Operator's week (operator140): a typo reloaded raised ``config_reload_failed``
(error) on the webhook and ntfy; the fixed file reloaded put the daemon back
on the file as written, said only in the journal (``reloaded``) and by the
gauge going back to 0, so the channel showed the error as still open. Now the
first good reload after a failed one raises ``config_reloaded`` (info), as
``panel_recovered`` follows ``panel_unreachable``; a good reload after a good
one still raises none.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import load_config
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("fresh_logs")

GOOD = (
    '[database]\npath = "t.db"\n\n'
    '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k1k2k3k4k5k6"\n'
)


def test_the_good_reload_after_a_failed_one_says_the_file_is_in_effect(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    generations = [service._build(config)]
    kinds: list[list[str]] = []
    try:
        for schedule in ('status_evry = "10m"', 'status_every = "10m"', 'status_every = "9m"'):
            path.write_text(GOOD + f"\n[schedule]\n{schedule}\n")
            with capture_logs() as logs:
                if (generation := service._reload()) is not None:
                    generations.append(generation)
            alerts = [e for e in logs if e["event"] == "alert"]
            kinds.append([e["alert"] for e in alerts])
            if schedule == 'status_every = "10m"':
                (said,) = alerts
    finally:
        for generation in generations:
            generation.close()
    # the typo, its fix (before: no alert), then a good reload after a good one
    assert kinds == [["config_reload_failed"], ["config_reloaded"], []]
    assert said["severity"] == "info"
    assert str(path) in said["message"] and "in effect" in said["message"]
    with sqlite3.connect(tmp_path / "t.db") as db:  # `alerts` lists it, the webhook gets it
        stored = [row[0] for row in db.execute("SELECT kind FROM alerts ORDER BY id")]
    assert stored == ["config_reload_failed", "config_reloaded"]
