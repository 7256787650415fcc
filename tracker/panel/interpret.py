"""One HTTP answer read: its code, page or body into the panel's JSON or a
typed error, the key blanked out of it first; PHP notices around the JSON and
absurd numbers in it warned of once per panel, and not again by a later
process that an earlier one told (``quirk_told``). The base of
:class:`Transport`, which sets the attributes named here."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic

import httpx
import structlog

from tracker.errors import AuthError, BadAnswerError, RateLimitedError, TransientError
from tracker.panel import (
    absurd,
    bare,
    failures,
    item_refusals,
    items_held,
    parse,
    plain_words,
    refusals,
    wait_hints,
)
from tracker.panel.cloudflare import server_error
from tracker.panel.encoding import as_utf8
from tracker.panel.error_words import no_words_said
from tracker.panel.form import asked_texts
from tracker.panel.held_answers import by_id, holds, refuses_each
from tracker.panel.notices import Document
from tracker.panel.script_shapes import error_enveloped, error_inside
from tracker.panel.settings import P
from tracker.panel.unserved import page_error, unrefused
from tracker.panel.values import short
from tracker.panel.warned import MANY, MAX_ORDER_KEYS, WarnedKeys
from tracker.redact.pieces import blank_pieces
from tracker.redact.scrub import scrub, scrub_bytes

log = structlog.get_logger("tracker.client")


class Interpreting(Generic[P]):
    """Read a panel's answers (see the module); once-per-panel warnings are kept
    in ``_warned``, which the client's other layers share (an order's among
    the last few thousand: :mod:`tracker.panel.warned`)."""

    panel: P
    name: str
    _wall: Callable[[], float]
    _warned: WarnedKeys
    _warn_lock: threading.Lock
    # Set by the jobs (tracker.jobs.quirks): given a quirk's line, whether an
    # earlier process told it (across `run --once` runs), so this one says
    # it at debug; each call a sighting. None: told by none.
    quirk_told: Callable[[str], bool] | None = None

    def _interpret(self, response: httpx.Response, *, action: str, idempotent: bool) -> Any:
        panel = self.name
        # UTF-16 made UTF-8 first: the key is blanked in the text all else reads.
        text = as_utf8(response.content, response.headers.get("Content-Type"))
        code, body = response.status_code, self._scrub(text)
        challenge = failures.challenged(code, response.headers.get("cf-mitigated"), body)
        limited = code == 429 or challenge is not None
        if limited and idempotent:  # neither reached the panel: safe to send again
            raise self._limited(response, body, challenge, action)
        try:
            # An add's order ID: 23501.00000000000001 is not 23501 (ids.written_id).
            document: Document | None = parse.decode_document(body, as_written=action == "add")
        except BadAnswerError as exc:
            document, unreadable = None, exc
        if limited:  # add, refill, cancel: sent again, unless it says what was done
            if document is None or not items_held.acted(action, document.data):
                raise self._limited(response, body, challenge, action)
            # An order placed, a refill ID given, a cancel accepted: the
            # panel's script ran. Read as with a 200, never sent again.
            key = f"{action}_code:{code}"
            self.tell_quirk("answer_with_error_code", key, action=action, status=code)
            if document.noise:
                self._prints_notices(document.noise)
            data = document.data
            return data if code == 200 else failures.with_status(code, data, self.panel.url)
        # 2xx: the panel took the request (some frameworks answer 201/202) and
        # its answer is read as a 200's; it may have acted even if unreadable.
        took = 200 <= code < 300
        # A JSON answer behind PHP notice HTML is an answer, not a gateway page.
        if code >= 500 or (took and document is None and parse.looks_like_html(body)):
            raise server_error(  # maybe sent, unless Cloudflare never reached the panel
                response, body, self.panel.url, now=self._wall(), panel=panel, action=action
            )
        if document is None:
            # A 2xx or 4xx of the panel's words alone, "Invalid API key": its
            # {"error": ...} to a read; to add, refill and cancel only the
            # key's refusal (plain_words.py). Else broken, or a page.
            said = plain_words.plain_line(code, body, action, reads=idempotent)
            if said is not None and idempotent and took and plain_words.refuses_nothing(said):
                raise self._no_answer(code, said, action)  # "OK" to balance: no refusal
            if said is not None and action == "refill_status":  # no JSON: no refill's (fuzz178)
                failed = plain_words.words_alone(code, said, self.panel.url, panel=panel)
                if failed is not None:  # the witness judges it (PanelClient.refill_status)
                    raise failed
            if said is not None and (idempotent or refusals.denies_key(said)):
                document = Document({"error": said})
            elif said is not None and not took:
                # Other words to add, refill or cancel with a 4xx: the script
                # ran, and may have acted: judged as the same words bare
                # (unserved.unrefused: outcome unknown), never "not sent".
                document = Document(said)
            elif took:  # cut-off or garbled answer: the panel may have acted
                said = failures.NO_CONTENT if failures.empty(body) else unreadable.detail
                detail = said if code == 200 else f"HTTP {code}: {said}"
                raise TransientError(
                    detail, maybe_sent=True, panel=panel, action=action, status=code
                )
            else:  # a redirect or error page: did the panel's script run? (a Location scrubbed)
                where = (self.panel.url, self._scrub_text)
                raise page_error(
                    response, body, *where, panel=panel, action=action, idempotent=idempotent
                )
        if document.noise:
            self._prints_notices(document.noise)
        data = read = document.data
        if type(data) is dict and len(data) == 1:  # {"data": {"error": ...}}: as {"error": ...}
            data = read = error_inside(action, data, _asked_refills(action, response))
        elif type(data) is dict and 1 < len(data) <= 6:  # {"status": "error", "message": ...},
            data = read = error_enveloped(action, data, action in _SAID)  # an envelope's error
        if took and absurd.may_hold_absurd(body):
            self._warn_absurd(action, data)
        if took and idempotent:  # a bare "Invalid API key": the panel's words (bare.py)
            data = bare.as_error(data, action)
            if data is not read and plain_words.refuses_nothing(data["error"]):
                raise self._no_answer(code, data["error"], action)  # a bare "OK", as in text
        else:  # so with a 401, 403, 400...; add, refill, cancel: the key's refusal alone
            data = plain_words.as_error(code, data, action, reads=idempotent)
        if code == 401 and refusals.refuses_key_unsaid(code, data, action):  # no words: the code's
            said = no_words_said(failures.with_status(code, data, self.panel.url))
            raise AuthError(said, panel=panel, action=action, status=code)
        if action == "refill_status" and type(read) is str and data is not read:  # no object
            plain_words.string_alone(code, data, self.panel.url, panel=panel)  # as no JSON
        # The panel's words with a 2xx, or a 4xx read as its words (not 405, 413...).
        spoke = took or plain_words.read_in_words(code)
        words = refusals.error_text(data) if spoke and idempotent else None
        # The same words in every item of a multi-order answer, not once at
        # the top ({"1": {"error": "Too many requests"}, ...}): the panel's too.
        items = item_refusals.items_busy(data) if spoke and idempotent and words is None else None
        if items is not None or (words is not None and refusals.is_busy(words)):
            # "Too many requests", "Database busy": HTTP 429 or 503 in words,
            # retried like them, never an order's or the key's failure, with a
            # 2xx or a 4xx. Not for add or refill: a panel may say so after
            # acting, so that is the panel's refusal as it stands, never sent twice.
            words = items or words or ""
            hint = wait_hints.wait_hint(response, now=self._wall(), limited=True)
            # Its code named as in every other failure: "HTTP 403: Too many requests".
            said = refusals.error_text(failures.with_status(code, {"error": words}, self.panel.url))
            raise (RateLimitedError if refusals.is_rate_limit(words) else TransientError)(
                f"panel busy: {said if code != 200 else words}",
                retry_after=hint,
                panel=panel,
                action=action,
                # A 200's items kept no code as data (status_calls), as before.
                status=None if items is not None and code == 200 else code,
            )
        # Every item refusing, not once at the top: the panel's refusal, as
        # at the top. The key's in known words (any shape); others the same
        # in every item of an object or a list, to a read: its code kept as
        # data (coded.py), judged by the witness (status_calls).
        refused = None
        if not took and spoke and refusals.error_text(data) is None:
            refused = item_refusals.items_refused(data, reads=idempotent)
        if refused is not None and refusals.is_key_refusal(refused):
            said = refusals.error_text(
                failures.with_status(code, {"error": refused}, self.panel.url)
            )
            raise AuthError(said or refused, panel=panel, action=action, status=code)
        # Some orders' statuses with a 4xx (the others' errors beside them:
        # a script setting 400 when any ID is bad): read, not a broken answer
        # failing the whole batch at every poll; the code kept as data. So
        # are refills' statuses, refill IDs given and cancels accepted
        # (items_held.py): not "outcome unknown" for every order of the call;
        # and a multi refill's or cancel's refusal of each order it asked.
        held = not took and spoke and (holds(action, data) or refuses_each(action, data, response))
        if held and action == "status":
            self.tell_quirk("status_answer_with_error_code", f"status_code:{code}", status=code)
        elif held:
            key = f"{action}_code:{code}"
            self.tell_quirk("answer_with_error_code", key, action=action, status=code)
        if (
            not took
            and refusals.error_text(data) is None
            and not (refused and (by_id(data) or type(data) is list))
            and not held
        ):
            where = (self.panel.url, self._scrub_text)
            raise unrefused(
                response, body, data, *where, panel=panel, action=action, idempotent=idempotent
            )
        return data if code == 200 else failures.with_status(code, data, self.panel.url)

    def _limited(
        self, response: httpx.Response, body: bytes, challenge: str | None, action: str
    ) -> TransientError:
        """The error of a 429 or a Cloudflare challenge that never reached the
        panel's work: retried within the call, then not sent."""
        code = response.status_code
        return (RateLimitedError if code == 429 and not challenge else TransientError)(
            challenge or f"rate limited ({failures.describe_status(code, body, self.panel.url)})",
            retry_after=wait_hints.wait_hint(response, now=self._wall(), limited=code == 429),
            panel=self.name,
            action=action,
            status=code,
        )

    def _no_answer(self, code: int, said: str, action: str) -> TransientError:
        """The error of a 2xx whose words, plain or bare, refuse nothing
        (``OK``, ``5.00 USD``: :func:`plain_words.refuses_nothing`) to a read:
        a broken answer, retried as one, never the panel's refusal."""
        detail = f"not a {action} answer: {short(said, 120)}"
        return TransientError(
            detail if code == 200 else f"HTTP {code}: {detail}",
            maybe_sent=True,
            panel=self.name,
            action=action,
            status=code,
        )

    def _prints_notices(self, noise: str) -> None:
        """Log, once per panel, that its answers carry PHP notices around the JSON."""
        self.tell_quirk("panel_prints_notices", "notices", sample=noise)

    def tell_quirk(self, line: str, key: str, **fields: Any) -> None:
        """A quirk of the panel seen: log ``line`` once per process and ``key``
        (``notices``, ``absurd:status:remains``, ``remains_odd:5``), at
        warning, or at debug when an earlier process told it (``quirk_told``)
        or it is an order's past the last MAX_ORDER_KEYS kept (``warned.py``)."""
        told = self.quirk_told is not None and self.quirk_told(line)
        with self._warn_lock:
            fresh = self._warned.take(key)
        if fresh is None:
            return
        forgotten, began = fresh
        (log.debug if told or forgotten else log.warning)(line, panel=self.name, **fields)
        if began:
            log.warning(
                MANY,
                panel=self.name,
                kept=MAX_ORDER_KEYS,
                hint="an order's quirk not among the last ones kept is logged at debug from now on",
            )

    def _scrub(self, body: bytes) -> bytes:
        """Blank out the key where a panel echoes it back, in any encoding, and its
        pieces around a PHP notice: answers end up in exceptions, logs, the database."""
        key = self.panel.key.reveal()
        if len(key) < 4:  # a 1-3 character "key" would blank out ordinary text
            return body
        return blank_pieces(scrub_bytes(body, [key]), key)

    def _scrub_text(self, text: str) -> str:
        """Return ``text`` (a redirect's Location) with the key blanked out like the body's."""
        key = self.panel.key.reveal()
        return text if len(key) < 4 else scrub(text, [key])

    def _warn_absurd(self, action: str, answer: Any) -> None:
        """Log once per panel, action and field a number dropped as absurd (1e999999999)."""
        for name, raw in absurd.absurd_numbers(answer):
            key = f"absurd:{action}:{name}"
            self.tell_quirk("absurd_number", key, action=action, field=name, raw=raw)


# The reads a refusal as JSON APIs write one is read for (error_enveloped); not
# refill_status, whose plain answer is a status alone: {"status": "Error",
# "message": ...} may be the refill's.
_SAID = frozenset({"status", "balance", "services"})


def _asked_refills(action: str, response: httpx.Response) -> tuple[str, ...]:
    """The refill IDs a ``refill_status`` call asked (none for another call):
    an answer keyed by one is that refill's, never a wrapper."""
    return asked_texts(response.request.content) if action == "refill_status" else ()
