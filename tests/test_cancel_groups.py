"""The one splitter of multi ``cancel`` calls (tracker.panel.cancel_groups),
shared by the `cancel` command and the automation: a fake panel, no HTTP.
The commands themselves are tested through the CLI and the automation job in
test_cli_refill_cancel_answers.py, test_cli_untrack_cancel.py and
test_automation_guards.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.errors import (
    AuthError,
    BadAnswerError,
    OutcomeUnknownError,
    PanelAnswerError,
    StopRequested,
    TransientError,
)
from tracker.panel import cancel_groups as g
from tracker.panel.models import CancelResult
from tracker.panel.witness import WholeCallRefused


class Panel:
    """Cancels what it is sent, unless ``refuse`` (the words of a whole-call
    refusal) or ``fail`` (an exception) says otherwise for a call; the judge
    says what a refusal means: ``verdict`` "call", "key" or "unsure"."""

    def __init__(self, bad=(), verdict="call", lacking=False, fail=None):
        self.bad, self.verdict, self.lacking, self.fail = set(bad), verdict, lacking, fail
        self.calls: list[list[int]] = []

    def send(self, group: list[int]) -> list[CancelResult]:
        self.calls.append(list(group))
        if self.fail is not None:
            raise self.fail(len(self.calls))
        if self.bad.intersection(group):
            raise PanelAnswerError("Order is being processed")
        return [CancelResult(order_id=o, ok=True) for o in group]

    def refusal(self, action: str, exc: PanelAnswerError) -> PanelAnswerError:
        assert action == "cancel"
        if isinstance(exc, AuthError):
            return exc
        return {"call": WholeCallRefused, "key": AuthError, "unsure": PanelAnswerError}[
            self.verdict
        ](exc.detail)

    def refused_as_missing(self, action: str, words: str) -> bool:
        return self.lacking


def settle(panel: Panel, ids, **options) -> list[g.Settled]:
    return list(g.cancel_in_groups(ids, panel.send, panel, **options))


def test_orders_go_100_per_call_each_once():
    panel = Panel()
    settled = settle(panel, range(1, 251))
    assert [len(c) for c in panel.calls] == [100, 100, 50]
    assert [s.kind for s in settled] == [g.ANSWERED] * 3
    results = [r for s in settled for r in s.results()]
    assert results == [(o, g.ACCEPTED, None) for o in range(1, 251)]


def test_a_call_refused_as_a_whole_is_split_down_to_the_order_refused():
    panel = Panel(bad={3})
    settled = settle(panel, [1, 2, 3, 4, 5])
    assert panel.calls == [[1, 2, 3, 4, 5], [1, 2], [3, 4, 5], [3], [4, 5]]
    results = [r for s in settled for r in s.results()]
    assert results == [
        (1, g.ACCEPTED, None),
        (2, g.ACCEPTED, None),
        (3, g.REFUSED, "Order is being processed"),
        (4, g.ACCEPTED, None),
        (5, g.ACCEPTED, None),
    ]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 230), bad=st.sets(st.integers(1, 230), max_size=6))
def test_every_order_is_settled_once_and_accepted_by_one_call_at_most(n, bad):
    panel = Panel(bad=bad)
    settled = settle(panel, range(1, n + 1))
    results = [r for s in settled for r in s.results()]
    assert [o for o, _, _ in results] == list(range(1, n + 1))
    assert {o for o, r, _ in results if r == g.REFUSED} == bad & set(range(1, n + 1))
    answered = [o for c in panel.calls if not bad.intersection(c) for o in c]
    assert len(answered) == len(set(answered))  # never canceled twice
    assert len(panel.calls) <= 2 * n - 1


def test_a_panel_without_cancel_is_not_split():
    panel = Panel(bad={1}, lacking=True)
    (settled,) = settle(panel, [1, 2, 3])
    assert (settled.kind, settled.lacking, len(panel.calls)) == (g.REFUSED_WHOLE, True, 1)
    assert settled.results() == [(o, g.REFUSED, "Order is being processed") for o in (1, 2, 3)]


def test_a_refusal_while_the_witness_fails_is_nobodys_and_not_split():
    panel = Panel(bad={1}, verdict="unsure")
    (settled,) = settle(panel, [1, 2, 3])
    assert (settled.kind, settled.results(), len(panel.calls)) == (g.UNSURE, [], 1)


def test_a_key_refused_settles_every_order_left_and_sends_nothing_more():
    panel = Panel(bad=set(range(1, 300)), verdict="key")
    (settled,) = settle(panel, range(1, 251))
    assert settled.kind == g.KEY and isinstance(settled.error, AuthError)
    assert settled.order_ids == tuple(range(1, 251)) and len(panel.calls) == 1
    assert settled.results() == []


def test_busy_words_are_no_refusal_and_not_resent():
    panel = Panel()
    calls = iter([PanelAnswerError("Too many requests")])

    def send(group: list[int]) -> list[CancelResult]:
        panel.calls.append(list(group))
        error = next(calls, None)
        if error is not None:
            raise error
        return [CancelResult(order_id=o, ok=True) for o in group]

    settled = list(g.cancel_in_groups(range(1, 151), send, panel))
    assert [(s.kind, len(s.order_ids)) for s in settled] == [(g.BUSY, 100), (g.ANSWERED, 50)]
    assert settled[0].results() == [] and len(panel.calls) == 2


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TransientError("connection refused"), g.NOT_SENT),
        (OutcomeUnknownError("outcome unknown — check the panel"), g.LOST),
        (BadAnswerError("expected a list for cancel, got str"), g.LOST),
    ],
)
def test_a_call_without_a_usable_answer_is_sent_once(error, kind):
    panel = Panel(fail=lambda n: error)
    settled = settle(panel, [1, 2])
    assert [s.kind for s in settled] == [kind] and len(panel.calls) == 1
    expected = [(1, g.UNKNOWN, error.detail), (2, g.UNKNOWN, error.detail)]
    assert settled[0].results() == (expected if kind == g.LOST else [])


def test_a_stop_sends_nothing_more():
    panel = Panel(fail=lambda n: StopRequested("stopping: request not sent"))
    (settled,) = settle(panel, range(1, 151))
    assert settled.kind == g.STOPPED and settled.order_ids == tuple(range(1, 151))
    stopped = Panel()
    (settled,) = settle(stopped, [1, 2], stopped=lambda: True)
    assert settled.kind == g.STOPPED and stopped.calls == []


def test_an_answer_item_says_yes_no_or_neither():
    def send(group: list[int]) -> list[CancelResult]:
        return [
            CancelResult(order_id=1, ok=True),
            CancelResult(order_id=2, ok=False),
            CancelResult(order_id=3, ok=False, error="odd", unknown=True),
        ]

    (settled,) = g.cancel_in_groups([1, 2, 3, 4], send, Panel())
    assert settled.results() == [
        (1, g.ACCEPTED, None),
        (2, g.REFUSED, "refused"),
        (3, g.UNKNOWN, "odd"),
        (4, g.UNKNOWN, g.NOT_IN_ANSWER),
    ]
