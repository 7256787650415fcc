"""The API v2 client: one per panel, a method per action, answers parsed.

The HTTP, retries and answer checks live in :mod:`tracker.panel.transport`;
what a whole-answer refusal means (the key, this call, no such action) in
:mod:`tracker.panel.witness`; the status calls in :mod:`tracker.panel.status_calls`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    BadAnswerError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
)
from tracker.panel import (
    large_answers,
    parse,
    parse_account,
    parse_cancels,
    parse_refill_status,
    parse_refills,
    refill_words,
    refusals,
)
from tracker.panel.error_words import flag_alone
from tracker.panel.ids import gives_id, to_id
from tracker.panel.models import (
    Balance,
    CancelResult,
    NewOrder,
    PlacedId,
    RefillRequest,
    RefillStatus,
    Service,
)
from tracker.panel.plain_words import WordsAlone
from tracker.panel.script_shapes import wrapped
from tracker.panel.settings import P
from tracker.panel.status_calls import MAX_IDS, StatusCalls
from tracker.panel.transport import CallObserver
from tracker.panel.witness import WholeCallRefused

log = structlog.get_logger("tracker.client")

__all__ = ["MAX_IDS", "CallObserver", "PanelClient", "WholeCallRefused"]


class PanelClient(StatusCalls[P]):
    """Given a panel's settings, talk API v2 to it for the process lifetime: one
    method per action, answers parsed into :mod:`tracker.panel.models` values."""

    def _parsed(self, action: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except PanelError as exc:
            raise self._tag(exc, action) from None

    # --- actions -------------------------------------------------------------

    def services(self) -> list[Service]:
        """Return the panel's services ("No services available" is an empty list).

        A large answer is read and parsed holding the process's one slot
        (:mod:`tracker.panel.large_answers`): memory stays bounded."""
        with large_answers.kept():
            data: Any = None
            try:
                data = self._call("services")
                return self._refusable("services", parse_account.parse_services, data)
            except PanelError as exc:  # its traceback's frames hold the decoded answer
                data = None
                raise exc.with_traceback(None) from None

    def balance(self) -> Balance:
        answer = self._refusable("balance", parse_account.parse_balance, self._call("balance"))
        self.has_balance()  # answered: learned missing or not, it witnesses refusals again
        return answer

    def add(self, order: NewOrder) -> PlacedId:
        """Place an order; return its ID (the words beside it that read as a
        refusal in ``also_said``). Never resent once it may have arrived."""
        data = self._call("add", order.form(), idempotent=False)
        try:
            return self._parsed("add", parse.parse_add, data)
        except PanelAnswerError:
            raise  # the panel's own refusal: nothing was placed
        except BadAnswerError as exc:  # it took the request but named no order
            raise OutcomeUnknownError.because(exc.detail, panel=self.name, action="add") from None

    def _check_acted(
        self,
        action: str,
        results: Sequence[RefillRequest | CancelResult],
        asked: int,
        status: int | None = None,
    ) -> None:
        """Given the results of a ``refill`` or ``cancel`` call (not resent):
        raise AuthError when every asked order's item refuses the key (nothing
        was done), never for busy words (said after acting, maybe) nor beside
        a refill ID or a yes (an unknown outcome: it may have been done)."""
        if len(results) == asked:
            errors = [None if r.unknown else r.error for r in results]
            self._check_whole(action, errors, False, status)  # its code, as data

    def _judged(
        self, action: str, data: Any, names_it: Callable[[str], bool]
    ) -> PanelAnswerError | None:
        """Given the answer to a one-ID ``action``, return None unless it is a
        whole-answer error without a refill ID, in words neither about what was
        asked (``names_it``) nor a known key phrasing (the parser's AuthError);
        then what :meth:`refusal` makes of it, raising AuthError for the key."""
        words = refusals.error_text(data)
        if words is None or names_it(words) or refusals.is_key_refusal(words):
            return None
        if flag_alone(data):  # {"error": true}: no words to judge, the parser's unknown
            return None
        if gives_id(to_id, data.get("refill")) or refusals.error_names_refill(data):
            return None  # an ID beside the error, or for it: the parser's unknown outcome
        verdict = self.refusal(action, PanelAnswerError(words, status=refusals.answer_status(data)))
        if isinstance(verdict, AuthError):
            raise self._tag(verdict, action)
        return verdict

    def refill(self, order_id: int) -> RefillRequest:
        """Ask for one order's refill; never resent once it may have arrived. A
        refused key, in any words (see :meth:`_judged`), raises AuthError: no
        refill was asked. Any other refusal is the order's (``error`` set)."""
        sent = self._call("refill", {"order": str(order_id)}, idempotent=False)
        data = wrapped("refill", sent)  # {"data": {"refill": 55}}: read through
        self._judged("refill", data, refill_words.names_order)
        answer = self._parsed("refill", parse_refills.parse_refill_single, order_id, data)
        return answer._replace(status=refusals.answer_status(sent))  # its code, as data

    def refills(self, order_ids: list[int]) -> list[RefillRequest]:
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        sent = self._call("refill", {"orders": ",".join(map(str, order_ids))}, idempotent=False)
        data = wrapped("refill", sent)  # {"data": [{"order": 5, "refill": 55}]}: read through
        verdict = self._judged("refill", data, refill_words.names_order)  # a refused key: AuthError
        words = refusals.error_text(data)  # None unless ``data`` is an error object
        # The panel answers otherwise (the witness), or the words are about an
        # order or its refill: the whole call's refusal, provoked by an order in
        # it. Not a key's refusal, nor words beside a refill ID (the parser's unknown).
        if (
            (verdict is None or isinstance(verdict, WholeCallRefused))
            and words is not None
            and not refusals.is_key_refusal(words)
            and not gives_id(to_id, data.get("refill"))  # "refill" twice too: unknown
            and not refusals.error_names_refill(data)  # {"error": 5001}: the parser's unknown
            and not flag_alone(data)  # {"error": true}: no words to refuse in, unknown
            and not _holds_items(data, order_ids)
        ):
            raise self._tag(WholeCallRefused(words), "refill")
        result = self._parsed("refill", parse_refills.parse_refill_multi, order_ids, data)
        self._check_acted("refill", result, len(order_ids), refusals.answer_status(sent))
        return result

    def refill_status(self, refill_id: str) -> RefillStatus:
        """Ask for one refill. A whole-answer error is the refill's own when it is
        about a refill ("Refill not found") or the panel answers other calls
        (WholeCallRefused); a refused key raises AuthError, and an error while
        the witness fails too raises it as it is: no refill's."""
        data = wrapped("refill_status", self._sent_refill_status({"refill": refill_id}))
        verdict = self._judged("refill_status", data, refill_words.names_refill)
        if verdict is not None and not isinstance(verdict, WholeCallRefused):
            raise self._tag(verdict, "refill_status")
        result = self._parsed(
            "refill_status", parse_refill_status.parse_refill_status_single, refill_id, data
        )
        if result.status is not None and not result.known_status:
            self.warn_unknown("refill", result.raw_status)
        return result

    def _sent_refill_status(self, fields: dict[str, str]) -> Any:
        """Send ``refill_status``; words answered with no JSON document raise
        as the witness judges them: the key's (AuthError), the call's
        (WholeCallRefused), or the panel's failure; never a refill's error.
        But the words it answers an action it lacks ("Invalid action", a 404)
        are read as that refusal (``{"error": ...}``), as in JSON: the refill
        job learns the action missing at the second in a row."""
        try:
            return self._call("refill_status", fields)
        except WordsAlone as exc:
            if self.refused_as_missing("refill_status", exc.detail):
                return {"error": exc.detail}
            raise self._tag(self.refusal("refill_status", exc), "refill_status") from None

    def refill_statuses(self, refill_ids: list[str]) -> list[RefillStatus]:
        if len(refill_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(refill_ids)}")
        sent = self._sent_refill_status({"refills": ",".join(refill_ids)})
        data = wrapped("refill_status", sent, refill_ids)  # {"data": [...]}: read through
        result = self._parsed(
            "refill_status", parse_refill_status.parse_refill_status_multi, refill_ids, data
        )
        errors = [item.error for item in result]
        self._check_whole("refill_status", errors, status=refusals.answer_status(sent))
        for item in result:
            if item.status is not None and not item.known_status:
                self.warn_unknown("refill", item.raw_status)
        return result

    def cancel(self, order_ids: list[int]) -> list[CancelResult]:
        """Ask to cancel up to 100 orders. Sent once, like add and refill: a lost
        answer raises OutcomeUnknownError (they may have been canceled). What
        the answer names beside the asked orders is logged and left out."""
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        sent = self._call("cancel", {"orders": ",".join(map(str, order_ids))}, idempotent=False)
        data = wrapped("cancel", sent)  # {"data": [{"order": 5, "cancel": 1}]}: read through
        answer = self._parsed("cancel", parse_cancels.parse_cancel, order_ids, data)
        self._check_acted("cancel", answer.results, len(order_ids), refusals.answer_status(sent))
        if answer.ignored:  # orders nobody asked about: read for none of them
            shown = ", ".join(answer.ignored[:10])
            log.warning(
                "cancel_answer_ignored", panel=self.name, count=len(answer.ignored), named=shown
            )
        return answer.results


def _holds_items(data: dict[str, Any], order_ids: Sequence[int]) -> bool:
    """Given an error object answering a multi ``refill``, return True when it
    holds more than words (a list or object not empty, an asked order's key):
    refill IDs may be among it, so its orders are never asked again one at a time."""
    asked = set(order_ids)
    return any((isinstance(v, list | dict) and v) or to_id(k) in asked for k, v in data.items())
