"""`services` on a terminal: a guarantee said in words ("Refill 30 days")
is said in REFILL as where it was read, `30d (name)`, `60d (category)`;
a short tag stays (`30d (R30)`), and piped GUARANTEE and `--json` keep the
words (tests/test_refill_window_shown.py).

polish200: at 80 columns the simulator's `30d (Refill 30 days)` wrapped
inside its cell, `days)` alone on the next line, while NAME under the row
said the same words. newuser206: with RATE wide, `365d (lifetime)` and
`60d (category)` still folded in two; their words move to NAME then."""

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


def _on_80_columns(w, monkeypatch) -> tuple[list[str], dict[str, int]]:
    """``services`` on an 80-column terminal: its lines, and each row's line by service."""
    import tracker.cli.screen as screen

    w.sync_services()
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    lines = w.cli("services").stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    return lines, {line.split()[1]: n for n, line in enumerate(lines) if line.startswith("sim ")}


def test_a_guarantee_in_words_is_said_as_where_it_was_read(world, monkeypatch):
    # No lifetime, no category: `30d (name)` fits beside RATE 0.08011655652, kept in REFILL.
    w = world(panel_class=WordedPanel)
    monkeypatch.setitem(NAMES, SERVICE_TELEGRAM, "Telegram Members | Refill")
    monkeypatch.delitem(CATEGORIES, SERVICE_VIEWS)
    lines, rows = _on_80_columns(w, monkeypatch)
    assert lines[rows[str(SERVICE_FOLLOWERS)]].split()[2:5] == ["30d", "(name)", "yes"]
    assert lines[rows[str(SERVICE_FOLLOWERS)] + 1].strip() == NAMES[SERVICE_FOLLOWERS]
    assert lines[rows[str(SERVICE_TIKTOK)]].split()[2:5] == ["30d", "(R30)", "no"]
    assert not any(line.strip().startswith("days") for line in lines)


def test_a_wide_rate_moves_the_words_to_name_not_refill_folded_in_two(world, monkeypatch):
    # newuser206: RATE 0.08011655652 whole beside `365d (lifetime)` and `60d
    # (category)` passed 80 columns: REFILL was folded, "(lifetime)" alone on
    # a second line. The words now end NAME's line, REFILL one line a row.
    lines, rows = _on_80_columns(world(panel_class=WordedPanel), monkeypatch)
    said = {service: (lines[n].split()[2], lines[n + 1].strip()) for service, n in rows.items()}
    assert said[str(SERVICE_TELEGRAM)] == (
        "365d",
        f"{NAMES[SERVICE_TELEGRAM]} (refill 365d: lifetime)",
    )
    assert said[str(SERVICE_VIEWS)] == ("60d", "YouTube Views | Drip-feed (refill 60d: category)")
    assert said[str(SERVICE_FOLLOWERS)] == ("30d", f"{NAMES[SERVICE_FOLLOWERS]} (refill 30d: name)")
    assert said[str(SERVICE_TIKTOK)] == ("30d", "TikTok [R30] (refill 30d: R30)")
    assert lines[rows[str(SERVICE_TELEGRAM)]].split()[2:4] == ["365d", "no"]
    assert "0.08011655652" in lines[rows[str(SERVICE_TELEGRAM)]]
    for n in rows.values():  # under each row its NAME alone: nothing of REFILL folded there
        assert lines[n + 1].startswith("       ") and lines[n + 1][7] != " "
        assert n + 2 == len(lines) or lines[n + 2].startswith("sim ")


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
