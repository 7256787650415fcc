"""Words after a status word that take it back: a negation ("Completed: not
yet", "Completed (no)") or words saying the status is still to come, near,
or a guess ("Completed - soon", "Completed: still running", "Completed:
expected 12:00"). Read as the status, such an order stopped being polled
while the panel said it had not ended. Pure; used by
:mod:`tracker.panel.statuses` on the reason after a known status word.

Two readings: the reason's first words (:data:`_HEDGED`, any status, but
for words saying why an order ended: "Canceled: cannot start", "Canceled:
will be refunded"), and, for a status that ends the order or refill
(:data:`~tracker.panel.status_words.SAID`), its words anywhere in its first :data:`CAP` characters
("Completed: delivery not yet started", "Completed - order will start
soon", "Completed: the order is running"), word by word: no regular
expression runs over the reason but the one finding its words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.panel.status_words import (
    ALMOST,
    ARTICLES,
    BEFORE_TO,
    DELIVERY_ENDED,
    DONE,
    FAILED,
    FILLERS,
    FUTURE,
    GIVEN_BACK,
    GOING_ON,
    HOURS,
    IN_HAND,
    LACKS,
    MONEY_AFTER,
    MONEY_WORDS,
    NEAR,
    NEGATION,
    NEGATIONS,
    NOT_YET,
    PLANNED,
    REFILL_WORDS,
    REQUEST,
    RUNNING,
    SAID,
    START_NOW,
    STOPPED,
    UNDOING,
    WAITING,
    WHEN,
    WHY_NEGATED,
)

_HEDGED = re.compile(
    rf"(?:{NEGATION}\b(?![\s_-]*(?:{LACKS})\b)|(?:{NOT_YET})(?!\w))",
    re.IGNORECASE,
)

# How much of a reason is read for words taking its status back anywhere: a
# panel's reason is a few words; a longer text is read no further (its first
# words are those that say what became of the order).
CAP = 200
# A word: letters and digits, "hasn't" and "we'll" one word each; or a mark
# ending a clause ("refund pending, order not canceled": two clauses), a dash
# too, or a hyphen with a space beside it ("refund pending - order running";
# not "non-refundable").
_WORD = re.compile(r"([^\W_]+(?:['’][^\W_]+)?)|[,;:.!?()\u2013\u2014]|(?<!\S)-|-(?!\S)")
_LACKING = re.compile(LACKS)
_REFILL = re.compile(REFILL_WORDS)
_MONEY = re.compile(MONEY_WORDS)
_WHY_NEGATED = {status: re.compile(words) for status, words in WHY_NEGATED.items()}


def takes_back(reason: str, status: str = "", *, refill: bool = False) -> bool:
    """Given the reason after a status word (``status``, as
    :mod:`tracker.panel.statuses` names it), its leading marks and tags read
    past ("not yet" of "Completed: <i>not yet</i>"), return True when it
    takes the status back.

    First words: a negation ("not yet", "no", "never"; not one of what the
    order lacks, "not enough funds", "no such user"), or words saying it is
    still to come or a guess ("soon", "almost", "still running", "expected",
    "will be", "to be confirmed", "in 2 hours"). Any status, but for words
    saying why it ended (:func:`_says_why`).

    Anywhere in the reason's first CAP characters, for a status that ends
    the order (or ``refill``; see :func:`_anywhere`): "delivery not yet
    started", "order will start soon", "waiting for start", "the order is
    not finished", "will be refunded" (of Refunded), "the order is running"
    (of Completed and Partial)."""
    hedged = _HEDGED.match(reason) is not None
    if hedged and (status not in SAID or not _says_why(_read(reason[:CAP]), status, refill)):
        return True
    return status in SAID and _anywhere(reason[:CAP], status, refill)


def _read(reason: str) -> tuple[list[str], list[int]]:
    """Return the words of ``reason``, lowercase, and the clause of each."""
    words: list[str] = []
    clauses: list[int] = []
    clause = 0
    for found in _WORD.finditer(reason):
        word = found.group(1)
        if word is None:
            clause += 1
        else:
            words.append(word.lower().replace("’", "'"))
            clauses.append(clause)
    return words, clauses


def _says_why(read: tuple[list[str], list[int]], status: str, refill: bool) -> bool:
    """Return True when a reason's first words, a negation or a future, say
    why an order ended, not that it has not: a refund to come or none
    (:data:`_MONEY`, of an order's Canceled and Partial: "will be refunded to
    balance", "will be returned to balance", "not yet refunded", "no
    refund", "not charged"), or a negation of its running or of its end in
    full (:data:`_WHY_NEGATED`: of Canceled and Refunded "cannot start",
    "not working", "will not be delivered", "not completed"; of Partial
    "not fully delivered", "cannot complete"); a future negated, as the
    negation alone, of money ("will not be refunded") or of what the order
    lacks ("will not drop", "won't be refilled")."""
    words = read[0]
    at = 1 if words[:1] and (words[0] in FUTURE or words[0].endswith("'ll")) else 0
    negated = at < len(words) and _negation(words[at])
    money = words != [] and not refill and status in MONEY_AFTER
    if money and (_of_money(read, 0, status) or (negated and _of_money(read, at, status))):
        return True
    if not negated:
        return False
    after = words[at + 1 : at + 4]
    why = _WHY_NEGATED.get(status)
    return _next_is(after, _LACKING) or (why is not None and _next_is(after, why))


def _anywhere(reason: str, status: str, refill: bool) -> bool:
    """Return True when ``reason`` holds words taking back ``status``, one
    that ends the order: a negation (not of what it lacks) with "yet" within
    three words or the status's own words next ("not yet", "has not
    started", "not been canceled"); "yet to"; a future of those words, or
    "almost" ("will start", "about to begin", "being delivered" of
    Completed, "will be refunded" of Refunded, "almost done"); those words
    failed, not done or still to be done (:func:`_undone`), or begun by
    "in" or "un" ("incomplete"); "soon", "shortly", "ETA"; words of waiting
    ("waiting", "in queue", "pending", "in progress", "in process"); "still"
    going on ("still running"); a start or end in the present, then when
    ("starts in 2 hours"); of Completed and Partial, the order going on or
    held ("running", "active", "working on it", "on hold"; not "not
    running"). Words about a refill of
    an order ("refill pending", "refill will start", "guarantee active") are
    not about the order (they are of a ``refill``'s status), nor, of an
    order's Canceled or Partial, a clause about money ("refund pending")."""
    read = _read(reason)
    words = read[0]
    said = _pattern(status)
    running = status in DELIVERY_ENDED
    for at, word in enumerate(words):
        if _hedge(words, at, word, said, running) and (
            refill or not _said_of_else(read, at, status)
        ):
            return True
    return False


def _said_of_else(read: tuple[list[str], list[int]], at: int, status: str) -> bool:
    """Return True when the word at ``at`` is said of a refill, or of money
    after an order's Canceled or Partial, not of the order's status (but
    the order going on, "still delivering", "running", is the order's)."""
    words = read[0]
    if _about_refill(words, at):
        return True
    going = words[at : at + 2] if words[at] == "still" else words[at : at + 1]
    return status in MONEY_AFTER and going[-1] not in RUNNING and _of_money(read, at, status)


def _negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def _hedge(words: list[str], at: int, word: str, said: re.Pattern[str], running: bool) -> bool:
    after = words[at + 1 : at + 4]
    before = words[at - 1] if at else ""
    if _negation(word):
        lacks = bool(after) and _LACKING.fullmatch(after[0]) is not None
        return not lacks and ("yet" in after or _next_is(after, said))
    if word == "yet":
        return after[:1] == ["to"]
    if (
        word in FUTURE
        or word.endswith("'ll")
        or word == "being"
        or word in ALMOST
        or (word == "to" and before in BEFORE_TO)
    ):
        return _next_is(after, said)
    if word in IN_HAND and before == "in":  # "in progress", "in process"
        return True
    if word == "still":
        return after[:1] != [] and after[0] in GOING_ON
    if word in START_NOW:
        return after[:1] != [] and after[0] in WHEN
    if word in RUNNING or (word == "hold" and before == "on"):
        return running and _going_on(words, at, after)
    if said.fullmatch(word) is not None:
        return _undone(words[at + 1 : at + 6])
    if word[:2] in UNDOING and said.fullmatch(word[2:]) is not None:
        return True  # "incomplete", "undelivered", "unconfirmed"
    return word in NEAR or word in WAITING


def _undone(after: list[str]) -> bool:
    """Return True when words after the status's own say it failed, was not
    done or is still to be done ("request rejected", "not processed", "not
    issued", "incomplete", "will be issued", "to be confirmed", "is being
    processed"; not "by admin", "has been issued")."""
    kept = [word for word in after if word not in REQUEST]
    told = [word for word in kept if word not in FILLERS]
    if not told:
        return False
    if told[0] in FAILED or told[0] in PLANNED or (told[0][:2] in UNDOING and told[0][2:] in DONE):
        return True
    if kept[0] == "being":
        return told[0] in DONE
    to_come = _negation(told[0]) or told[0] in FUTURE or told[0].endswith("'ll")
    return (to_come or told[0] == "to") and told[1:2] != [] and told[1] in DONE


def _going_on(words: list[str], at: int, after: list[str]) -> bool:
    """Return True when the word of going on at ``at`` is not negated or
    stopped just before ("not running", "isn't currently active", "no
    longer working") nor of a time ("2 working days")."""
    stopped = any(_negation(word) or word in STOPPED for word in words[max(0, at - 2) : at])
    return not stopped and not (after[:1] != [] and after[0] in HOURS)


def _next_is(after: list[str], pattern: re.Pattern[str]) -> bool:
    """Return True when the first of ``after`` that is no filler word matches
    (not "start" of "start count": "no start count" is a missing figure)."""
    for at, word in enumerate(after):
        if word not in FILLERS:
            counted = word == "start" and after[at + 1 : at + 2] == ["count"]
            return not counted and pattern.fullmatch(word) is not None
    return False


def _about_refill(words: list[str], at: int) -> bool:
    """Return True when the word at ``at`` is said of a refill or its
    guarantee: one of the two words before it, or the next but "for", "a",
    "the", is a refill's ("refill pending", "guarantee active")."""
    near = words[max(0, at - 2) : at]
    near += [word for word in words[at + 1 : at + 3] if word not in ARTICLES][:1]
    return any(_REFILL.match(word) is not None for word in near)


def _of_money(read: tuple[list[str], list[int]], at: int, status: str) -> bool:
    """Return True when the word at ``at`` is said of money: a word of money
    before it in its clause ("refund will be issued soon", "refund not yet
    issued") or next after it, past fillers and "yet" ("will be refunded",
    "not yet refunded"), or a giving back next, then a word of money ("will
    be returned to your balance"; not "will be returned"), and none of
    ``status``'s own words in the clause (not "cancel and refund not yet
    confirmed")."""
    words, clauses = read
    clause = [word for word, of in zip(words, clauses, strict=True) if of == clauses[at]]
    if any(_pattern(status).fullmatch(word) is not None for word in clause):
        return False
    place = at - clauses.index(clauses[at])  # its place in its clause
    if any(_MONEY.fullmatch(word) is not None for word in clause[:place]):
        return True
    after = [word for word in clause[place + 1 : place + 8] if word not in FILLERS]
    if after[:1] and after[0] in GIVEN_BACK:
        return any(_MONEY.fullmatch(word) is not None for word in after[1:5])
    return _next_is([word for word in clause[place + 1 : place + 5] if word != "yet"], _MONEY)


@lru_cache(maxsize=16)
def _pattern(status: str) -> re.Pattern[str]:
    """Return the pattern of ``status``'s own words (:data:`SAID`)."""
    return re.compile(SAID[status])
