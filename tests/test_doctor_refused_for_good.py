"""`doctor` names the orders the refill rounds leave out because the panel
refused their refills for good ("Refill is disabled for this service"): an
info line per panel, their count and lowest IDs, where those refusals show and
what puts one back. It said nothing of them: a service whose refill the panel
switched off for a day kept its orders out of the rounds, and only `refills`,
read row by row, told. Real Tracker and CLI against the simulated panel."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeClock
from refill_world import DAY
from test_refill_for_good_undone import SwitchedPanel

from tracker.sim.catalogue import SERVICE_FOLLOWERS

HELD = "left out of the automatic refill rounds"


@pytest.fixture
def clock() -> FakeClock:
    # doctor and the CLI read the real clock: the test's reaches it (two days
    # on) before they run.
    return FakeClock(datetime.now(UTC) - timedelta(days=2))


def _sql(w, statement: str, *params: object) -> None:
    with sqlite3.connect(w.path.parent / "t.db") as db:
        db.execute(statement, params)
    db.close()


def held_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if HELD in line]


def test_doctor_tells_the_orders_refused_for_good_until_the_panel_takes_one_again(world):
    w = world(panel_class=SwitchedPanel)
    w.sync_services()
    first, second = w.order(SERVICE_FOLLOWERS), w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY)
    w.panel.disabled = True
    assert w.round()
    assert {r["permanent"] for r in w.requests(first) + w.requests(second)} == {1}
    w.clock.advance(DAY)

    checked = w.cli("doctor")
    assert checked.exit_code == 0, checked.output  # news, not a fault
    assert held_lines(checked.output) == [
        # The simulator's followers are sold "Refill 30 days": that guarantee is their window.
        f"info panel sim: 2 orders (#{first}, #{second}) inside their guarantee (Refill 30 "
        "days in the service's name, 30d) left out of the automatic refill rounds: the "
        "panel refused their refills for good (words such "
        'as "Refill is disabled for this service"); `smm-tracker refills --panel sim` marks '
        'such refusals "(for good)" (no command lists these orders alone); once the panel '
        "enables refill again, `smm-tracker refill --panel sim ID` (--force inside "
        "refill.cooldown), accepted, puts it back in the rounds"
    ]
    # The listing it names marks them so.
    listed = w.cli("refills", "--panel", "sim")
    assert listed.stdout.count("Refill is disabled for this service (for good)") == 2
    report = json.loads(w.cli("doctor", "--json").stdout)
    assert report["ok"] is True
    assert [(c["name"], c["state"]) for c in report["checks"] if HELD in c["detail"]] == [
        ("panel sim", "info")
    ]

    # The panel enables refill again; the command the line names takes one back.
    w.panel.disabled = False
    forced = w.cli("refill", "--panel", "sim", str(first), "--force")
    assert forced.exit_code == 0, forced.output
    [line] = held_lines(w.cli("doctor").output)
    assert line.startswith(f"info panel sim: 1 order (#{second}) inside its guarantee (Refill ")
    assert f"`smm-tracker refill --panel sim {second}` (--force" in line


def test_orders_the_rounds_leave_out_anyway_are_not_counted(world):
    # The line counted every order refused for good inside its window, also
    # those the rounds leave out whatever the panel says: of a service the
    # panel's listing now says has no refill, of a service not in the listing
    # (refill.unknown_service = "skip"), of a status no longer in
    # refill.statuses. Its "once the panel enables refill again, ... puts it
    # back in the rounds" was not true of them.
    w = world(panel_class=SwitchedPanel)
    w.sync_services()
    first, second = w.order(SERVICE_FOLLOWERS), w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY)
    w.panel.disabled = True
    assert w.round()
    w.clock.advance(DAY)
    [line] = held_lines(w.cli("doctor").output)
    assert line.startswith(f"info panel sim: 2 orders (#{first}, #{second}) inside")

    written = w.path.read_text()
    w.path.write_text(written.replace("[refill]\n", '[refill]\nstatuses = ["Partial"]\n'))
    checked = w.cli("doctor")
    assert checked.exit_code == 0, checked.output
    assert held_lines(checked.output) == []  # Completed orders: not in the rounds at all
    w.path.write_text(written)

    # The panel's listing now says the service has no refill.
    _sql(w, "UPDATE services SET refill = 0 WHERE service = ?", SERVICE_FOLLOWERS)
    assert held_lines(w.cli("doctor").output) == []
    _sql(w, "UPDATE services SET refill = 1 WHERE service = ?", SERVICE_FOLLOWERS)
    # One order's service no longer listed: unknown, skipped (the default).
    _sql(w, "UPDATE orders SET service = 999999 WHERE order_id = ?", first)
    [line] = held_lines(w.cli("doctor").output)
    assert line.startswith(f"info panel sim: 1 order (#{second}) inside its guarantee")
    w.path.write_text(written.replace("[refill]\n", '[refill]\nunknown_service = "try"\n'))
    [line] = held_lines(w.cli("doctor").output)  # tried as the rounds try it: counted
    assert line.startswith(f"info panel sim: 2 orders (#{first}, #{second}) inside")
