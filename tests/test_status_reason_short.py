"""A status's reason saying the order ended short, failed to run, or
dropped after it was done, read as its siblings are. "Partial: could not
complete" was Partial while "Partial: cannot complete" was unknown; and
"Canceled: unable to start" Canceled while "Canceled: failed to start" was
unknown: the ended order polled on under an ``unknown_status`` alert. Each
table holds the siblings read so before, the wordings that were not, and
those that still take the status back.
"""

from __future__ import annotations

import json

from test_status_reason_kin import check
from words_panel import WordsPanel, in_progress, poll

# Not done in full after Partial: what Partial means, the reason why.
PARTIAL_SHORT = {
    "Partial: could not complete": "Partial",  # read so before
    "Partial: delivery not completed": "Partial",  # read so before
    "Partial: could not deliver the rest": "Partial",  # read so before
    "Partial: order incomplete": "Partial",  # read so before
    "Partial: not fully delivered": "Partial",
    "Partial: cannot complete": "Partial",
    "Partial: will not be completed": "Partial",
    "Partial: not completed": "Partial",
    "Partial - not delivered in full": "Partial",
    "Partial (can't complete)": "Partial",
    "Partial: won't be finished": "Partial",
    "Partial: failed to complete": "Partial",
    # Not yet, still going on, or never begun: unknown, as before.
    "Partial: not yet completed": None,
    "Partial: not completed yet": None,
    "Partial: will be completed": None,
    "Partial: cannot complete, still delivering": None,
    "Partial: not started": None,
    "Partial: not processed": None,
    "Completed: not fully delivered": None,
    "Completed: not completed": None,
    "Completed: cannot complete": None,
}

# Why a Canceled (or Refunded) order ended: it failed to start, it was not
# completed, as "unable to start" and "not delivered" were.
CANCELED_WHY = {
    "Canceled: unable to start": "Canceled",  # read so before
    "Canceled: cannot start, account private": "Canceled",  # read so before
    "Canceled: not delivered": "Canceled",  # read so before
    "Canceled: failed to start": "Canceled",
    "Canceled (failed to start)": "Canceled",
    "Canceled - Failed to deliver": "Canceled",
    "Canceled: failed to process, link private": "Canceled",
    "Canceled: not completed": "Canceled",
    "Canceled: not finished": "Canceled",
    "Canceled: will not be completed": "Canceled",
    "Refunded: failed to start": "Refunded",
    "Refunded: not completed": "Refunded",
    # The cancel failed, not yet, or the order going on: unknown, as before.
    "Canceled: failed": None,
    "Canceled: failed to cancel": None,
    "Canceled: failed to start, still running": None,
    "Canceled: not yet completed": None,
    "Canceled: cancellation not completed": None,
    "Completed: failed to start": None,
    "Canceled: error, retrying": None,
}

# A drop after Completed: what came of the order after it was done.
COMPLETED_DROPPED = {
    "Completed: dropped": "Completed",  # read so before
    "Completed: delivered 1000, no drops": "Completed",  # read so before
    "Completed: partially dropped": "Completed",
    "Completed (partially dropped)": "Completed",
    "Completed: partly dropped, refill available": "Completed",
    # Delivered in part, or in doubt: unknown, as before.
    "Completed: partially": None,
    "Completed: partially delivered": None,
    "Completed (partial)": None,
    "Completed: partially dropped - order still running": None,
    "Partial: partially dropped": "Partial",  # its own words, as before
}


def test_partial_not_done_in_full_is_partial_with_its_reason():
    check(PARTIAL_SHORT)


def test_canceled_failed_to_start_or_not_completed_is_canceled():
    check(CANCELED_WHY)


def test_completed_partially_dropped_is_completed():
    check(COMPLETED_DROPPED)


def test_the_orders_end_and_the_alert_gives_the_reason(world):
    w = world(panel_class=WordsPanel)
    short, unstarted, dropped = in_progress(w, 3)
    poll(w)
    w.panel.words = {
        short: "Partial: cannot complete",
        unstarted: "Canceled: failed to start",
        dropped: "Completed: partially dropped",
    }
    poll(w)
    rows = w.store.rows("SELECT order_id, status, polling FROM orders ORDER BY 1")
    assert {r["order_id"]: (r["status"], r["polling"]) for r in rows} == {
        short: ("Partial", 0),
        unstarted: ("Canceled", 0),
        dropped: ("Completed", 0),
    }
    alerts = json.loads(w.cli("alerts", "--json").stdout)["alerts"]
    assert [a for a in alerts if a["kind"] == "unknown_status"] == []
    [canceled] = [a for a in alerts if a["kind"] == "order_canceled"]
    assert [o["reason"] for o in canceled["data"]["orders"]] == ["failed to start"]
