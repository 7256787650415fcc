"""The panel calls behind ``smm-tracker doctor``: each configured panel asked
its balance once, all at once, each within its own quick deadline; its answer
judged into its line by :mod:`tracker.rules.doctor` (a panel without
``balance``: :mod:`tracker.rules.balance_doctor`)."""

from __future__ import annotations

import threading
from collections.abc import Collection

from tracker.config.model import PanelConfig
from tracker.errors import (
    AuthError,
    PanelAnswerError,
    PanelError,
    RateLimitedError,
    TransientError,
)
from tracker.panel.client import PanelClient
from tracker.panel.fixes import refused_hint, unserved_hint, web_page_hint
from tracker.panel.witness import WholeCallRefused
from tracker.panel.wrong_url import names_wrong_url
from tracker.redact.scrub import register_secret
from tracker.rules.balance_doctor import (
    balance_refused_once_check,
    no_balance_check,
    unjudged_refusal,
)
from tracker.rules.doctor import Check, panel_check
from tracker.rules.not_answering import key_place, refused_key_hint

# One quick answer is what doctor wants, not the daemon's patient retries.
DOCTOR_TIMEOUT = 15.0
DOCTOR_RETRY_BUDGET = 10.0


def call_panels(
    panels: dict[int, PanelConfig], no_balance: Collection[str] = ()
) -> dict[int, Check]:
    """Given panels by their index in the config (and the names of those the
    database holds learned without ``balance`` at their URL now), ask them
    all at once (each within its own deadline) and return their checks by
    index: a config with three panels down took three deadlines. Daemon
    threads: a Ctrl-C is not held up by a panel that does not answer."""
    found: dict[int, Check] = {}

    def ask(index: int, panel: PanelConfig) -> None:
        try:
            found[index] = call_panel(panel, index, learned=panel.name in no_balance)
        except Exception as exc:  # a bug, not the panel's answer: one line all the same
            found[index] = panel_check(
                panel.name, panel.key_source, error=f"{type(exc).__name__}: {exc}"
            )

    threads = [
        threading.Thread(target=ask, args=item, name=f"doctor-{item[1].name}", daemon=True)
        for item in panels.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def call_panel(panel: PanelConfig, index: int = 0, *, learned: bool = False) -> Check:
    """Given a panel with its key (``panels[index]``), ask its balance once;
    return the panel's check. Refused in a missing action's words, it has no
    balance action when so ``learned`` already; else that refusal alone may
    be a flaky panel's (the jobs learn it at the second in a row)."""
    register_secret(panel.key.reveal())
    quick = panel._replace(
        timeout=min(panel.timeout, DOCTOR_TIMEOUT),
        retries=min(panel.retries, 1),
        retry_budget=min(panel.retry_budget, DOCTOR_RETRY_BUDGET),
    )
    client = PanelClient(quick)
    try:
        balance = client.balance()
    except PanelError as exc:
        if isinstance(exc, WholeCallRefused) and client.refused_as_missing("balance", exc.detail):
            if learned:
                return no_balance_check(panel.name, panel.key_source, exc.detail)
            return balance_refused_once_check(panel.name, panel.key_source, exc.detail)
        hint = web_page_hint(exc.detail, exc.status, index, url=panel.url)
        if hint is None and isinstance(exc, TransientError):  # no answer: not the panel's words
            hint = refused_hint(exc.detail, exc.status, index)
        if hint is None and names_wrong_url(exc.detail):  # a web server's 404, not the panel's
            hint = unserved_hint(exc.detail, exc.status, index, url=panel.url)
        if hint is None and isinstance(exc, AuthError):  # the fix, not the panel's words alone
            hint = refused_key_hint(key_place(index, panel.key_field, panel.key_source))
        error = f"{exc.detail}; {hint}" if hint else exc.detail
        unanswered = client.unanswered_witness  # its refusal's meaning not learned
        if type(exc) is PanelAnswerError and unanswered is not None:
            error = unjudged_refusal(exc.detail, *unanswered)
        limited = isinstance(exc, RateLimitedError)
        error = _own_deadline(error, quick.timeout, panel.timeout)
        return panel_check(panel.name, panel.key_source, error=error, limited=limited)
    finally:
        client.close()
    return panel_check(
        panel.name, panel.key_source, balance=balance.balance, currency=balance.currency
    )


def _own_deadline(error: str, quick: float, configured: float) -> str:
    """Given a failed call's words and doctor's deadline, shorter than the
    panel's ``timeout``, return them saying whose deadline ran out: "no answer
    within 15s" read as the panel's timeout while the daemon waits 20s."""
    if quick >= configured:
        return error
    ours = f"within doctor's {quick:g}s (the daemon waits the panel's timeout, {configured:g}s)"
    return error.replace(f"within {quick:g}s", ours)


def said_key(index: int, panel: PanelConfig, check: Check) -> bool:
    """Given ``panels[index]`` and its check from :func:`call_panel`, return
    whether its line says a refused key's fix (where the config sets the key):
    doctor's line of its open ``auth_failed`` episode then says it no more."""
    place = key_place(index, panel.key_field, panel.key_source)
    return check.failed and refused_key_hint(place) in check.detail
