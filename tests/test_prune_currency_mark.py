"""prune takes an order's currency mark with it (money69).

An ended order whose charge a late check found given in another currency is
marked in ``alert_state`` (``order_currency_changed#<ID>``) so the change is
said once. prune deleted the order and its late checks but left the mark: a
row naming an order no longer in the database, and, the same ID tracked
again (`track`), its own change of currency was never said.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H, World
from structlog.testing import capture_logs
from test_ended_currency import _told
from test_late_checks_hostile import RemainsPanel
from test_late_refunds import after, ended, stored

from tracker.rules.prune import Cutoffs
from tracker.store import prune as pruning


def _said_in_roubles(w: World, order_id: int) -> list[dict]:
    """The panel gives the ended order's charge in roubles at its 1 h late check."""
    w.panel.charges[order_id] = "45.50"
    w.panel.currencies = {order_id: "RUB"}
    with capture_logs() as logs:
        after(w, H)
    return _told(logs)


def _prune_everything(w: World) -> None:
    later = w.clock() + timedelta(days=1)  # every ended order is old enough
    done = pruning.zero()
    pruning.prune(w.store, ["sim"], Cutoffs(later, later), None, done, pause=lambda _: None)
    assert done["orders"] >= 1


@pytest.mark.usefixtures("fresh_logs")
def test_prune_deletes_the_mark_and_the_id_tracked_again_is_told(world):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Partial", "0.90")
    assert len(_said_in_roubles(w, order_id)) == 1
    _prune_everything(w)
    db = sqlite3.connect(w.store.path)
    try:
        marks = db.execute("SELECT kind FROM alert_state WHERE kind LIKE 'order_%#%'").fetchall()
    finally:
        db.close()
    assert marks == []  # no row names the deleted order
    # Tracked again: charged 0.90 USD when it ends, then given in roubles.
    w.panel.currencies = {order_id: "USD"}
    w.panel.charges[order_id] = "0.90"
    result = w.cli("track", str(order_id))
    assert result.exit_code == 0, result.output
    w.poll()
    assert (stored(w, order_id)["charge"], stored(w, order_id)["currency"]) == (0.9, "USD")
    [line] = _said_in_roubles(w, order_id)
    assert (line["order"], line["said_currency"]) == (order_id, "RUB")
