"""Refills end to end: the tracker's jobs against the simulated panel with drops.

The panel and the tracker share one FakeClock; the refill job runs every
30 minutes of simulated time for three days, as the daemon would run it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from refill_world import DAY, H, World, probe_files

from tracker.clock import parse_iso
from tracker.panel.statuses import REFILL_FINAL
from tracker.sim.server import (
    SERVICE_FOLLOWERS,
    SERVICE_LIKES,
    SERVICE_TELEGRAM,
    SERVICE_TIKTOK,
)
from tracker.store.probes import probes_of

ROUND = 0.5 * H  # [schedule] refill_every default


def rounds(w: World, hours: float, before_each=None, every: float = ROUND) -> list[float]:
    """Run the refill job every ``every`` seconds for ``hours`` of simulated time;
    return the times (seconds from the start) of the rounds that failed."""
    start, failed = w.clock(), []
    for _ in range(int(hours * H / every)):
        w.clock.advance(every)
        if before_each is not None:
            before_each()
        if not w.round():
            failed.append((w.clock() - start).total_seconds())
    return failed


def test_panel_detection_asks_once_per_cooldown_and_follows_each_refill(world):
    w = world()
    assert w.sync_services()
    too_old = w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(31 * DAY)  # too_old completed 31 days ago: past the 30-day window

    dropped = w.order(SERVICE_FOLLOWERS)
    dropped_too = w.order(SERVICE_TIKTOK)
    steady = w.order(SERVICE_TELEGRAM)  # nothing drops: only the panel can tell
    no_refill = w.order(SERVICE_LIKES)
    partial = w.order(SERVICE_FOLLOWERS, "Partial")
    running = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    completed = w.clock()

    def drops_and_faults():
        elapsed = w.clock() - completed
        if elapsed == timedelta(hours=12):
            for order_id in (dropped, dropped_too, no_refill, partial):
                w.panel.drop(order_id, 80)
        if elapsed == timedelta(hours=48):
            # The second request's answer is lost after the panel acted on it.
            w.panel.inject("lost", count=1, action="refill")

    # Only the round whose answer was lost reports a failure.
    assert rounds(w, 74, drops_and_faults) == [48 * H]

    eligible = (dropped, dropped_too, steady)
    for order_id in eligible:
        asked = [parse_iso(r["requested_at"]) - completed for r in w.requests(order_id)]
        # Not before first_check (24 h), then exactly once per 24 h cooldown:
        # the lost answer at 48 h counted as sent and was not resent before 72 h.
        assert asked == [timedelta(hours=24), timedelta(hours=48), timedelta(hours=72)]
    for order_id in (too_old, no_refill, partial, running):
        assert w.requests(order_id) == []
    # One multi-order call per round that had something to ask.
    assert w.panel.calls["refill"] == 3 and w.panel.calls["refill:multi"] == 3

    outcomes = {o: [(r["status"], r["error"]) for r in w.requests(o)] for o in eligible}
    lost = outcomes[dropped][1]
    assert lost[0] == "Unknown" and "outcome unknown" in lost[1]
    assert [s for s, _ in outcomes[dropped]] == ["Completed", "Unknown", "Rejected"]
    assert [s for s, _ in outcomes[dropped_too]] == ["Completed", "Unknown", "Rejected"]
    assert [s for s, _ in outcomes[steady]] == ["Rejected", "Unknown", "Rejected"]
    # Every refill the panel gave an ID was followed to a final status, and it
    # matches the panel's own view.
    for order_id in eligible:
        for row in w.requests(order_id):
            if row["refill_id"] is not None:
                assert row["status"] in REFILL_FINAL
                assert row["status"] == w.panel.refill_state(int(row["refill_id"]))
    assert w.panel.current_count(dropped) == w.panel.order(dropped).start_count + 1000

    # Subscribers (alerts) saw each change once, with the documented fields.
    finals = Counter((c["order_id"], c["to_status"]) for c in w.changes if c["from_status"])
    assert finals[(dropped, "Completed")] == 1 and finals[(steady, "Rejected")] == 2
    assert set(w.changes[0]) >= {
        "panel",
        "refill_id",
        "order_id",
        "from_status",
        "to_status",
        "error",
    }

    # What the user sees.
    shown = json.loads(w.cli("refills", "--json").stdout)
    assert Counter(r["order_id"] for r in shown) == {o: 3 for o in eligible}
    completed_only = w.cli("refills", "--status", "completed")
    assert completed_only.exit_code == 0
    lines = completed_only.stdout.splitlines()
    assert lines[0].split()[:4] == ["PANEL", "ORDER", "REFILL", "STATUS"]
    assert sorted(int(line.split()[1]) for line in lines[1:]) == sorted([dropped, dropped_too])


def test_command_detection_asks_only_for_orders_whose_count_dropped(world, tmp_path, monkeypatch):
    probe, counts = probe_files(tmp_path, monkeypatch)
    w = world(refill=f'detect = "command"\ncommand = "{probe}"\ndrop_threshold = 0.05')
    assert w.sync_services()
    big = w.order(SERVICE_FOLLOWERS)  # loses 10 %: a drop
    small = w.order(SERVICE_FOLLOWERS)  # loses 1 %: under the 5 % threshold
    whole = w.order(SERVICE_FOLLOWERS)  # loses nothing
    unmeasured = w.order(SERVICE_FOLLOWERS)  # the probe fails for it: skipped, not asked
    no_refill = w.order(SERVICE_LIKES)  # dropped, but its service has no refill
    w.poll()
    completed = w.clock()
    for order_id, amount in ((big, 100), (small, 10), (unmeasured, 500), (no_refill, 500)):
        w.panel.drop(order_id, amount)

    def measure():
        if w.clock() - completed == timedelta(hours=60):
            w.panel.drop(big, 100)  # it drops again after the first refill restored it
        measured = (big, small, whole, no_refill)
        counts.write_text("".join(f"{w.link(o)} {w.panel.current_count(o)}\n" for o in measured))

    # Every 2 h rather than 30 min: the same story with fewer probe runs.
    assert rounds(w, 74, measure, every=2 * H) == []

    asked = [parse_iso(r["requested_at"]) - completed for r in w.requests(big)]
    # At 24 h (first check); the refill restores the count, so no request at
    # 48 h; the new drop at 60 h is asked for at once (the cooldown is over).
    assert asked == [timedelta(hours=24), timedelta(hours=60)]
    assert [r["status"] for r in w.requests(big)] == ["Completed", "Completed"]
    for order_id in (small, whole, unmeasured, no_refill):
        assert w.requests(order_id) == []
    assert w.panel.current_count(big) == w.panel.order(big).start_count + 1000


def test_each_order_is_probed_at_most_once_per_probe_every(world, tmp_path, monkeypatch):
    probe, counts = probe_files(tmp_path, monkeypatch)
    w = world(refill=f'detect = "command"\ncommand = "{probe}"\nprobe_every = "6h"')
    assert w.sync_services()
    steady = w.order(SERVICE_FOLLOWERS)  # measured, never dropped
    unmeasured = w.order(SERVICE_FOLLOWERS)  # the probe fails for it every time
    w.poll()
    counts.write_text(f"{w.link(steady)} {w.panel.current_count(steady)}\n")

    # Rounds every 30 min from completion to +36 h: eligible from +24 h.
    assert rounds(w, 36) == []

    runs = probes_of(w.store, "sim", steady)
    # +24 h, +30 h, +36 h: once per probe_every, not once per 30-minute round.
    assert len(runs) == 3
    assert all(r["count"] == w.panel.current_count(steady) and r["dropped"] == 0 for r in runs)
    failed = probes_of(w.store, "sim", unmeasured)
    # A failed run does not count as a measurement: it is tried every round.
    assert len(failed) == 25 and all(r["count"] is None and r["error"] for r in failed)
    assert w.requests(steady) == [] and w.requests(unmeasured) == []
