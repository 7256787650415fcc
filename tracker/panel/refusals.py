"""What a panel's own error words mean: the key refused, the panel too busy
or failing, the call itself refused, or the request plainly refused.

Pure functions over the text of a whole-answer ``{"error": "..."}``; the client
decides what to do with each meaning. Words saying what was asked about does
not exist are :mod:`tracker.panel.not_found`'s; words about a refill,
:mod:`tracker.panel.refill_words`'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from tracker.errors import AuthError, PanelAnswerError
from tracker.panel.error_words import error_words
from tracker.panel.values import short


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """One of the patterns below, compiled at its first use (the patterns of
    this module took ~2.5 ms to compile: every `run --once` paid them, though
    only an error answer needs one)."""
    return re.compile(pattern, re.IGNORECASE)


def _found(pattern: str, message: str) -> bool:
    return _compiled(pattern).search(message) is not None


_AUTH_PATTERNS = (
    r"api key|api_key|invalid key|incorrect key|wrong key|account is inactive|"
    r"account (?:is )?(?:suspended|banned|disabled|blocked)|unauthori[sz]ed"
)
# Words saying the key itself is no good (it never was, or no longer is).
_KEY_GONE_WORDS = (
    r"invalid|incorrect|wrong|revoked|expired|\b(?:unknown|bad)\s+(?:api[\s_-]?)?key\b|"
    r"\b(?:deleted|removed)\b|not (?:valid|found|exist)|(?:does|do)(?:n['’]?t| not) exist|"
    r"\bno such\b"
)
_KEY_GONE = _KEY_GONE_WORDS
# Words that refuse the key, beside its name: those, or the key shut. With
# them, busy words next to the key stay its refusal ("Invalid API key.
# Please retry in 60 seconds"); without, "API key rate limit exceeded" is a
# rate limit.
_KEY_DENIED = (
    _KEY_GONE_WORDS + r"|inactive|suspended|banned|disabled|blocked|unauthori[sz]ed|denied|"
    r"required|missing|not (?:allowed|active)|(?:does|do)(?:n['’]?t| not) match|"
    r"\bno\b(?!\s+more\b)|\b(?:deactivated|locked|terminated|closed)\b"
)
# A key shut for a while only ("temporarily locked", "blocked for 60
# seconds", "try again in 1 minute") beside rate-limit words: the rate limit,
# unless words say the key itself is no good.
_FOR_A_WHILE = (
    r"\btemporar(?:y|ily)\b|\bfor \d+ ?(?:s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b|"
    r"\buntil\b|\b(?:re)?try (?:it )?(?:again )?in\b"
)
# A panel saying it is too busy to answer now (HTTP 200 with these words): a
# rate limit or an outage of the panel, like HTTP 429 or 503, never a refusal
# of the key or of an order.
_BUSY_PATTERNS = (
    r"too many requests|rate.?limit|slow down|"
    r"\b(?:server|database|db|system|site|api|service|panel)s? (?:is |are )?(?:currently |too )?"
    r"(?:busy|overloaded)|temporarily (?:unavailable|disabled|down)|maintenance|"
    # A limit on calls, never on an order's refill, cancel or order requests
    # ("Refill request limit reached for this order" is the order's refusal).
    r"(?<!refill )(?<!cancel )(?<!order )\b(?:requests?|calls?|api|quer(?:y|ies)) limits?\b|"
    r"^\W*limit (?:exceeded|reached)\W*$|"
    r"\btoo many (?:api )?(?:calls|attempts|quer(?:y|ies))\b|\bthrottl(?:ed|ing)\b|"
    r"\bquota (?:exceeded|reached|exhausted)|"
    r"\b(?:exceeded|reached|over|exhausted) (?:the |your |its )?(?:\w+ ){0,2}quota\b|"
    r"^\W*(?:503 )?service (?:temporarily )?unavailable\W*$|"
    r"temporarily (?:unable|overloaded|offline)"
)
# Of those, the words of a rate limit (the panel counting our calls), not of
# a panel busy or down: doctor warns for these, and fails for the others.
_RATE_WORDS = r"too many|rate.?limit|slow down|\blimits?\b|throttl|quota"
# Words asking to come back later: busy, unless they are about what was asked
# ("Refill already requested, try again in 24 hours", "Not enough funds, try
# again later": the refusal of that order or request, said politely).
_LATER = (
    r"\b(?:re)?try(?: it)?(?: again)? (?:later|shortly|soon|in|after)\b|"
    r"\bwait (?:\d+ ?|(?:a few|a couple of|a) )(?:s|secs?|seconds?|m|mins?|minutes?|moments?)\b"
)
_ABOUT_THE_REQUEST = (
    r"\b(?:orders?|refills?|cancel\w*|funds|balance|links?|quantity|eligible|service id|"
    r"service (?:is )?disabled)\b"
)
# A limit on something the request named, not on calls: the request's refusal
# ("Too many requests for this link", "API limit: max 100 orders per link").
_PER_REQUEST = r"\b(?:links?|per (?:order|service)|service id)\b"

# Words saying the panel's own server failed, not the order or the key: a
# PHP panel's database error ("SQLSTATE[HY000] [1040] Too many connections"),
# an internal or server error, an uncaught exception.
_FAULT_PATTERNS = (
    r"sqlstate|too many connections|\b(?:internal|server|database|db|mysqli?|sql) errors?\b|"
    r"\b(?:pdo|mysqli?_sql_)?exception\b|fatal error|uncaught|deadlock|"
    r"(?:could not|couldn'?t|can'?t|cannot|unable to) connect|"
    # Its database's connection ("Database connection failed", "MySQL server
    # has gone away", "Lost connection to MySQL server").
    r"\b(?:database|db|mysqli?|sql|redis) (?:connection|server)\b|"
    r"\bconnection (?:to|with) (?:the )?(?:database|db|mysqli?|sql|redis)\b"
)

# Words that plainly refuse a request ("Incorrect order ID", "Order not eligible
# for refill.", "Refill is disabled for this service"). Other words where an ID
# goes ("Your refill request has been accepted") may mean it was taken.
_REFUSING = (
    r"\b(?:not|no|never|cannot|unable|incorrect|invalid|wrong|disabled|denied|refused|"
    r"rejected|forbidden|errors?|fail(?:ed|s)?|insufficient|required|expired|already|"
    r"too many|bad|(?:do|does|did|is|are|was|ca|wo)n['’]?t)\b"
)


def error_text(value: Any) -> str | None:
    """Given an answer item, return the panel's error text (its words) if the item is an error."""
    if isinstance(value, dict) and "error" in value and value["error"] not in (None, "", False):
        return error_words(value["error"])
    return None


