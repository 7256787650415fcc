"""What the tracker read from each service's name: `services` shows the window
its orders get and where from (GUARANTEE; --json refill_window_s and
refill_window_from), and `doctor` counts an order refused for good inside its
own window. Before, `services` showed only NAME, and doctor counted only
orders completed inside refill.window: an R90 order completed 60 days ago was
left out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import FakeClock
from refill_world import DAY
from test_refill_for_good_undone import SwitchedPanel

from tracker.sim.server import (
    SERVICE_FOLLOWERS,
    SERVICE_TELEGRAM,
    SERVICE_TIKTOK,
    SERVICE_VIEWS,
    SERVICES,
    SimulatedPanel,
)

NAMES = {
    SERVICE_FOLLOWERS: "Instagram Followers [R90]",
    SERVICE_TIKTOK: "TikTok [R30]",
    SERVICE_TELEGRAM: "Telegram Members | Lifetime Refill",
    SERVICE_VIEWS: "YouTube Views | Drip-feed",  # says none: its category does
}
CATEGORIES = {SERVICE_VIEWS: "YouTube [R60]"}


def _named(services: Any) -> Any:
    return [
        {
            **s,
            "name": NAMES.get(s["service"], s["name"]),
            "category": CATEGORIES.get(s["service"], s["category"]),
        }
        for s in services
    ]


class NamedPanel(SimulatedPanel):
    """The simulator, its services sold as R90, R30, lifetime, R60 (category)."""

    def _services(self, form: Mapping[str, str], now: float) -> Any:
        return _named(SERVICES)


class NamedSwitchedPanel(SwitchedPanel):
    """The same names, refill switched off when told (refused for good)."""

    def _services(self, form: Mapping[str, str], now: float) -> Any:
        return _named(super()._services(form, now))


@pytest.fixture
def clock() -> FakeClock:
    # doctor and the CLI read the real clock: the test's reaches it before they run.
    return FakeClock(datetime.now(UTC) - timedelta(days=70))


def _guarantees(output: str) -> dict[str, str]:
    """Each piped row's service ID and its last column, GUARANTEE."""
    lines = output.splitlines()
    at = lines[0].index("GUARANTEE")
    assert lines[0].rstrip().endswith("GUARANTEE")  # the last column
    return {line.split()[1]: line[at:].strip() for line in lines[1:]}


def test_services_shows_the_window_each_services_orders_get(world):
    w = world(panel_class=NamedPanel)
    w.sync_services()
    piped = w.cli("services")
    assert piped.exit_code == 0, piped.output
    assert _guarantees(piped.stdout) == {
        "1": "90d (R90)",
        "2": "-",  # no refill
        "3": "60d (R60, category)",
        "4": "30d (R30)",
        "5": "365d (lifetime)",
        "6": "-",
    }
    rows = {r["service"]: r for r in json.loads(w.cli("services", "--json").stdout)}
    assert [(rows[s]["refill_window_s"], rows[s]["refill_window_from"]) for s in range(1, 7)] == [
        (90 * 86400, "R90 in the service's name"),
        (None, None),
        (60 * 86400, "R60 in the service's category"),
        (30 * 86400, "R30 in the service's name"),
        (365 * 86400, "Lifetime Refill in the service's name, refill.lifetime"),
        (None, None),
    ]


def test_with_window_from_name_false_every_row_says_refill_window(world):
    w = world(panel_class=NamedPanel, refill='window_from_name = false\nwindow = "45d"')
    w.sync_services()
    shown = _guarantees(w.cli("services").stdout)
    assert shown == {"1": "45d", "2": "-", "3": "45d", "4": "45d", "5": "45d", "6": "-"}
    rows = json.loads(w.cli("services", "--json").stdout)
    assert {r["refill_window_from"] for r in rows} == {"refill.window", None}


def test_services_on_an_80_column_terminal_says_each_window_in_refill(world, monkeypatch):
    # REFILL says "no", or the window: a GUARANTEE column beside it would
    # not fit 80 columns.
    import tracker.cli.screen as screen

    w = world(panel_class=NamedPanel)
    w.sync_services()
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    lines = w.cli("services").stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].split()[:4] == ["PANEL", "SERVICE", "REFILL", "CANCEL"]  # a table still
    rows = {line.split()[1]: n for n, line in enumerate(lines) if line.startswith("sim ")}
    assert lines[rows["1"]].split()[2:4] == ["90d", "yes"]
    assert lines[rows["2"]].split()[2:4] == ["no", "no"]
    # RATE 0.08011655652 whole (rules/money.py): REFILL's words moved to NAME to fit.
    five = lines[rows["5"]].split()
    assert five[2:4] == ["365d", "no"] and lines[rows["5"] + 1].endswith("(refill 365d: lifetime)")
    assert "       Instagram Followers [R90] (refill 90d: R90)" in lines  # NAME under its row


HELD = "left out of the automatic refill rounds"


def _refused_for_good_70_days_ago(world, refill: str = "", services=(1, 4, 3)):
    """An R90, an R30 and an R60 (category) order (or ``services``')
    completed 70 days ago, each refused for good the day after; the clock at
    real time, as doctor reads."""
    w = world(panel_class=NamedSwitchedPanel, refill=refill)
    w.sync_services()
    orders = [w.order(s) for s in services]
    w.poll()
    w.clock.advance(DAY)
    w.panel.disabled = True
    assert w.round()
    assert all(r["permanent"] == 1 for o in orders for r in w.requests(o))
    w.clock.advance(68 * DAY)
    return w, orders


def _held(output: str) -> list[str]:
    return [line for line in output.splitlines() if HELD in line]


def test_doctor_counts_an_r90_order_refused_for_good_on_day_70(world):
    # doctor counted only orders completed inside refill.window (30d): the
    # R90 order the rounds still leave out on day 70 went unsaid.
    w, (r90, _r30, _r60) = _refused_for_good_70_days_ago(world)
    checked = w.cli("doctor")
    assert checked.exit_code == 0, checked.output
    [line] = _held(checked.output)
    assert line.startswith(
        f"info panel sim: 1 order (#{r90}) inside its guarantee (R90 in the service's name, "
        "90d) left out of the automatic refill rounds: the panel refused its refills for good"
    ), line


def test_doctor_names_each_orders_own_window_when_they_differ(world):
    services = (SERVICE_FOLLOWERS, SERVICE_TELEGRAM, SERVICE_TIKTOK)  # R90, lifetime, R30
    w, (r90, life, _r30) = _refused_for_good_70_days_ago(world, services=services)
    [line] = _held(w.cli("doctor").output)
    assert line.startswith(
        f"info panel sim: 2 orders (#{r90}, #{life}) inside their guarantees (each the one "
        "its service's name says, else refill.window) left out of the automatic refill rounds"
    ), line


def test_doctor_with_window_from_name_false_counts_inside_refill_window_alone(world):
    w, _orders = _refused_for_good_70_days_ago(world, "window_from_name = false")
    assert _held(w.cli("doctor").output) == []  # all 70 days past the 30d refill.window
