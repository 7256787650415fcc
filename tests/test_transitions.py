from datetime import timedelta

from tracker.clock import iso, parse_iso
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import (
    NOT_IN_ANSWER,
    UNKNOWN_CONFIRMATIONS,
    Cadence,
    apply_report,
    next_check,
)

CADENCE = Cadence(every=300, max_every=3600)


def row(**fields):
    base = {
        "panel": "main",
        "order_id": 7,
        "status": None,
        "remains": None,
        "charge": None,
        "error_count": 0,
        "completed_at": None,
        "last_change_at": None,
    }
    base.update(fields)
    return base


def test_first_status_records_a_transition_from_null(clock):
    out = apply_report(row(), OrderStatus(7, status="Pending", remains=100), clock(), CADENCE)
    assert out.transition["from_status"] is None and out.transition["to_status"] == "Pending"
    assert out.transition["at"] == iso(clock()) and out.changes["polling"] == 1


def test_same_status_records_no_transition_but_updates_remains(clock):
    out = apply_report(
        row(status="In progress", remains=50),
        OrderStatus(7, status="In progress", remains=20),
        clock(),
        CADENCE,
    )
    assert out.transition is None and out.changes["remains"] == 20


def test_terminal_status_stops_polling_and_sets_completed_at(clock):
    out = apply_report(
        row(status="In progress"), OrderStatus(7, status="Partial", remains=5), clock(), CADENCE
    )
    assert out.changes["polling"] == 0 and out.changes["completed_at"] == iso(clock())
    assert out.transition["from_status"] == "In progress"


def test_completed_at_is_not_moved_by_a_later_report(clock):
    out = apply_report(
        row(status="Completed", completed_at="2026-01-01T00:00:00+00:00"),
        OrderStatus(7, status="Completed"),
        clock(),
        CADENCE,
    )
    assert "completed_at" not in out.changes


def test_failed_is_not_terminal(clock):
    out = apply_report(row(status="In progress"), OrderStatus(7, status="Failed"), clock(), CADENCE)
    assert out.changes["polling"] == 1


def test_unknown_id_is_flagged_and_given_up_after_confirmations(clock):
    r = row(status=None)
    for attempt in range(1, UNKNOWN_CONFIRMATIONS + 1):
        out = apply_report(r, OrderStatus(7, error="Incorrect order ID"), clock(), CADENCE)
        r = {**r, **out.changes}
        assert out.transition is None and r["error"] == "Incorrect order ID"
        assert r["polling"] == (0 if attempt == UNKNOWN_CONFIRMATIONS else 1)
    assert r["status"] is None  # an error never invents a status


def test_missing_from_answer_counts_as_unknown(clock):
    out = apply_report(row(), None, clock(), CADENCE)
    assert out.changes["error"] == NOT_IN_ANSWER and out.changes["error_count"] == 1


def test_a_good_answer_clears_the_error(clock):
    out = apply_report(
        row(error="Incorrect order ID", error_count=2),
        OrderStatus(7, status="Pending"),
        clock(),
        CADENCE,
    )
    assert out.changes["error"] is None and out.changes["error_count"] == 0


def test_unknown_spelling_is_stored_verbatim(clock):
    out = apply_report(
        row(),
        OrderStatus(7, status="On hold", raw_status="On hold", known_status=False),
        clock(),
        CADENCE,
    )
    assert out.transition["to_status"] == "On hold"


def test_next_check_backs_off_for_quiet_orders_and_caps(clock):
    now = clock()
    moving = next_check(now, now, CADENCE)
    assert timedelta(seconds=240) <= moving - now <= timedelta(seconds=300)
    quiet = next_check(now, now - timedelta(hours=2), CADENCE)
    assert quiet - now > timedelta(seconds=1000)
    ancient = next_check(now, now - timedelta(days=30), CADENCE)
    assert ancient - now <= timedelta(seconds=3600)


def test_adaptation_off_when_max_equals_every(clock):
    now = clock()
    flat = Cadence(every=300, max_every=300)
    assert next_check(now, now - timedelta(days=3), flat) == next_check(now, now, flat)


def test_last_change_kept_while_nothing_moves(clock):
    before = iso(clock() - timedelta(hours=1))
    out = apply_report(
        row(status="In progress", remains=5, last_change_at=before),
        OrderStatus(7, status="In progress", remains=5),
        clock(),
        CADENCE,
    )
    assert parse_iso(out.changes["last_change_at"]) == parse_iso(before)