def is_key_refusal(message: str) -> bool:
    """Return True when ``message`` is one of the known key/account refusal
    phrasings, and not a rate limit that names the key ("API key rate limit
    exceeded", "Too many requests for this API key")."""
    if not _found(_AUTH_PATTERNS, message):
        return False
    if not _found(_BUSY_PATTERNS, message):
        return True
    if _found(_FOR_A_WHILE, message) and not _found(_KEY_GONE, message):
        return False  # "API key temporarily locked: too many requests"
    return _found(_KEY_DENIED, message)


def denies_key(message: str) -> bool:
    """Return True when ``message`` is a key refusal (:func:`is_key_refusal`)
    that also says the key is no good ("Invalid API key", "Account is
    inactive", "Unauthorized"), not words merely naming the key: what a line
    of plain text or a bare string must say to be read as the key's refusal
    by ``add``, ``refill`` and ``cancel`` (:mod:`tracker.panel.plain_words`)."""
    return is_key_refusal(message) and _found(_KEY_DENIED, message)


def refuses(message: str) -> bool:
    """Return True when ``message`` (words where an ID or a result goes) plainly
    refuses the request, rather than saying it was taken."""
    return _found(_REFUSING, message)


# Words that say no beside those above: what was asked is unknown, missing,
# unavailable, past a limit, or its user shut out ("Unknown order", "API
# unavailable", "5 orders max per link", "Please log in", "IP not allowed").
_NO_MORE = (
    r"\b(?:unknown|missing|unavailable|restricted|suspended|banned|blocked|locked|"
    r"maintenance|prohibited|must|max(?:imum)?|min(?:imum)?|limits?|exceed(?:s|ed)?|"
    r"only|please|sorry|permission|access|log ?in|sign ?in|authori[sz]ation|"
    r"credentials?|ip|whitelist\w*|allow\w*)\b"
)


def says_no(message: str) -> bool:
    """Return True when ``message`` refuses or fails anything, in any of the
    words above: the key, the call, the request, the panel busy or failing.
    Words saying none of it ("OK", "Success", "5.00 USD") refuse nothing."""
    return (
        refuses(message)
        or _found(_KEY_DENIED, message)
        or _found(_NO_MORE, message)
        or is_key_refusal(message)
        or is_busy(message)
        or is_panel_fault(message)
        or refuses_the_call(message)
    )


def is_busy(message: str) -> bool:
    """Return True when ``message`` says the panel is too busy (rate limit,
    overload, maintenance, "retry in 60 seconds") rather than refusing the
    key or the request."""
    if is_key_refusal(message):
        return False
    if _found(_BUSY_PATTERNS, message):
        return not _found(_PER_REQUEST, message)
    return _found(_LATER, message) and not _found(_ABOUT_THE_REQUEST, message)


def is_rate_limit(message: str) -> bool:
    """Return True when ``message`` is busy words (:func:`is_busy`) saying the
    panel is limiting our calls ("Too many requests", "Rate limit exceeded"),
    not that it is busy, down or in maintenance."""
    return is_busy(message) and _found(_RATE_WORDS, message)


def is_panel_fault(message: str) -> bool:
    """Return True when ``message`` says the panel's own server failed (a
    database or internal error), rather than refusing the key or the request:
    about no order, and no sign of the key either, whatever action said it."""
    return _found(_FAULT_PATTERNS, message) and not is_key_refusal(message)


