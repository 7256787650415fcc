"""Status normalisation: every spelling panels send, mapped to one vocabulary.

Pure functions. An unknown spelling is never guessed at (mapping it to
Pending is a known bug in other trackers): it is kept verbatim, and the
caller warns about it once.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from tracker.panel.status_vocabulary import (  # noqa: F401  (re-exported: used as statuses.X)
    ACTIVE,
    CANCELED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    KNOWN_ORDER_STATUSES,
    ORDER_SPELLINGS,
    ORDER_STATUSES,
    PARTIAL,
    PAUSED,
    PENDING,
    PROCESSING,
    REFILL_FINAL,
    REFILL_REJECTED,
    REFILL_SPELLINGS,
    REFILL_STATUSES,
    REFUNDED,
    TERMINAL,
    is_terminal,
    metrics_status,
)
from tracker.panel.status_words import (
    AGREEING,
    NEGATED_WHY,
    ORDER_STEMS,
    REFILL_STEMS,
    THEN_WHY,
)
from tracker.panel.values import INVISIBLE, compatible

_SPACES = re.compile(r"[\s_-]+")
# An unknown spelling is kept as the status, cut to this length (the full
# text, up to values.MAX_STORED_TEXT, stays in raw_status).
MAX_STATUS = 100


# An HTML tag: "<b>", "</span>", '<span class="badge">'.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


@cache
def _leading() -> re.Pattern[str]:
    """A value's leading words in tags closed after them ("<b>Canceled</b>: ...");
    compiled at its first use (a status in tags is rare)."""
    return re.compile(r"(?:<[A-Za-z][^<>]*>\s*)+[^<>]+</[A-Za-z][^<>]*>")


def _untagged(raw: str) -> str:
    """Given a status holding "<", return its words with the tags taken off
    when it begins with words in tags closed after them ("<b>In
    progress</b>", '<span class="badge">Partial</span> (refunded 120)',
    "<b>Canceled</b>: link removed": a reason after them read as without
    tags); else ``raw`` as sent ("<b>Completed", no tag closed)."""
    text = raw.strip()
    if not text.startswith("<") or _leading().match(text) is None:
        return raw
    words = _TAG.sub(" ", text)
    return words if "<" not in words and ">" not in words and words.strip() else raw


def _unescaped(raw: str) -> str:
    """Given a status as sent, return it with its HTML tags taken off
    (:func:`_untagged`) and its HTML entities read ("In&nbsp;progress",
    "Partial&#32;": a script filling its answer from its page's labels), as
    they are in a text without "&"; the unknown's text stays as sent. Once
    per spelling (the callers are cached)."""
    if "<" in raw:
        raw = _untagged(raw)
    if "&" not in raw:
        return raw
    import html  # here: its entity table is no start's (a status with "&" is rare)

    return html.unescape(raw)


def _unknown(raw: str) -> str:
    text = raw.strip()
    return text if len(text) <= MAX_STATUS else text[: MAX_STATUS - 1] + "…"


# Characters that show nothing (zero-width space and joiners, a byte order
# mark, a soft hyphen, direction marks): "Completed\u200b" is Completed.
_INVISIBLE = re.compile(INVISIBLE)


# A full stop or exclamation mark ending a status ("Completed.", "Completed!",
# "In progress..."): the same word. A question ("Completed?") is not. This and
# the other patterns below that read a status with the panel's reason are
# compiled at their first use (~25M instructions of every start otherwise):
# a usual poll reads plain spellings only.
@cache
def _ending() -> re.Pattern[str]:
    return re.compile(r"\s*(?:[.!\u2026]\s*)+$")


def _key(raw: str) -> str:
    text = _INVISIBLE.sub("", raw).strip()
    if text[-1:] in (".", "!", "\u2026"):
        text = _ending().sub("", text)
    return _SPACES.sub(" ", text).lower()


# A known order status word anywhere in a text ("Canceled: invalid link",
# "Order partially completed (link not found)"): a status with the panel's
# reason, never words saying the order does not exist. Error/Fail/Failed are
# left out: panels put them before such words ("Error: order not found").
_SPELLING = "|".join(
    re.escape(spelling).replace(r"\ ", r"[\s_-]+")
    for spelling, status in ORDER_SPELLINGS.items()
    if status != FAILED
)


@cache
def _status_word() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_SPELLING})\b", re.IGNORECASE)


def names_order_status(text: str) -> bool:
    """Return True when ``text`` holds the words of a known order status
    (other than Error/Fail/Failed) anywhere, as a status with a reason does;
    in its compatibility form (:func:`compatible`), as a status is read:
    "Link not found, order ｃａｎｃｅｌｅｄ" names Canceled."""
    return _status_word().search(compatible(text)) is not None


@lru_cache(maxsize=512)
def normalize_order_status(raw: str) -> tuple[str, bool]:
    """Given a status as a panel spelled it, return (status, known).

    A known spelling followed by the panel's reason ("Canceled: invalid
    link", see :func:`status_reason`) is that status; so is one in its
    compatibility form (:func:`compatible`). ``known`` is False when
    the spelling is not recognised; the status is then the raw text,
    stripped, so the user sees exactly what the panel said.
    """
    read = compatible(_unescaped(raw))
    found = ORDER_SPELLINGS.get(_key(read))
    if found is None:
        with_reason = _read_reason(read)
        if with_reason is None:
            return _unknown(raw), False
        found = with_reason[0]
    return found, True


# An order status with the panel's reason after it: a known spelling first,
# then a clear separator (":", ";", ",", an en or em dash, a hyphen between
# spaces; or the reason in brackets that end the text) and some reason.
# "Completed partially" or "Pending cancel" (no separator) are not read so.
# Error/Fail/Failed are left out (see _status_word): "Error: order not
# found" is the panel's error in words, not a Failed order.
@cache
def _with_reason() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Return the patterns of a status and its reason: after a separator, in brackets."""
    flags = re.IGNORECASE | re.DOTALL
    return (
        re.compile(rf"\s*({_SPELLING})(?:\s*[:;,\u2013\u2014]|\s+-\s)(.*)", flags),
        re.compile(rf"\s*({_SPELLING})\s*\(([^()]*)\)\s*", flags),
    )


_NO_REASON = " \t\r\n:;,.-\u2013\u2014"  # what a reason must hold more than


@cache
def _leading_marks() -> re.Pattern[str]:
    return re.compile(r"^(?:<[^<>]*>|[\W_])+")  # HTML tags too: "<b>pending"


def _status_words(stems: dict[str, str]) -> tuple[re.Pattern[str], dict[str, str]]:
    """Given each status's word stems, return a pattern matching any of them,
    perhaps negated, and the status of each of its groups."""
    names = {f"s{i}": status for i, status in enumerate(stems)}
    pattern = re.compile(
        r"(?P<negated>not[\s_-]+|non[\s_-]*|in|un)?(?:"
        + "|".join(f"(?P<{name}>{stems[status]})" for name, status in names.items())
        + r")\b",
        re.IGNORECASE,
    )
    return pattern, names


@cache
def _order_words() -> tuple[re.Pattern[str], dict[str, str]]:
    """What a reason may not begin with: another status's words (ORDER_STEMS)."""
    return _status_words(ORDER_STEMS)


@cache
def _then_why() -> dict[tuple[str, str], re.Pattern[str]]:
    """After another status's words, what says why the first ended (THEN_WHY)."""
    return {pair: re.compile(words, re.IGNORECASE) for pair, words in THEN_WHY.items()}


def _names_another_status(
    reason: str,
    status: str,
    words: tuple[re.Pattern[str], dict[str, str]] | None = None,
    agreeing: frozenset[tuple[str, str]] = frozenset(),
    *,
    refill: bool = False,
) -> bool:
    from tracker.panel.status_hedges import takes_back  # a reason's words: rare

    words = _order_words() if words is None else words
    reason = _leading_marks().sub("", reason)
    # "Completed: not yet", "Completed (soon)", "Completed: delivery not yet started"
    if takes_back(reason, status, refill=refill):
        return True
    found = words[0].match(reason)
    if found is None:
        return False
    named = words[1][found.lastgroup or ""]
    if found.group("negated") is not None:  # "Canceled: not refunded": NEGATED_WHY
        return refill or (status, named) not in NEGATED_WHY
    why = None if refill else _then_why().get((status, named))
    if why is not None and why.match(reason, found.end()):  # "Canceled: failed to start"
        return False
    return named != status and (status, named) not in agreeing


@lru_cache(maxsize=512)
def _read_reason(raw: str) -> tuple[str, str] | None:
    """Return (status, reason) for a known spelling followed by the panel's
    reason, or None. A reason that begins with another status in any form
    ("Completed, partial", "Completed (partially)", "Completed: failed") is
    not read: which the panel means is not clear; unless the two agree
    ("Canceled – refunded": Canceled, see AGREEING)."""
    after_separator, in_brackets = _with_reason()
    found = after_separator.fullmatch(raw) or in_brackets.fullmatch(raw)
    if found is None:
        return None
    # .get: IGNORECASE matches a few letters lower() does not give back ("ſ").
    status = ORDER_SPELLINGS.get(_key(found.group(1)))
    reason = found.group(2).strip()
    if status is None or not reason.strip(_NO_REASON):
        return None
    if _names_another_status(reason, status, agreeing=AGREEING):
        return None
    return status, reason


def status_reason(raw: str | None) -> str | None:
    """Given an order's status as the panel wrote it (``raw_status``), return
    the panel's reason when it was read as a known status followed by one
    ("invalid link" of "Canceled: invalid link"), else None."""
    if raw is None:
        return None
    read = compatible(_unescaped(raw))  # "<b>Canceled</b>: link removed" too
    if ORDER_SPELLINGS.get(_key(read)) is not None:
        return None
    with_reason = _read_reason(read)
    return None if with_reason is None else with_reason[1]


# A refill status with the panel's reason after it ("Rejected: invalid link",
# "Canceled (incorrect link)", "Refill rejected - link is invalid"): the
# status word first (after "refill"), then a separator, so that "Not
# completed" or "Completed orders only" are not read so.
@cache
def _leading_status() -> re.Pattern[str]:
    return re.compile(
        r"\s*(?:refill\s+)?(pending|processing|refilling|completed|rejected|canceled|cancelled)"
        r"\s*(?:[:(\[,;.]|[-\u2013\u2014]\s)",
        re.IGNORECASE,
    )


@cache
def _refill_words() -> tuple[re.Pattern[str], dict[str, str]]:
    """As for orders: a reason beginning with another refill status is not read."""
    return _status_words(REFILL_STEMS)


@lru_cache(maxsize=512)
def normalize_refill_status(raw: str) -> tuple[str, bool]:
    """Given a refill status as a panel spelled it, return (status, known): a
    known spelling, or one followed by the panel's reason (see _leading_status),
    also in its compatibility form (:func:`compatible`)."""
    read = compatible(_unescaped(raw))
    found = REFILL_SPELLINGS.get(_key(read))
    if found is None:
        leading = _leading_status().match(read)
        if leading is None:
            return _unknown(raw), False
        found = REFILL_SPELLINGS[leading.group(1).lower()]
        if _names_another_status(read[leading.end() :], found, _refill_words(), refill=True):
            return _unknown(raw), False
    return found, True


def canonical_order_status(text: str) -> str | None:
    """Given a user's spelling of an order status (a key of the config's
    ``stall_after``, a simulated order's pin), return the canonical status or
    None: read as a panel's word alone is, in its compatibility form too
    ("Ｐｅｎｄｉｎｇ" is Pending), never with a reason after it."""
    return ORDER_SPELLINGS.get(_key(compatible(text)))
