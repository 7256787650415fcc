"""What a panel's own error words mean: the key refused, or the panel too busy.

Pure functions over the text of a whole-answer ``{"error": "..."}``; the client
decides what to do with each meaning.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tracker.errors import AuthError, PanelAnswerError
from tracker.panel.statuses import names_order_status
from tracker.panel.values import short

_AUTH_PATTERNS = re.compile(
    r"api key|api_key|invalid key|incorrect key|wrong key|account is inactive|"
    r"account (?:is )?(?:suspended|banned|disabled|blocked)|unauthori[sz]ed",
    re.IGNORECASE,
)
# Words saying the key itself is no good (it never was, or no longer is).
_KEY_GONE_WORDS = (
    r"invalid|incorrect|wrong|revoked|expired|\b(?:unknown|bad)\s+(?:api[\s_-]?)?key\b|"
    r"\b(?:deleted|removed)\b|not (?:valid|found|exist)|(?:does|do)(?:n['’]?t| not) exist|"
    r"\bno such\b"
)
_KEY_GONE = re.compile(_KEY_GONE_WORDS, re.IGNORECASE)
# Words that refuse the key, beside its name: those, or the key shut. With
# them, busy words next to the key stay its refusal ("Invalid API key.
# Please retry in 60 seconds"); without, "API key rate limit exceeded" is a
# rate limit.
_KEY_DENIED = re.compile(
    _KEY_GONE_WORDS + r"|inactive|suspended|banned|disabled|blocked|unauthori[sz]ed|denied|"
    r"required|missing|not (?:allowed|active)|(?:does|do)(?:n['’]?t| not) match|"
    r"\bno\b(?!\s+more\b)|\b(?:deactivated|locked|terminated|closed)\b",
    re.IGNORECASE,
)
# A key shut for a while only ("temporarily locked", "blocked for 60
# seconds", "try again in 1 minute") beside rate-limit words: the rate limit,
# unless words say the key itself is no good.
_FOR_A_WHILE = re.compile(
    r"\btemporar(?:y|ily)\b|\bfor \d+ ?(?:s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b|"
    r"\buntil\b|\b(?:re)?try (?:it )?(?:again )?in\b",
    re.IGNORECASE,
)
# A panel saying it is too busy to answer now (HTTP 200 with these words): a
# rate limit or an outage of the panel, like HTTP 429 or 503, never a refusal
# of the key or of an order.
_BUSY_PATTERNS = re.compile(
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
    r"temporarily (?:unable|overloaded|offline)",
    re.IGNORECASE,
)
# Of those, the words of a rate limit (the panel counting our calls), not of
# a panel busy or down: doctor warns for these, and fails for the others.
_RATE_WORDS = re.compile(r"too many|rate.?limit|slow down|\blimits?\b|throttl|quota", re.IGNORECASE)
# Words asking to come back later: busy, unless they are about what was asked
# ("Refill already requested, try again in 24 hours", "Not enough funds, try
# again later": the refusal of that order or request, said politely).
_LATER = re.compile(
    r"\b(?:re)?try(?: it)?(?: again)? (?:later|shortly|soon|in|after)\b|"
    r"\bwait (?:\d+ ?|(?:a few|a couple of|a) )(?:s|secs?|seconds?|m|mins?|minutes?|moments?)\b",
    re.IGNORECASE,
)
_ABOUT_THE_REQUEST = re.compile(
    r"\b(?:orders?|refills?|cancel\w*|funds|balance|links?|quantity|eligible|service id|"
    r"service (?:is )?disabled)\b",
    re.IGNORECASE,
)
# A limit on something the request named, not on calls: the request's refusal
# ("Too many requests for this link", "API limit: max 100 orders per link").
_PER_REQUEST = re.compile(r"\b(?:links?|per (?:order|service)|service id)\b", re.IGNORECASE)

# Words saying the panel's own server failed, not the order or the key: a
# PHP panel's database error ("SQLSTATE[HY000] [1040] Too many connections"),
# an internal or server error, an uncaught exception.
_FAULT_PATTERNS = re.compile(
    r"sqlstate|too many connections|\b(?:internal|server|database|db|mysqli?|sql) errors?\b|"
    r"\b(?:pdo|mysqli?_sql_)?exception\b|fatal error|uncaught|deadlock|"
    r"(?:could not|couldn'?t|can'?t|cannot|unable to) connect|"
    # Its database's connection ("Database connection failed", "MySQL server
    # has gone away", "Lost connection to MySQL server").
    r"\b(?:database|db|mysqli?|sql|redis) (?:connection|server)\b|"
    r"\bconnection (?:to|with) (?:the )?(?:database|db|mysqli?|sql|redis)\b",
    re.IGNORECASE,
)

# Words that plainly refuse a request ("Incorrect order ID", "Order not eligible
# for refill.", "Refill is disabled for this service"). Other words where an ID
# goes ("Your refill request has been accepted") may mean it was taken.
_REFUSING = re.compile(
    r"\b(?:not|no|never|cannot|unable|incorrect|invalid|wrong|disabled|denied|refused|"
    r"rejected|forbidden|errors?|fail(?:ed|s)?|insufficient|required|expired|already|"
    r"too many|bad|(?:do|does|did|is|are|was|ca|wo)n['’]?t)\b",
    re.IGNORECASE,
)

# Words about the refill asked for, or the order a refill was asked for: the
# panel's refusal of it ("Refill not found", "Order not eligible for refill."),
# never of the key, so no other action need be asked what they mean.
_NAMES_REFILL = re.compile(r"\brefill", re.IGNORECASE)
_NAMES_ORDER = re.compile(r"\b(?:refill|order|eligible)", re.IGNORECASE)


# Words refusing a refill request because the order's earlier refill still
# runs ("The refill task is not completed for this order", "A refill is
# already in progress", "You already have a pending refill request"): about a
# refill (its task or request; a task alone may be any), never the order
# ("Order is not completed", "Cannot refill while the order is in progress":
# the order is not eligible), and no
# negation before the running words ("Refill not active for this service").
# Not "Refill already requested" (the cooldown, as often as a running refill):
# unknown, as today.
_RUNNING_WORDS = (
    r"(?:not\s+(?:yet\s+)?(?:been\s+)?(?:completed?|finished|done|over)|in\s+progress|"
    r"in\s+process|in\s+(?:the\s+)?queue|pending|running|processing|active|ongoing|queued|"
    r"being\s+processed|under\s+process(?:ing)?)"
)
# What follows "refill" when the words are about its cooldown or terms, not a
# refill under way ("Refill cooldown still active", "Refill time not over",
# "Refill guarantee still active but no drop detected"), and words putting a
# condition on something else ("Cannot refill while processing").
_NOT_A_RUNNING_REFILL = (
    r"(?!\s+(?:cool-?down|period|time|timer|window|guarantee|button|limit|interval|delay|"
    r"option|feature|service)s?\b)"
)
_CONDITION = r"while|during|when|if|until|till|after|before|unless|only|unavailable|disabled"
_REFILL_RUNNING = (
    r"\brefills?\b" + _NOT_A_RUNNING_REFILL + r"(?:\s+(?:requests?|tasks?))?"
    r"(?:\s+for\s+(?:this|the|that)\s+orders?)?"
    r"(?:\s+(?!(?:not|no|never|orders?|" + _CONDITION + r")\b)\w+){0,2}?"
    r"\s+(?:(?:is|are|has|have|was|were)\s+)?(?:(?:still|already|yet|currently)\s+)?"
    + _RUNNING_WORDS
    + r"\b|"
    r"\b(?:already|still|have|has|is|there\s+is)\s+(?:already\s+)?(?:an?\s+|one\s+)?"
    r"(?:pending|active|running|ongoing|unfinished|incomplete|uncompleted|open)\s+refill|"
    # "Wait until the previous refill is completed": a refill named as the
    # one under way, or waited for to end; not "wait for the refill cooldown".
    r"\bwait\s+(?:for|until|till)\s+(?:the\s+|your\s+)?"
    r"(?:(?:current|previous|last|pending|active|running|ongoing|earlier)\s+refill\b|"
    r"refill\s+(?:requests?\s+)?(?:to\s+(?:be\s+)?(?:complete|finish|end)|"
    r"(?:is|has\s+been)\s+(?:completed|finished|done)))"
)


@cache
def _refill_running() -> re.Pattern[str]:
    """The pattern above, compiled at its first use (2 ms: a refusal of a
    refill request; not at the start of every command that imports this)."""
    return re.compile(_REFILL_RUNNING, re.IGNORECASE)


# Words saying a refill or an order does not exist ("Refill not found",
# "Incorrect order ID"): where its status goes, the panel's error about it,
# not a status.
_NOT_FOUND = re.compile(
    r"\bnot (?:be )?found\b|\b(?:does|do)(?:n['’]?t| not) exist|\bno such\b|"
    r"\bincorrect\b|\binvalid\b|\bwrong\b",
    re.IGNORECASE,
)
# "No order found" too, for an order only: a refill's "No drops found" may
# be its outcome, not that it does not exist.
_NO_ORDER_FOUND = re.compile(r"\bno\s+orders?\s+(?:(?:was|were)\s+)?found\b", re.IGNORECASE)
# Who a not-found message is about, for it to be the order asked about: the
# order ("Order not found", "Incorrect order ID"), or nobody named besides
# an ID ("Not found", "Invalid ID"); never a link, user or post (the reason
# an order failed: "Invalid link", "User not found").
_THE_ORDER = re.compile(r"\borders?\b", re.IGNORECASE)
_NOBODY_ELSE = re.compile(r"[\W_]*(?:ids?\b[\W_]*)?", re.IGNORECASE)


def says_not_found(message: str) -> bool:
    """Return True when ``message`` says that what was asked about does not exist."""
    return _NOT_FOUND.search(message) is not None


def says_order_not_found(message: str) -> bool:
    """Return True when ``message``, an order's status the tracker does not
    know, says that the order does not exist ("Order not found", "Incorrect
    order ID", "No order found"): the panel's error about the order in words.

    A known status word in it ("Canceled: invalid link") makes it a status
    with a reason; key refusals and words about anything but the order or an
    ID ("Link not found") are not about the order either.
    """
    said = says_not_found(message) or _NO_ORDER_FOUND.search(message) is not None
    if not said or names_order_status(message) or is_key_refusal(message):
        return False
    if _THE_ORDER.search(message) is not None:
        return True
    return _NOBODY_ELSE.fullmatch(_NOT_FOUND.sub(" ", message)) is not None


# Every order a panel is asked about "not found", while it answers none with a
# status: the orders are another account's or another panel's to it.
NOT_FOUND_HINT = " (is the key another account's, or the url another panel's?)"


def not_found_hint(message: str) -> str:
    """Given the words refusing every order asked, return NOT_FOUND_HINT when
    they say the order does not exist, else ""."""
    return NOT_FOUND_HINT if says_order_not_found(message) else ""


def error_text(value: Any) -> str | None:
    """Given an answer item, return the panel's error text if the item is an error."""
    if isinstance(value, dict) and "error" in value and value["error"] not in (None, "", False):
        return short(value["error"])
    return None


def is_key_refusal(message: str) -> bool:
    """Return True when ``message`` is one of the known key/account refusal
    phrasings, and not a rate limit that names the key ("API key rate limit
    exceeded", "Too many requests for this API key")."""
    if _AUTH_PATTERNS.search(message) is None:
        return False
    if _BUSY_PATTERNS.search(message) is None:
        return True
    if _FOR_A_WHILE.search(message) is not None and _KEY_GONE.search(message) is None:
        return False  # "API key temporarily locked: too many requests"
    return _KEY_DENIED.search(message) is not None


def refuses(message: str) -> bool:
    """Return True when ``message`` (words where an ID or a result goes) plainly
    refuses the request, rather than saying it was taken."""
    return _REFUSING.search(message) is not None


def says_refill_running(message: str | None) -> bool:
    """Return True when ``message``, a panel's refusal of a refill request,
    says the order's earlier refill still runs ("The refill task is not
    completed for this order"): no refusal of the order, a refill under way."""
    return bool(message) and _refill_running().search(message or "") is not None


def names_refill(message: str) -> bool:
    """Return True when ``message``, a whole-answer error to ``refill_status``
    for one refill, is about a refill ("Refill not found", "Incorrect refill ID")."""
    return _NAMES_REFILL.search(message) is not None


def names_order(message: str) -> bool:
    """Return True when ``message``, a whole-answer error to ``refill`` for one
    order, is about the order or its refill, or says the panel is busy."""
    return _NAMES_ORDER.search(message) is not None or is_busy(message)


def is_busy(message: str) -> bool:
    """Return True when ``message`` says the panel is too busy (rate limit,
    overload, maintenance, "retry in 60 seconds") rather than refusing the
    key or the request."""
    if is_key_refusal(message):
        return False
    if _BUSY_PATTERNS.search(message) is not None:
        return _PER_REQUEST.search(message) is None
    return _LATER.search(message) is not None and _ABOUT_THE_REQUEST.search(message) is None


def is_rate_limit(message: str) -> bool:
    """Return True when ``message`` is busy words (:func:`is_busy`) saying the
    panel is limiting our calls ("Too many requests", "Rate limit exceeded"),
    not that it is busy, down or in maintenance."""
    return is_busy(message) and _RATE_WORDS.search(message) is not None


def is_panel_fault(message: str) -> bool:
    """Return True when ``message`` says the panel's own server failed (a
    database or internal error), rather than refusing the key or the request:
    about no order, and no sign of the key either, whatever action said it."""
    return _FAULT_PATTERNS.search(message) is not None and not is_key_refusal(message)


# A panel refusing the call itself, an action it lacks or a request it cannot
# read ("Incorrect request", "Unknown action", "Action not found":
# shared/api-v2.md), whole and alone: no order's words, even asked alone.
_CALL_REFUSED = re.compile(
    r"[\W_]*(?:(?:incorrect|invalid|bad|unknown|wrong) (?:request|action|method)|"
    r"(?:request|action|method) (?:is )?(?:invalid|incorrect|unknown|not (?:found|supported)))"
    r"[\W_]*",
    re.IGNORECASE,
)


def refuses_the_call(message: str) -> bool:
    """Return True when ``message`` refuses the call itself, the action or the
    request (a panel lacking the action, or unable to read the call), in
    words that name no order: never one order's error."""
    return _CALL_REFUSED.fullmatch(" ".join(message.split())) is not None


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
