"""What a whole-answer refusal means: the key refused, this call refused, or
an action the panel lacks. Told apart by asking the panel another action (a
witness), as :class:`tracker.panel.client.PanelClient` does through this base.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog

from tracker.errors import AuthError, PanelAnswerError, PanelError
from tracker.panel import refusals
from tracker.panel.parse_account import parse_balance, parse_services
from tracker.panel.settings import P
from tracker.panel.whole_calls import WholeCalls
from tracker.panel.wrong_url import names_wrong_url

log = structlog.get_logger("tracker.client")

# A witness that answered normally vouches for the key this long: a batch being
# split asks balance once, not once per refused half.
WITNESS_TTL = 60.0
# An action no panel has: its answer is the panel's words for "no such action".
NO_SUCH_ACTION = "smm_tracker_no_such_action"
# What the metrics call that question (``action="probe"``): a made-up action
# name on a dashboard reads as something the tracker asked the panel to do.
NO_SUCH_ACTION_LABEL = "probe"


class WholeCallRefused(PanelAnswerError):
    """A whole-answer error to a call while the panel answers other calls normally:
    something in this call (an ID, a field) provoked it."""


class Witnessed(WholeCalls[P]):
    """A transport that can tell what a panel's whole-answer refusal means."""

    _witness_ok_until = 0.0  # monotonic: until then the key is known to work
    _unknown_action: str | None = None  # the panel's answer to an action it lacks
    _probe_failed_until = 0.0  # monotonic: until then that question is not asked again
    _no_balance = False  # the panel lacks ``balance``: ``services`` is every call's witness
    _key_words_told = False  # key_refused_unknown_wording told, the key not accepted since

    def __init__(self, panel: P, **kwargs: Any):  # Transport's other arguments
        super().__init__(panel, **kwargs)
        self._unanswered = threading.local()  # per thread: a witness unanswered, and why

    @property
    def unanswered_witness(self) -> tuple[str, str] | None:
        """The action this thread last asked as a witness and why it got no
        answer (a timeout, a dropped connection, an answer not its action's:
        a broken panel's ``{}``), or None: it answered, or
        none was asked. Its refusal then means nothing known: not the key,
        not a missing action (``doctor`` says so)."""
        return getattr(self._unanswered, "last", None)

    def key_refusal_told(self, told: bool = True) -> None:
        """Whether the key's refusal was told (by this process, or by an
        earlier ``run --once``: ``auth_failed`` open): ``key_refused_unknown_wording``
        then at debug, until the key is accepted (``told`` False)."""
        with self._warn_lock:
            self._key_words_told = told

    def lacks_balance(self) -> None:
        """The panel is known to have no ``balance`` action (learned, maybe by
        another process): refusals are witnessed by ``services`` from now on,
        a balance refused in the same generic words being no sign of the key."""
        self._no_balance = True

    def has_balance(self) -> None:
        """The panel answered ``balance``: it is every refusal's witness again
        (a script updated, a URL changed since it was learned missing)."""
        self._no_balance = False

    def _witness_for(self, action: str) -> str:
        """The action asked to tell what a refusal of ``action`` means: never
        ``action`` itself, which says the same again whatever it meant (a
        ``services`` refusal in its own words was taken for the key's on a
        panel without balance, pausing the panel)."""
        if action in ("balance", "services"):
            return "services" if action == "balance" else "balance"
        return "services" if self._no_balance else "balance"

    def refusal(self, action: str, exc: PanelAnswerError) -> PanelAnswerError:
        """Given a whole-answer error to ``action``, return what it means.

        A known key phrasing is an AuthError already. Otherwise another action
        is asked (``balance``; for ``balance`` itself, or on a panel without
        it, ``services``; for ``services``, ``balance`` always): the same
        words there make it a refusal of the key (AuthError); any other answer
        means the panel works and this call provoked the refusal
        (WholeCallRefused). When the witness fails too, the error is returned
        as it is: a panel failure, never an order's.
        """
        self._unanswered.last = None
        if isinstance(exc, AuthError | WholeCallRefused):
            return exc
        if refusals.is_panel_fault(exc.detail):  # its server failed: the same words
            return exc  # on any action are no sign of the key, nor of this call
        verdict = self._witness(self._witness_for(action), exc.detail)
        if verdict == "key" and names_wrong_url(exc.detail):
            return exc  # every action answers a 404 (405, a redirect): the URL, not the key
        if verdict == "key":  # told once the key's episode, not at each call refused
            with self._warn_lock:
                told, self._key_words_told = self._key_words_told, True
            said = log.debug if told else log.warning
            said("key_refused_unknown_wording", panel=self.name, answer=exc.detail)
            return AuthError(exc.detail, status=exc.status)
        if verdict == "ok":
            return WholeCallRefused(exc.detail, status=exc.status)
        return exc

    def refused_as_missing(self, action: str, words: str) -> bool:
        """Return True when ``words``, a refusal of ``action``, is what the panel
        answers an action that does not exist, while the key works: nothing
        told nor changed (one such refusal may be a flaky panel's: the refill
        and balance jobs learn the action missing at the second)."""
        if self._witness(self._witness_for(action), words) != "ok":
            return False
        return self._no_such_action(words)

    def found_missing(self, action: str, words: str, *, quiet: bool = False) -> None:
        """The panel has no ``action``: told at warning (at debug when
        ``quiet``: known already, asked again); without ``balance``,
        ``services`` is every refusal's witness from now on."""
        told = log.debug if quiet else log.warning
        told("action_unsupported", panel=self.name, action=action, answer=words)
        if action == "balance":
            self.lacks_balance()

    def _no_such_action(self, words: str) -> bool:
        """Return True when ``words`` are what the panel answers an action that
        does not exist (asked once per process; a failed question, False)."""
        if self._unknown_action is None:
            with self._warn_lock:
                if time.monotonic() < self._probe_failed_until:
                    return False
            try:
                data = self._call(NO_SUCH_ACTION)
            except PanelError:
                # Failed after its retries: not asked again for WITNESS_TTL. A
                # cancel split in halves asked it at every level, each time
                # through every retry (52 s for `cancel` of 4 orders).
                with self._warn_lock:
                    self._probe_failed_until = time.monotonic() + WITNESS_TTL
                return False
            self._unknown_action = refusals.error_text(data) or ""
        same = " ".join(words.lower().split()) == " ".join(self._unknown_action.lower().split())
        return same and bool(self._unknown_action)

    def _witness(self, action: str, words: str) -> str:
        """Ask ``action``; return "key" when it is refused with ``words`` (or a known
        key phrasing), "ok" when it answers as that action answers, "unsure" when
        it fails or answers something else: a broken panel's ``{}`` vouches for no
        key (taken for "ok", a key refused in free words was learned a missing
        ``balance`` and the panel its key refused resumed)."""
        self._unanswered.last = None
        with self._warn_lock:
            if time.monotonic() < self._witness_ok_until:
                return "ok"
        try:
            data = self._call(action)
        except PanelError as exc:
            if not isinstance(exc, PanelAnswerError):  # no answer at all, not words
                self._unanswered.last = (action, exc.detail)
            return "unsure"
        said = refusals.error_text(data)
        if said is not None and refusals.is_key_refusal(said):
            return "key"
        if said is not None and said == words:
            if action == "balance" and self._no_such_action(words):
                # The words it gives every action it lacks, balance among them:
                # the key's refusal only if ``services`` is refused too.
                return self._witness("services", words)
            return "key"
        try:  # other words: the panel judged this call; no words: read as the action's
            if said is None:
                (parse_balance if action == "balance" else parse_services)(data)
        except PanelError as exc:  # no readable answer: as good as none
            self._unanswered.last = (action, exc.detail)
            return "unsure"
        with self._warn_lock:
            self._witness_ok_until = time.monotonic() + WITNESS_TTL
        return "ok"
