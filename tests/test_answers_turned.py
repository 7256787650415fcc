"""A new status of an order whose polling stays as it was (a turned row) is
written binding only what differs from order to order, the rest bound once
a statement (answers._TURNED_OWN), and must store exactly what binding
every column for every row stores: every table, type for type, and what each
poll hands back, on any answers, well-formed and hostile, over several polls
(orders moving on, ending, and ended ones changing status again; some stored
ended beforehand, with or without a completed_at, as older versions left
them)."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_answers_save_nulls import _stored, _tables, polls, status

from tracker.store import answers

# How orders are stored before the first poll: status, polling, completed_at.
before = st.lists(
    st.tuples(
        status, st.sampled_from([0, 1]), st.sampled_from([None, "2026-11-30T00:00:00+00:00"])
    ),
    max_size=5,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(polls, before)
def test_a_turned_row_stores_what_binding_every_column_stores(tmp_path, rounds, rows):
    with patch.object(answers, "_SHARED_TURNED", False):
        told_full = _stored(tmp_path / "full.db", rounds, tuple(rows))
    told = _stored(tmp_path / "shared.db", rounds, tuple(rows))
    assert _tables(tmp_path / "shared.db") == _tables(tmp_path / "full.db")
    assert repr(told) == repr(told_full)
