"""Which refills that end Rejected raise ``refill_rejected``: what a user sees
in the alerts table, with the tracker's jobs against the simulated panel.

The simulated panel, as real ones do, accepts a refill request where nothing
dropped and ends that refill Rejected. With ``refill.detect = "panel"`` the
tracker asks for every eligible order daily, so that is the everyday answer
for every healthy order: recorded, never alerted (the F2 soak test: 55
alerts naming 2,212 healthy orders in 21 minutes).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from refill_world import DAY, H, World

from tracker.panel.statuses import REFILL_REJECTED
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store.alerts import alerts_since
from tracker.store.probes import record_probes
from tracker.store.refills import begin_requests, update_refills

DISABLED = "Rejected: Refill is disabled for this service"


class DisablingPanel(SimulatedPanel):
    """A panel that accepts refill requests of the orders in ``disabled`` and
    ends them Rejected with words saying the service has no refill."""

    disabled: frozenset[int] = frozenset()

    def _refill_spelled(self, token: str, now: float) -> str | None:
        spelled = super()._refill_spelled(token, now)
        task = self._refills.get(int(token)) if token.isdigit() else None
        if task and task.order_id in self.disabled and task.status(now) == REFILL_REJECTED:
            return DISABLED
        return spelled


def rejected_alerts(w: World) -> list[dict[str, Any]]:
    return [a for a in alerts_since(w.store, None) if a["kind"] == "refill_rejected"]


def alerted_orders(w: World) -> list[int]:
    return [r["order_id"] for a in rejected_alerts(w) for r in a["data"]["refills"]]


def completed_a_day_ago(w: World, count: int) -> list[int]:
    assert w.sync_services()
    ids = [w.order(SERVICE_FOLLOWERS) for _ in range(count)]
    w.poll()
    w.clock.advance(DAY)
    return ids


def days_of_rounds(w: World, days: int) -> None:
    """Ask (the daily round), then follow the refills to their end, each day."""
    for _ in range(days):
        assert w.round()  # the requests
        w.clock.advance(H)
        assert w.round()  # the follow-up: Rejected, nothing dropped
        w.clock.advance(DAY - H)


def test_daily_refills_the_panel_rejects_as_nothing_dropped_raise_no_alert(world):
    w = world()  # detect = "panel", the default
    healthy = completed_a_day_ago(w, 3)
    days_of_rounds(w, 3)
    for order_id in healthy:
        rows = w.requests(order_id)
        assert [(r["status"], r["source"]) for r in rows] == [("Rejected", "auto")] * 3
        assert all(r["refill_id"] is not None for r in rows)  # accepted, then Rejected
    assert rejected_alerts(w) == []
    assert "no alerts" in w.cli("alerts").output


def test_with_the_users_probe_judging_drops_a_rejected_refill_alerts(
    world, tmp_path: Path, monkeypatch
):
    probe = tmp_path / "probe.sh"
    probe.write_text('#!/bin/sh\necho "$SMM_DROPPED_COUNT"\n')
    probe.chmod(0o755)
    w = world(refill=f'detect = "command"\ncommand = "{probe}"')
    (order_id,) = completed_a_day_ago(w, 1)
    start = w.panel.order(order_id).start_count
    # The probe says 200 of 1000 went; the panel sees no drop and rejects the refill.
    monkeypatch.setenv("SMM_DROPPED_COUNT", str(start + 800))
    days_of_rounds(w, 1)
    assert [r["status"] for r in w.requests(order_id)] == ["Rejected"]
    (alert,) = rejected_alerts(w)
    assert alert["message"] == f"sim: refill for order #{order_id} Rejected"


def test_a_refill_the_user_asked_for_alerts_when_rejected(world):
    w = world()
    healthy, asked = completed_a_day_ago(w, 2)
    result = w.cli("refill", str(asked))
    assert result.exit_code == 0, result.output
    w.clock.advance(H)  # the daily round asks for the other one and follows both
    assert w.round()
    w.clock.advance(H)
    assert w.round()
    assert [(r["status"], r["source"]) for r in w.requests(asked)] == [("Rejected", "manual")]
    assert [(r["status"], r["source"]) for r in w.requests(healthy)] == [("Rejected", "auto")]
    assert alerted_orders(w) == [asked]
    assert f"refill for order #{asked} Rejected" in w.cli("alerts").output


def test_a_refill_rejected_as_disabled_for_the_service_alerts(world):
    w = world(panel_class=DisablingPanel)
    disabled, healthy = completed_a_day_ago(w, 2)
    w.panel.disabled = frozenset({disabled})
    days_of_rounds(w, 1)
    assert [r["raw_status"] for r in w.requests(disabled)] == [DISABLED]
    assert [r["status"] for r in w.requests(healthy)] == ["Rejected"]
    (alert,) = rejected_alerts(w)
    assert alert["message"] == f"sim: refill for order #{disabled} Rejected ({DISABLED!r})"
    assert [r["order_id"] for r in alert["data"]["refills"]] == [disabled]


def test_a_rejected_refill_of_an_order_the_probe_saw_drop_alerts(world):
    # Measured dropped (by probe runs while detect was "command") and neither
    # measured whole again nor refilled since: the panel's "nothing dropped" is news.
    w = world()
    dropped, recovered, refilled, healthy = completed_a_day_ago(w, 4)
    w.clock.advance(DAY)  # completed two days ago
    now, hour = w.clock(), timedelta(hours=1)
    measured = [(o, 900, True, None) for o in (dropped, recovered, refilled)]
    record_probes(w.store, "sim", measured, now - 30 * hour)
    record_probes(w.store, "sim", [(recovered, 1000, False, None)], now - 29 * hour)
    rows = begin_requests(w.store, "sim", [refilled], now - 29 * hour)
    accepted = {"refill_id": "1", "status": "Pending"}
    update_refills(w.store, {rows[refilled]: accepted}, now - 29 * hour)
    update_refills(w.store, {rows[refilled]: {"status": "Completed"}}, now - 28 * hour)
    days_of_rounds(w, 1)
    for order_id in (dropped, recovered, refilled, healthy):
        assert w.requests(order_id)[-1]["status"] == "Rejected"
    assert alerted_orders(w) == [dropped]


def test_a_refill_rejected_as_disabled_is_refused_for_good_not_asked_daily(world):
    # The panel's words end the order's refills for good, as the same words
    # refusing the request do: one request and one alert, not one each day.
    w = world(panel_class=DisablingPanel)
    disabled, healthy = completed_a_day_ago(w, 2)
    w.panel.disabled = frozenset({disabled})
    days_of_rounds(w, 3)
    assert [(r["status"], r["permanent"]) for r in w.requests(disabled)] == [("Rejected", 1)]
    assert len(w.requests(healthy)) == 3
    assert alerted_orders(w) == [disabled]
