"""A re-order answered with an order ID another config entry for the same
panel (the same url, another name: another account on it) tracks already:
outcome unknown, stored ``Unknown`` and counted toward the daily cap, as an
ID tracked under the same name is (tests/test_automation_guards.py), and as
``add`` reads it (tests/test_add_tracked_on_another_entry.py).

One panel numbers all its orders in one series, whichever account places
them: the ID is no proof of a new order. It was tracked as a new order under
the re-ordering entry, a second row for one real order. Through the
simulated panel on loopback and the real automation job; nothing sleeps.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from automation_kit import REORDER, cli_today, run  # noqa: F401  (fixture)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql
from tracker.store import automation_spend

ANSWERED = 990001


def _second(url: str) -> str:
    return f"""
[[panels]]
name = "second"
url = "{url}"
key = "second-key-Qa7Ws9Ed3Rf5"
timeout = "5s"
"""


def _reorders(w) -> list[dict]:
    return [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]


def _tracked(w, order_id: int) -> list[str]:
    rows = w.store.rows("SELECT panel FROM orders WHERE order_id = ?", [order_id])
    return [row["panel"] for row in rows]


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("url", ["{url}", "{url}/"], ids=["same", "slash"])
def test_a_reorder_answered_an_id_another_entry_of_the_panel_tracks_is_unknown(world, url):
    w = world(automation=REORDER.replace("1.0", "100"), more=_second(url))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.store.track("second", [ANSWERED], w.clock())
    w.panel._add = lambda form, now: {"order": ANSWERED}  # type: ignore[method-assign]
    with capture_logs() as logs:
        assert not run(w)  # outcome unknown: the run stops there
    (row,) = _reorders(w)
    assert (row["order_id"], row["status"], row["new_order_id"]) == (parent, "Unknown", None)
    assert (
        f"the panel answered order {ANSWERED}, which is already tracked on second, "
        "the same panel's url" in row["error"]
    )
    assert _tracked(w, ANSWERED) == ["second"]  # one row for one order
    (told,) = [e for e in logs if e["event"] == "reorder_answer_already_tracked"]
    assert told["tracked_on"] == "second" and told["answered"] == ANSWERED
    since = w.clock() - timedelta(days=1)
    spent = automation_spend.spent_since(w.store, "sim", since, dry_run=False)
    assert spent == Decimal(str(row["estimated_cost"])) > 0  # counted toward the cap
    run(w)
    assert w.panel.calls["add"] == 1  # counted as sent: never again
    assert len(_reorders(w)) == 1


def test_a_reorder_answered_an_id_another_panel_tracks_is_placed(world):
    # Another url: another panel, numbering its own orders.
    w = world(automation=REORDER.replace("1.0", "100"), more=_second("{url}/other"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.store.track("second", [ANSWERED], w.clock())
    w.panel._add = lambda form, now: {"order": ANSWERED}  # type: ignore[method-assign]
    assert run(w)
    (row,) = _reorders(w)
    assert (row["order_id"], row["status"], row["new_order_id"]) == (parent, "Placed", ANSWERED)
    assert sorted(_tracked(w, ANSWERED)) == ["second", "sim"]