# A panel refusing the call itself, an action it lacks or a request it cannot
# read ("Incorrect request", "Unknown action", "Action not found":
# shared/api-v2.md), whole and alone: no order's words, even asked alone.
_CALL_REFUSED = (
    r"[\W_]*(?:(?:incorrect|invalid|bad|unknown|wrong) (?:request|action|method)|"
    r"(?:request|action|method) (?:is )?(?:invalid|incorrect|unknown|not (?:found|supported)))"
    r"[\W_]*"
)


# The HTTP code (and the URL, for a 404 or 405) a non-200 refusal's words
# carry ahead of them (failures.with_status): "HTTP 400: Incorrect request".
_WITH_CODE = r"HTTP \d{3}(?: from \S+)?: "


def refuses_the_call(message: str) -> bool:
    """Return True when ``message`` refuses the call itself, the action or the
    request (a panel lacking the action, or unable to read the call), in
    words that name no order, with its HTTP code or not: never one order's error."""
    words = " ".join(message.split())
    coded = _compiled(_WITH_CODE).match(words)
    words = words[coded.end() :] if coded is not None else words
    return _compiled(_CALL_REFUSED).fullmatch(words) is not None


def raise_for_error(data: Any) -> None:
    """Raise PanelAnswerError (AuthError for key/account refusals) if data is an error."""
    message = error_text(data)
    if message is None:
        return
    status = answer_status(data)
    if is_key_refusal(message):
        raise AuthError(message, status=status)
    raise PanelAnswerError(message, status=status)


def answer_status(data: Any) -> int | None:
    """Return the HTTP code an answer came with when not 200 (kept by
    :func:`tracker.panel.failures.with_status`), else None."""
    status = getattr(data, "status", None)
    return status if isinstance(status, int) else None


def items_busy(data: Any) -> str | None:
    """Given an answer with no whole-answer error, return the words of its
    first item when every item of it says the panel is busy (:func:`is_busy`):
    a multi-order answer, ``{"1": {"error": "Too many requests"}, "2": {...}}``
    (an object keyed by order ID, its items ``{"error": ...}`` or bare words)
    or a list of ``{"error": ...}``, or of refills' ``{"status": {"error": ...}}``.
    The panel busy, as the same words once at the top say
    (:mod:`tracker.panel.interpret`), never each order's. Else None."""
    pairs = _pairs(data)
    if pairs is None:
        return None
    first = None
    for key, item in pairs:  # an item saying anything else ends it: every poll's answer
        words = _item_words(key, item)
        if words is None or not is_busy(words):
            return None
        first = first or words
    return first


def items_refused(data: Any, *, reads: bool = True) -> str | None:
    """Given an answer with no whole-answer error, return the words of its
    first item when every item of it (as :func:`items_busy` reads them, and
    ``refill`` and ``cancel`` results' ``{"order": 1, "cancel": {"error":
    ...}}``) refuses the key (:func:`is_key_refusal`; to ``add``, ``refill``
    and ``cancel``, not ``reads``, :func:`denies_key`: nothing was done), or,
    to a read, says the same words (the witness's to judge, as the same words
    at the top are). With a 4xx that is the panel's refusal in items, as
    once at the top (:mod:`tracker.panel.interpret`), not a broken answer."""
    pairs = _pairs(data)
    if pairs is None:
        return None
    said: list[str] = []
    for key, item in pairs:  # an item without error words ends it
        words = _item_words(key, item)
        if words is None or not (reads or _nothing_beside(item)):
            return None
        said.append(words)
    refuses_key = is_key_refusal if reads else denies_key
    if said and (all(map(refuses_key, said)) or (reads and len(set(said)) == 1)):
        return said[0]
    return None


def _pairs(data: Any) -> Iterable[tuple[Any, Any]] | None:
    """A multi-order answer's (key, item) pairs (a list's keyed None), else None."""
    if isinstance(data, list):
        return ((None, item) for item in data)
    return data.items() if isinstance(data, dict) else None


def _nothing_beside(item: Any) -> bool:
    """Whether a ``refill`` or ``cancel`` result holds nothing but its order
    and its error: a refill ID or a yes beside the words may mean it was done."""
    if not isinstance(item, dict):
        return True
    nested = ("refill", "cancel")
    return all(
        k in ("order", "error") or (k in nested and type(v) is dict) for k, v in item.items()
    )


def _item_words(key: Any, item: Any) -> str | None:
    """An item's error words: its ``error``, a refill's ``status`` error
    (``{"refill": 1, "status": {"error": ...}}``), a refill or cancel result's
    (``{"order": 1, "cancel": {"error": ...}}``), or bare words under an ID's key."""
    if isinstance(item, str) and isinstance(key, str) and key.strip().isdigit():
        return short(item)
    if isinstance(item, dict) and "error" not in item:
        for name in ("status", "refill", "cancel"):
            if isinstance(item.get(name), dict):
                return error_text(item[name])
    return error_text(item)
