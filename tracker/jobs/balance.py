"""The balance job: a panel's balance → ``balances`` → low-balance alerts.

Wiring only: :mod:`tracker.rules.balance` decides (hysteresis, runway),
:mod:`tracker.store.alerts` stores, :class:`tracker.alerts.alerter.Alerter` raises.
The same call doubles as the probe that resumes a panel paused because its
key was refused (see :mod:`tracker.jobs.watch`).

A panel script without ``balance`` (it answers it as it answers an action that
does not exist, while ``services`` works: :meth:`PanelClient.refused_as_missing`,
at two checks in a row: :mod:`tracker.jobs.refused_once`) is
learned in ``panel_capabilities``, told once (``action_unsupported``), and its
job asks no more but once a day (:func:`tracker.rules.capabilities.balance_due_again`),
or at once when the panel's URL is another than the one it was learned at;
a paused panel is probed with ``services`` meanwhile.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn, Protocol

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import Clock
from tracker.config.model import Config
from tracker.errors import AuthError, JobPaused, PanelAnswerError, PanelError, StopRequested
from tracker.jobs.balance_low import balance_alert, judged_by, runway_for
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.jobs.steps import Looks
from tracker.panel.client import PanelClient
from tracker.panel.witness import WholeCallRefused
from tracker.rules.alerts import AUTH_FAILED
from tracker.rules.balance import (
    BALANCE_LOW,
    BALANCE_RECOVERED,
    judge_balance,
    runway_value,
)
from tracker.rules.capabilities import BALANCE, balance_due_again, refused_once, silent_witness
from tracker.rules.clocksteps import Gap
from tracker.rules.episodes import Alert, Episode
from tracker.rules.failing_jobs import BALANCE_FAILED
from tracker.rules.money import same_currency
from tracker.rules.quirks import CURRENCY_TWICE
from tracker.store.alerts import latest_balance, record_balance
from tracker.store.capabilities import holds, learn, unsupported_actions
from tracker.store.orders import Store
from tracker.store.told_marks import failing, told_once

log = structlog.get_logger("tracker.balance")


class AuthGate(Protocol):
    """What the job tells about the key: refused, or accepted (resume the panel);
    and an action the panel turned out to lack."""

    paused: set[str]  # panels whose jobs wait for the key to be accepted

    def auth_refused(self, panel: str, error: str) -> None: ...

    def auth_accepted(self, panel: str) -> None: ...

    def key_unproven(self, panel: str) -> bool: ...

    def on_unsupported(self, panel: str, action: str, words: str) -> None: ...


def _same(before: dict[str, Any], balance: Decimal, currency: str | None) -> bool:
    """Whether ``balance`` is the last one stored (``before``, as a float), in its currency."""
    return same_currency(before["currency"], currency) and before["balance"] == float(balance)


def check_balance(
    client: PanelClient,
    store: Store,
    alerter: Alerter,
    gate: AuthGate,
    *,
    config: Config,
    clock: Clock,
    looks: Looks | None = None,
) -> bool:
    """Fetch, store and judge one panel's balance; return True when it was fetched.

    A refused key is reported to ``gate`` (which pauses the panel) and
    JobPaused is raised: no failure, whether it begins the pause or goes on. Any answer that
    is not a refusal tells ``gate`` the key works again.
    ``looks`` (None: the clock alone) tells the clock's steps and sleeps
    between two checks, left out of ``balance_recovered``'s time.

    A failure (``balance_failed``) is told once per run of failed jobs,
    and so are its calls' ``panel_retry`` (:mod:`tracker.store.told_marks`,
    kept in ``alert_state``: across ``run --once`` runs too), then at
    debug: the panel's answers to other calls between two jobs, or the
    balance call's own (refused in words whose witness got no answer),
    began "told once an outage" afresh at each job.
    """
    failed: list[str] = []  # the job's failure, when it ends so
    name = client.panel.name
    with client.failure_told(failing(store, name, BALANCE_FAILED)):
        done = _check(client, store, alerter, gate, config, clock, looks, failed)
    told = told_once(store, name, BALANCE_FAILED, bool(failed), clock())
    for error in failed:  # an outage told by this process: at debug too
        told = client.told_before(error, BALANCE_FAILED) or told
        (log.debug if told else log.error)(BALANCE_FAILED, panel=name, error=error)
    return done


def _check(
    client: PanelClient,
    store: Store,
    alerter: Alerter,
    gate: AuthGate,
    config: Config,
    clock: Clock,
    looks: Looks | None,
    failed: list[str],
) -> bool:
    """:func:`check_balance`'s job; a failure's words put in ``failed``,
    told by the caller."""
    panel = client.panel
    paused = panel.name in gate.paused  # a refusal now is the pause going on
    # Learned missing at its URL now: one learned at another URL no longer
    # holds; nor one learned with another key, while that key is not refused.
    unproven = not paused and gate.key_unproven(panel.name)
    rows = [] if unproven else unsupported_actions(store, panel.name)
    lacking = [r for r in rows if r["action"] == BALANCE]
    missing = [r for r in lacking if holds(r, panel.url)]
    if missing:
        client.lacks_balance()  # its refusal is no witness of the key
        if not balance_due_again(missing[0]["learned_at"], clock()):
            return _without_balance(client, gate, alerter, paused)
    try:
        answer = client.balance()
    except AuthError as exc:
        _refused(gate, panel.name, exc.detail, paused)
    except StopRequested:
        raise  # not a failure: the daemon reports the stop
    except PanelError as exc:
        # Refused in words whose witness got no answer (a timeout): nothing
        # known of the key, nothing resumed; the failure is the panel's silence.
        unanswered = client.unanswered_witness if type(exc) is PanelAnswerError else None
        if isinstance(exc, PanelAnswerError) and unanswered is None:
            gate.auth_accepted(panel.name)  # it answered, and not with a refusal
        error = str(exc)
        if isinstance(exc, WholeCallRefused) and client.refused_as_missing(BALANCE, exc.detail):
            # Learned at the second such refusal in a row: one may be a flaky panel's.
            known, url = bool(missing), panel.url
            # The first is told by balance_failed (check_balance), not at debug too.
            if second_refusal(
                store, panel.name, BALANCE, clock(), known=known, url=url, key=panel.key
            ):
                client.found_missing(BALANCE, exc.detail, quiet=bool(missing))
                learn(
                    store, panel.name, BALANCE, False, exc.detail, clock(), url=url, key=panel.key
                )
                if not missing:  # told once: a day's check finding it still missing is not news
                    gate.on_unsupported(panel.name, BALANCE, exc.detail)
                return True
            error = f"{panel.name}: {refused_once(BALANCE, exc.detail)}"
        if unanswered is not None:
            error = f"{panel.name}: balance: {silent_witness(exc.detail, *unanswered)}"
        failed.append(error)  # told once a run of them: see check_balance
        return False
    gate.auth_accepted(panel.name)
    succeeded(
        store, panel.name, BALANCE, panel.url
    )  # a first refusal in a missing action's words forgotten
    if lacking:  # a script updated, a URL changed: its balance is fetched again
        said = "balance answered"
        learn(store, panel.name, BALANCE, True, said, clock(), url=panel.url, key=panel.key)
        log.info("balance_supported_again", panel=panel.name)
    key = f"balance:{panel.name}"
    now, step = looks.step(key) if looks else (clock(), Gap())
    if answer.currencies:  # "currency" given twice, differently: stored as none
        told = "|".join(answer.currencies)
        client.tell_quirk(
            CURRENCY_TWICE, f"currency_twice:{told}", currencies=list(answer.currencies)
        )
    before = latest_balance(store, panel.name)
    was = before["currency"] if before else None
    if was and answer.currency and not same_currency(was, answer.currency):
        # The low threshold is a number in the panel's currency: say that it
        # now compares against another one (the runway starts afresh).
        log.warning(
            "balance_currency_changed",
            panel=panel.name,
            before=was,
            now=answer.currency,
            low=str(config.balance_low(panel)),
        )
    record_balance(store, panel.name, now, answer.balance, answer.currency)
    runway = runway_for(store, panel.name, answer.balance, now, answer.currency)
    low = config.balance_low(panel)
    margin, remind = config.balance.recover_margin, config.balance.remind
    low_key = "balance.low"  # the key that sets the threshold: said by a lowered one's end
    if panel.balance_low is not None:
        low_key = f"panels[{config.index(panel.name)}].balance_low"

    def judge(episode: Episode) -> tuple[Episode, Alert | None]:
        gaps = looks.inside(key, episode.active, step) if looks else Gap()
        after, kind = judge_balance(
            episode, answer.balance, low, margin=margin, remind=remind, now=now
        )
        if kind is None:
            return after, None
        # A recovery reports how long the episode that just closed lasted,
        # and whether the config's lowered threshold ended it, not the balance.
        shown = episode if after.since is None else after
        before = None
        if kind == BALANCE_RECOVERED:
            before = judged_by(store, panel.name, episode.since, low_key)
        alert = balance_alert(
            panel.name, kind, answer, low, margin, shown, runway, now, gaps, before
        )
        return after, alert

    alerter.update(panel.name, BALANCE_LOW, judge)
    same = before is not None and _same(before, answer.balance, answer.currency)
    (log.debug if same else log.info)(  # a balance as it was: nothing new
        "balance_checked",
        panel=panel.name,
        balance=str(answer.balance),
        currency=answer.currency,
        runway=runway_value(runway.describe(answer.currency)),  # runway="unknown (...)"
    )
    return True


def _refused(gate: AuthGate, panel: str, error: str, paused: bool) -> NoReturn:
    """The panel refused the key to the probe: tell ``gate`` (which pauses the
    panel) and raise JobPaused, whether the refusal begins the pause (as the
    poll's or the catalogue's would, whichever asked first) or the probe began
    on the panel ``paused`` already: the pause going on (``job_paused_total``),
    not a job failing (``job_failures_total``, STATUS='s ``failing:``)."""
    gate.auth_refused(panel, error)
    if paused:
        raise JobPaused(f"{panel}: still paused, the panel refused the key again")
    raise JobPaused(f"{panel}: paused, the panel refused the key")


def _without_balance(client: PanelClient, gate: AuthGate, alerter: Alerter, paused: bool) -> bool:
    """The job of a panel without ``balance``: nothing to fetch; a panel paused
    for its key is probed with ``services`` instead, which resumes it once
    answered without a refusal of the key, and so is one whose ``auth_failed``
    is open (from before a restart or reload: the pause is not kept), which
    that answer ends. Return True unless that probe failed (a refusal of
    the key raising JobPaused; ``paused``: the panel was when the job began)."""
    name = client.panel.name
    refused = alerter.episode(name, AUTH_FAILED)
    if name not in gate.paused and not (refused and refused.active):
        log.debug("balance_unsupported", panel=name)
        return True
    try:
        client.services()
    except AuthError as exc:
        _refused(gate, name, exc.detail, paused)
    except StopRequested:
        raise
    except PanelError as exc:
        if not isinstance(exc, PanelAnswerError):  # an outage: told once
            told = log.debug if client.told_before(str(exc), "key_probe_failed") else log.error
            told("key_probe_failed", panel=name, error=str(exc))
            return False
    gate.auth_accepted(name)
    return True
