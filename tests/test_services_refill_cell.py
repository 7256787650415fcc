"""`services` on a terminal: a guarantee said in words ("Refill 30 days")
is said in REFILL as where it was read, `30d (name)`, `60d (category)`;
a short tag stays (`30d (R30)`), and piped GUARANTEE and `--json` keep the
words (tests/test_refill_window_shown.py).

polish200: at 80 columns the simulator's `30d (Refill 30 days)` wrapped
inside its cell, `days)` alone on the next line, while NAME under the row
said the same words."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tracker.sim.server import (
    SERVICE_FOLLOWERS,
    SERVICE_TELEGRAM,
    SERVICE_TIKTOK,
    SERVICE_VIEWS,
    SERVICES,
    SimulatedPanel,
)

NAMES = {
    SERVICE_FOLLOWERS: "Instagram Followers | Refill 30 days",
    SERVICE_TIKTOK: "TikTok [R30]",
    SERVICE_TELEGRAM: "Telegram Members | Lifetime Refill",
    SERVICE_VIEWS: "YouTube Views | Drip-feed",  # says none: its category does
}
CATEGORIES = {SERVICE_VIEWS: "YouTube | Refill 60 days"}


class WordedPanel(SimulatedPanel):
    """The simulator, its guarantees in words, a tag, lifetime, a category's."""

    def _services(self, form: Mapping[str, str], now: float) -> Any:
        return [
            {
                **s,
                "name": NAMES.get(s["service"], s["name"]),
                "category": CATEGORIES.get(s["service"], s["category"]),
            }
            for s in SERVICES
        ]


def test_a_guarantee_in_words_is_said_as_where_it_was_read(world, monkeypatch):
    import tracker.cli.screen as screen

    w = world(panel_class=WordedPanel)
    w.sync_services()
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    lines = w.cli("services").stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = {line.split()[1]: n for n, line in enumerate(lines) if line.startswith("sim ")}
    assert lines[rows[str(SERVICE_FOLLOWERS)]].split()[2:5] == ["30d", "(name)", "yes"]
    assert lines[rows[str(SERVICE_FOLLOWERS)] + 1].strip() == NAMES[SERVICE_FOLLOWERS]
    assert lines[rows[str(SERVICE_TIKTOK)]].split()[2:4] == ["30d", "(R30)"]
    # RATE 0.08011655652 whole: REFILL folded at its words, as "365d (lifetime)" is.
    views = rows[str(SERVICE_VIEWS)]
    assert lines[views].split()[2:4] == ["60d", "yes"] and lines[views + 1].split() == [
        "(category)"
    ]
    assert not any(line.strip().startswith("days") for line in lines)


def test_piped_and_json_keep_the_words(world):
    w = world(panel_class=WordedPanel)
    w.sync_services()
    lines = w.cli("services").stdout.splitlines()
    at = lines[0].index("GUARANTEE")
    said = {line.split()[1]: line[at:].strip() for line in lines[1:]}
    assert said[str(SERVICE_FOLLOWERS)] == "30d (Refill 30 days)"
    assert said[str(SERVICE_VIEWS)] == "60d (Refill 60 days, category)"
    rows = {r["service"]: r for r in json.loads(w.cli("services", "--json").stdout)}
    assert rows[SERVICE_FOLLOWERS]["refill_window_from"] == "Refill 30 days in the service's name"
    assert rows[SERVICE_VIEWS]["refill_window_from"] == "Refill 60 days in the service's category"
