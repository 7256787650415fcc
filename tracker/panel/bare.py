"""A bare JSON string for a whole answer (``"Invalid API key"``, ``"Incorrect
request"``): the panel's words, read as ``{"error": <the string>}`` is.

Self-hosted panel scripts that write an item's error as a bare string write
their refusals of a whole call so too. Read as a broken answer ("expected an
object for balance, got str: 'Invalid API key'"), a key refused so never
paused the panel, and the witness (:mod:`tracker.panel.witness`) never knew
a refusal it answered so. :mod:`tracker.panel.interpret` turns such an
answer into the error object for the calls that only read, before it looks
for busy words, so every such action reads it in one place; never for
``add``, ``refill`` and ``cancel``, where a bare string may follow an action
the panel did (their outcome unknown stays the safe reading), but for words
refusing the key, read so by :mod:`tracker.panel.plain_words`.

A string of no words (empty, only blanks, a web page quoted as JSON) is no
one's words: it stays a broken answer. Nor is a status spelling an error
(``"Completed"``; a refill's, ``"Success"``, to ``refill_status``): it is
left as it came, for the parser of a one-order status call to read as the
order's status (:mod:`tracker.panel.parse_single`), and of a one-refill
``refill_status`` as the refill's (:mod:`tracker.panel.parse_refill_status`);
elsewhere (``orders=``, ``refills=``: whose status?) a broken answer.
"""

from __future__ import annotations

from typing import Any

from tracker.panel.notices import looks_like_html
from tracker.panel.refusals import error_text
from tracker.panel.statuses import FAILED, normalize_order_status, normalize_refill_status


def as_error(data: Any, action: str = "status") -> Any:
    """Given a decoded answer to ``action``, return ``{"error": data}`` when it
    is a bare string of the panel's words (see the module), else ``data`` as
    it came. Costs one type check for any other answer."""
    if type(data) is not str or not has_words(data) or is_status_word(data, action):
        return data
    return {"error": data}


def has_words(text: str) -> bool:
    """Whether a bare string says anything: not empty, not only blanks, not a
    web page (an error page's HTML quoted as a JSON string)."""
    return bool(error_text({"error": text})) and not looks_like_html(
        text.encode("utf-8", "replace")
    )


def is_status_word(text: str, action: str = "status") -> bool:
    """Whether ``text`` is a status spelling (an order's; a refill's for
    ``refill_status``) other than Error/Fail/Failed, which panels send as
    their error words."""
    read = normalize_refill_status if action == "refill_status" else normalize_order_status
    status, known = read(text)
    return known and status != FAILED


def is_error_word(text: str) -> bool:
    """Whether ``text`` is alone one of the words panels write as their error
    (``"Error"``, ``"Failed"``, ``"Fail"``): the panel's, never a server's."""
    return normalize_order_status(text) == (FAILED, True)
