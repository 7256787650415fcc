from datetime import timedelta

from tracker.clock import iso, parse_iso
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import (
    NOT_IN_ANSWER,
    UNKNOWN_BACKOFF,
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


def test_unknown_id_backs_off_1h_6h_24h_then_stops_after_the_give_up_time(clock):
    r = row(status="In progress")
    waits = []
    while True:
        out = apply_report(r, OrderStatus(7, error="Incorrect order ID"), clock(), CADENCE)
        r = {**r, **out.changes}
        assert out.transition is None and r["error"] == "Incorrect order ID"
        if r["polling"] == 0:
            break
        wait = (parse_iso(r["next_check_at"]) - clock()).total_seconds()
        waits.append(wait)
        clock.advance(wait)
    assert waits[:3] == list(UNKNOWN_BACKOFF)
    # Stopped once the panel had called it unknown for the give-up time, not sooner.
    assert sum(waits) == CADENCE.give_up
    assert r["stopped_by"] == "panel" and r["stop_reason"] == "Incorrect order ID"
    assert r["stopped_at"] == iso(clock()) and r["status"] == "In progress"
    assert out.lost == {
        "panel": "main",
        "order_id": 7,
        "status": "In progress",
        "error": "Incorrect order ID",
        "unknown_since": r["unknown_since"],
    }


def test_many_unknown_answers_in_a_short_time_never_stop_polling(clock):
    r = row(status="Pending")
    for _ in range(20):  # e.g. `run --once --all` twenty times in a row
        r = {**r, **apply_report(r, None, clock(), CADENCE).changes}
        clock.advance(60)
    assert r["polling"] == 1 and "stopped_by" not in r


def test_a_good_answer_ends_the_unknown_streak(clock):
    r = row(status="Pending", error="Incorrect order ID", error_count=2, unknown_since=iso(clock()))
    out = apply_report(r, OrderStatus(7, status="Pending"), clock(), CADENCE)
    assert out.changes["unknown_since"] is None and out.changes["error_count"] == 0


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
