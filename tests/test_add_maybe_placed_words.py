"""An ``add`` answered ``{"error": ...}`` in words that may follow an order
placed, or with an order ID for its error: outcome unknown, for the `add`
command as for the automation's re-orders, never "no order placed".

A panel script that fails after its INSERT answers its server's fault
("SQLSTATE...", "Internal server error") or its rate limit ("Too many
requests") in ``error``; a script that writes the new order's ID into
``error`` (``{"error": 23501}``) placed it. Said "no order placed" with the
``--idempotency-key`` given back, the same `add` run again by a script placed
a second order. Through the real CLI, a scripted panel on loopback and the
simulated panel's automation; nothing sleeps.
"""

from __future__ import annotations

import pytest
from automation_kit import REORDER, cli_today, run  # noqa: F401  (fixture)
from hostile import json_reply
from refill_world import World
from simconfig import add_panel, tracked_ids

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql

KEY = "hostile-key-MaybePlaced17"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
KEYED = [*ADD, "--idempotency-key", "row-17"]
UNKNOWN = "smm-tracker: sim: add: outcome unknown — check the panel before placing it again"

MAYBE_PLACED = [
    "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found",
    "Internal server error",
    "Too many requests",
]
ID_FOR_ERROR = [23501, "23501", {"order": 23501}, {"order": "23501", "message": "created"}]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, set_reply, cli); set_reply(reply) scripts the answer to ``add``."""
    with add_panel(tmp_path, monkeypatch, KEY) as found:
        yield found


_tracked = tracked_ids


def _adds(server) -> int:
    return sum(1 for form in server.requests if form.get("action") == "add")


@pytest.mark.parametrize("code", [200, 400])
@pytest.mark.parametrize("error", [*MAYBE_PLACED, *ID_FOR_ERROR])
def test_an_add_answered_words_that_may_follow_an_order_is_outcome_unknown(
    panel, tmp_path, error, code
):
    server, set_reply, cli = panel
    set_reply(json_reply({"error": error}, status=code))
    result = cli(*KEYED)
    assert result.exit_code == 1, result.output
    told = result.stderr.splitlines()[-1]
    assert told.startswith(f"{UNKNOWN} (")
    assert "no order placed" not in result.stderr
    assert result.stdout == "" and _tracked(tmp_path) == []
    # The key kept: the same add run again sends nothing and says so.
    again = cli(*KEYED)
    assert again.exit_code == 1, again.output
    assert "its outcome is unknown" in again.stderr and "nothing sent" in again.stderr
    assert _adds(server) == 1


@pytest.mark.parametrize(
    "error", ["Not enough funds on balance", "Incorrect service ID", 0, "", None, False]
)
def test_an_add_refused_in_the_panels_words_still_places_nothing(panel, tmp_path, error):
    server, set_reply, cli = panel
    set_reply(json_reply({"error": error}) if error else json_reply({"order": 23501}))
    result = cli(*KEYED)
    if not error:  # no error at all: placed (as before)
        assert result.exit_code == 0 and result.stdout == "23501\n"
        return
    assert result.exit_code == 1, result.output
    said = result.stderr.splitlines()[-1]  # a hint may follow (a service ID: where listed)
    assert said.startswith(f"smm-tracker: sim: add: {error}; no order placed")
    assert _tracked(tmp_path) == []


@pytest.mark.parametrize("written", [int, str])
def test_a_reorder_answered_an_order_id_for_its_error_is_unknown_not_refused(world, written):
    w: World = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    original, placed = w.panel._add, []

    def add(form, now):  # places the order, then writes its ID as the error
        placed.append(original(form, now)["order"])
        return {"error": written(placed[-1])}

    w.panel._add = add  # type: ignore[method-assign]
    assert not run(w)
    w.clock.advance(600)
    run(w)
    assert w.panel.calls["add"] == 1 and len(placed) == 1
    (row,) = [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    assert row["order_id"] == parent and row["status"] == "Unknown"
    assert row["error"].startswith("outcome unknown — check the panel before placing it again")


@pytest.mark.parametrize("error", ID_FOR_ERROR)
def test_a_rate_limit_answer_with_an_order_id_for_its_error_is_never_sent_again(
    panel, tmp_path, error
):
    # A 429 whose JSON names the order placed, in its error or not, is the
    # panel's script's: read as with a 200, never retried as the limit's.
    server, set_reply, cli = panel
    set_reply(json_reply({"error": error}, status=429))
    result = cli(*KEYED)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith(f"{UNKNOWN} (")
    assert _adds(server) == 1 and _tracked(tmp_path) == []
