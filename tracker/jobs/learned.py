"""What is stored of a panel's script told to its client, and what a client
found out stored (``panel_capabilities``), so every process starts from it.

Two things a client holds for the process: the panel has no ``balance``
(refusals are witnessed by ``services``: :meth:`PanelClient.lacks_balance`),
and it reads no ``orders=`` in a status call (statuses asked one order at a
time: ``multi_status``). Each is told from the rows that hold at the panel's
URL now (:func:`tracker.store.capabilities.learned_rows`): one learned at
another URL is asked again at once. The one-order-at-a-time row is kept a day
(:func:`tracker.rules.capabilities.due_again`): then ``orders=`` is tried
again, and stored again as the poll finds it: by a new process, and by the
daemon's next poll once the day has passed (:func:`try_multi_again`).

Each row keeps a mark of the key it was learned with (never the key:
:mod:`tracker.store.key_marks`). A process whose key has another mark (the
key changed between two ``run --once``, or across a restart) forgets the
panel's rows, as a reload that changes the key does, once the panel answers
it with its key (:func:`forget_learned`, called by the key's gate): a key
mistyped, refused, forgets nothing. Meanwhile its jobs are due at once and
its balance job asks ``balance`` whatever was learned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from tracker.errors import StoreError
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.panel.client import PanelClient
from tracker.rules.capabilities import BALANCE, STATUS_ORDERS, due_again, evidence
from tracker.store.capabilities import (
    forget,
    forget_refusals,
    key_marks,
    learn,
    learned_rows,
    mark_all,
)
from tracker.store.job_runs import forget_runs
from tracker.store.key_marks import key_mark, marks_key

log = structlog.get_logger("tracker.capabilities")


def tell_client(store: Any, client: PanelClient[Any], now: datetime) -> bool:
    """Given a panel's client (a new process's, a reload's), tell it what is
    stored of its panel at its URL: no balance action; statuses read one
    order at a time, until a day after that was learned. Return True when
    it was learned with another key (:func:`_rekeyed`): forgotten once the
    panel answers this one."""
    rekeyed = _rekeyed(store, client)
    for row in learned_rows(store, client.name, client.panel.url):
        if row["supported"]:
            continue
        if row["action"] == BALANCE:
            client.lacks_balance()
        elif row["action"] == STATUS_ORDERS and not due_again(row["learned_at"], now):
            client.multi_status = False
            log.debug("multi_status_unsupported_known", panel=client.name, since=row["learned_at"])
    return rekeyed


def _rekeyed(store: Any, client: PanelClient[Any]) -> bool:
    """Given a panel's client, return True when its panel's rows (at its URL)
    were learned with another key, a mark not its key's: its jobs' last runs
    are deleted (due at once). Else every row is given the one mark of its
    key, if it is not so yet (one written before m040 holds, as it did): the
    next process makes one mark. A panel with no rows costs no mark. A write
    the database refuses is made by the next process."""
    marks = key_marks(store, client.name, client.panel.url)
    if not marks:
        return False
    key = client.panel.key
    read = {mark: marks_key(mark, key) for mark in sorted({m for m in marks if m})}
    other = False in read.values()
    try:
        if other:
            forget_runs(store, client.name)
        elif set(marks) != set(same := [m for m, ours in read.items() if ours][:1]):
            mark_all(store, client.name, same[0] if same else key_mark(key))  # a NULL, two marks
    except StoreError as exc:
        log.warning("key_mark_unsaved", panel=client.name, error=str(exc))
    return other


def told_once_answered(store: Any, client: PanelClient[Any], now: datetime) -> Callable[[], None]:
    """A one-shot command's client (``refill ID``, ``cancel``, ``services
    --refresh``): tell it what is stored of its panel (:func:`tell_client`)
    and return what the command calls once its own call is answered with the
    panel's key, before it judges the answer: when the rows were learned
    with another key, they and its first refusals are forgotten then
    (:func:`forget_proven`), as the daemon and ``run --once`` forget them;
    a key refused, a call unanswered, forgets nothing."""
    rekeyed = [tell_client(store, client, now)]

    def answered() -> None:
        if rekeyed[0]:  # once: forgotten, nothing more to forget
            rekeyed[0] = False
            forget_proven(store, client)

    return answered


def forget_proven(store: Any, client: PanelClient[Any]) -> None:
    """The panel answered its key, what was learned of it learned with
    another key: forgotten (:func:`forget_learned`); a write the database
    refuses is told (``key_mark_unsaved``) and left to the next process,
    which finds the rows so again."""
    try:
        forget_learned(store, client)
    except StoreError as exc:
        log.warning("key_mark_unsaved", panel=client.name, error=str(exc))


def forget_learned(store: Any, client: PanelClient[Any]) -> None:
    """The panel's key changed at the same URL (another account, maybe on
    another script version: a reload's, or one whose rows' key marks are
    not its key's, answered): what is stored of its script is forgotten and
    its client knows nothing of it: every action asked again, as at a new
    URL. So are its first refusals waiting for a second
    (:mod:`tracker.jobs.refused_once`): an action refused once with the old
    key is refused once, not twice, when the new key is refused it."""
    actions = forget(store, client.name)
    why = "key changed"
    if refusals := forget_refusals(store, client.name):
        log.info("first_refusals_forgotten", panel=client.name, count=refusals, reason=why)
    if actions:
        log.info("capabilities_forgotten", panel=client.name, actions=actions, reason=why)
    client.has_balance()
    client.multi_status = True


def try_multi_again(store: Any, client: PanelClient[Any], now: datetime) -> None:
    """Before a poll: a client asking one order at a time (proven by this
    process, or told at its start) tries ``orders=`` again once a day has
    passed since that was stored, as a new process would; a long-running
    daemon kept the mode until restarted. Nothing stored of it (not yet):
    nothing to count from, the mode kept."""
    if client.multi_status:
        return
    held = [r for r in learned_rows(store, client.name, client.panel.url) if not r["supported"]]
    for row in held:
        if row["action"] == STATUS_ORDERS and due_again(row["learned_at"], now):
            client.multi_status = True  # proven again, or answered: stored after the poll
            log.debug("multi_status_tried_again", panel=client.name, since=row["learned_at"])


def store_status_mode(store: Any, client: PanelClient[Any], now: datetime) -> None:
    """After a poll: store what it proved of the panel's status calls. It
    reads ``order=`` alone (the words it refused ``orders=`` in kept), at
    the second poll proving it with no ``orders=`` answered between (one
    refusal may be a flaky panel's: the next poll tries ``orders=`` again,
    :mod:`tracker.jobs.refused_once`), or at once when it was stored so and
    tried again after a day; or it answered ``orders=`` where that was
    stored as unread (a script updated, the day passed): marked supported
    again."""
    url = client.panel.url
    held = [r for r in learned_rows(store, client.name, url) if not r["supported"]]
    known = any(r["action"] == STATUS_ORDERS for r in held)
    if client.single_only is not None:
        words = client.single_only
        # The first is told below (multi_status_refused_once), not at debug too.
        if second_refusal(
            store, client.name, STATUS_ORDERS, now, known=known, url=url, key=client.panel.key
        ):
            key = client.panel.key
            learn(store, client.name, STATUS_ORDERS, False, evidence(words), now, url=url, key=key)
            log.warning("multi_status_unsupported", panel=client.name, answer=words)
        else:  # the first: ``orders=`` asked again at the next poll
            client.multi_status = True
            note = "orders= refused once, tried again at the next poll"
            log.info("multi_status_refused_once", panel=client.name, answer=words, note=note)
        client.single_only = None  # stored: not written at every poll
        return
    if not client.reads_multi:
        return
    succeeded(store, client.name, STATUS_ORDERS, url)  # a first refusal forgotten
    if known:
        said = "orders= answered"
        learn(store, client.name, STATUS_ORDERS, True, said, now, url=url, key=client.panel.key)
        log.info("multi_status_supported_again", panel=client.name)
