"""Words after a status word that take it back: a negation ("Completed: not
yet", "Completed (no)") or words saying the status is still to come, near,
or a guess ("Completed - soon", "Completed: still running", "Completed:
expected 12:00"). Read as the status, such an order stopped being polled
while the panel said it had not ended. Pure; used by
:mod:`tracker.panel.statuses` on the reason after a known status word.

Two readings: the reason's first words (:data:`_HEDGED`, any status, but
for words saying why an order ended: "Canceled: cannot start", "Canceled:
will be refunded"), and, for a status that ends the order or refill
(:data:`_SAID`), its words anywhere in its first :data:`CAP` characters
("Completed: delivery not yet started", "Completed - order will start
soon", "Completed: the order is running"), word by word: no regular
expression runs over the reason but the one finding its words.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A negation, first in the reason ("not", "no", "never", "isn't"...).
_NEGATION = (
    r"(?:not|no|never|nope|cannot|(?:is|was|has|have|had|did|does|do|are|were|ai|wo|ca)n['’]?t)"
)
# What a negation may be about that is no status of the order: why it was
# canceled or rejected, or what it lacks beside being done ("Canceled: not
# enough funds", "Canceled: no such user", "Rejected: not eligible",
# "Completed: no refill", "Completed: not refillable", "Completed: no drops",
# "Completed: no guarantee").
_LACKS = (
    r"enough|such|found|available|valid|exists?|existing|public|accessible|longer"
    r"|refill\w*|drop\w*|funds?|balance|money|link|account|user|access"
    r"|eligible|needed|allowed|possible|supported|start[\s_-]*count|guarantee\w*|warrant\w*"
)
# Words saying the status is still to come, near, or a guess.
_NOT_YET = (
    r"yet|soon|shortly|almost|nearly|about[\s_-]+to|later|eventually|scheduled"
    r"|expected|estimated|eta|upcoming|will|to[\s_-]+(?:be|follow|come)|waiting"
    r"|wait|on[\s_-]+hold|tbd|still|being|maybe|probably|likely|possibly"
    r"|presumably|asap|in[\s_-]+(?:queue|\d|an?\b|few)"
)
_HEDGED = re.compile(
    rf"(?:{_NEGATION}\b(?![\s_-]*(?:{_LACKS})\b)|(?:{_NOT_YET})(?!\w))",
    re.IGNORECASE,
)

# How much of a reason is read for words taking its status back anywhere: a
# panel's reason is a few words; a longer text is read no further (its first
# words are those that say what became of the order).
CAP = 200
# A word: letters and digits, "hasn't" and "we'll" one word each; or a mark
# ending a clause ("refund pending, order not canceled": two clauses).
_WORD = re.compile(r"([^\W_]+(?:['’][^\W_]+)?)|[,;:.!?()]")
_LACKING = re.compile(_LACKS)

# What says, after a negation or a future, that a status that ends an order
# (or refill) has not come: the status's own words ("not canceled", "will be
# refunded"), and for Completed, delivery's ("not started", "never
# delivered", "not finished", "will start"). Only Completed's: a canceled
# order "could not deliver", a partial one "did not deliver the rest", and
# that is why; "Partial: remains will be delivered" is a Partial (the
# automation never re-orders one with a reason: it may still be delivering).
_ENDED = r"|ended|over|final\w*|confirm\w*"
_SAID = {
    "Completed": r"complet\w*|finish\w*|done|deliver\w*|fulfill?\w*|start\w*|began|begun"
    r"|begin\w*|launch\w*|process(?:ed)?|ready|sent" + _ENDED,
    "Partial": r"partial\w*" + _ENDED,
    "Canceled": r"cancel\w*" + _ENDED,
    "Refunded": r"refund\w*" + _ENDED,
    "Rejected": r"reject\w*" + _ENDED,
}


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words read past between a negation or a future and what it is about
# ("not yet started", "will be delivered", "never fully completed").
_FILLERS = _set(
    "be been being get got even fully really actually quite properly ever"
    " completely entirely all then also only automatically successfully"
)
_NEGATIONS = _set(
    "not no never nope cannot isnt wasnt hasnt havent hadnt didnt doesnt dont arent werent"
    " wont cant couldnt wouldnt shouldnt aint"
)
# Words of a future ("will", "we'll", "going to").
_FUTURE = _set("will shall gonna")
_BEFORE_TO = _set("going about scheduled expected set")
# Words saying the status is near or still to come wherever they stand.
_NEAR = _set("soon shortly eta tbd")
_WAITING = _set("waiting awaiting queued queue pending processing ongoing underway")
# After "still": the order going on ("still running", "still in progress").
_GOING_ON = _set(
    "running processing pending delivering waiting queued active ongoing working starting"
    " sending going in"
)
# A start said in the present, then when ("starts in 2 hours", "starting soon").
_START_NOW = _set("starts starting begins beginning launches launching")
_WHEN = _set("in within after at on soon shortly tomorrow today tonight")
_ARTICLES = _set("for a the of to")
# Words of an order going on, for a status saying its delivery ended
# ("Completed: the order is running", "Completed - currently running",
# "Completed: working on it"), unless a negation or a stop comes just before
# ("Completed: order not running", "no longer active"). Not of Canceled or
# Refunded: a canceled order's reason speaks of the service or another order
# ("Canceled: service not running", "another order is active on this link").
_RUNNING = _set("running active working delivering")
_DELIVERY_ENDED = frozenset({"Completed", "Partial"})
_STOPPED = _set("stopped longer")
_HOURS = _set("day days hour hours")  # "delivered within 2 working days"
# Words of a refill or its guarantee: what is said of them is not of the order.
_REFILL = re.compile(r"refill\w*|guarantee\w*|warrant\w*")
# Words of money: a refund still to come, pending or none is not of an
# order's Canceled or Partial ("Canceled: refund will be issued soon"): it
# ended, and its late checks read a refund made later.
_MONEY = re.compile(r"refund\w*|money|funds?|balance|amount|credit\w*|charge\w*|payment\w*")
_MONEY_AFTER = frozenset({"Canceled", "Partial"})
# After a negation first, words saying why an order never ran, not that it
# has not ended ("Canceled: cannot start, account private", "Canceled: not
# working", "Refunded: will not be delivered"). Of Completed or Partial they
# take it back ("Completed: not delivered").
_NEVER_RAN = re.compile(r"start\w*|began|begun|begin\w*|launch\w*|deliver\w*|run\w*|work\w*")
_NEVER_RAN_AFTER = frozenset({"Canceled", "Refunded"})
# After the status's own words, read past a request's words: it failed, or
# was not done ("Canceled: cancel request rejected", "Canceled: cancellation
# not processed", "Refunded: refund failed"): the status has not come.
_FAILED = _set("failed rejected refused declined denied unsuccessful impossible")
_DONE = _set(
    "processed accepted approved done completed complete confirmed applied executed"
    " successful possible allowed finished effective"
)
_REQUEST = _set("request requests attempt is was has have")


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
    if hedged and (status not in _SAID or not _says_why(_read(reason[:CAP]), status, refill)):
        return True
    return status in _SAID and _anywhere(reason[:CAP], status, refill)


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
    why an order ended, not that it has not: a refund to come (:data:`_MONEY`,
    of an order's Canceled and Partial: "will be refunded to balance", "not
    yet refunded"; not "no refund", as "not refunded" is not), or a negation
    of its running (:data:`_NEVER_RAN`, of Canceled and Refunded: "cannot
    start", "not working", "will not be delivered")."""
    words = read[0]
    to_come = words[:1] != [] and (not _negation(words[0]) or "yet" in words[1:4])
    if to_come and not refill and status in _MONEY_AFTER and _of_money(read, 0, status):
        return True
    at = 1 if words[:1] and (words[0] in _FUTURE or words[0].endswith("'ll")) else 0
    if status not in _NEVER_RAN_AFTER or at >= len(words) or not _negation(words[at]):
        return False
    return _next_is(words[at + 1 : at + 4], _NEVER_RAN)


def _anywhere(reason: str, status: str, refill: bool) -> bool:
    """Return True when ``reason`` holds words taking back ``status``, one
    that ends the order: a negation (not of what it lacks) with "yet" within
    three words or the status's own words next ("not yet", "has not
    started", "not been canceled"); "yet to"; a future of those words
    ("will start", "about to begin", "being delivered" of Completed, "will
    be refunded" of Refunded); "soon", "shortly", "ETA"; words of waiting
    ("waiting", "in queue", "pending", "in progress"); "still" going on
    ("still running"); a start in the present, then when ("starts in 2
    hours"); of Completed and Partial, the order going on ("running",
    "active", "working on it"; not "not running"). Words about a refill of
    an order ("refill pending", "refill will start", "guarantee active") are
    not about the order (they are of a ``refill``'s status), nor, of an
    order's Canceled or Partial, a clause about money ("refund pending")."""
    read = _read(reason)
    words = read[0]
    said = _pattern(status)
    running = status in _DELIVERY_ENDED
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
    return status in _MONEY_AFTER and going[-1] not in _RUNNING and _of_money(read, at, status)


def _negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


def _hedge(words: list[str], at: int, word: str, said: re.Pattern[str], running: bool) -> bool:
    after = words[at + 1 : at + 4]
    before = words[at - 1] if at else ""
    if _negation(word):
        lacks = bool(after) and _LACKING.fullmatch(after[0]) is not None
        return not lacks and ("yet" in after or _next_is(after, said))
    if word == "yet":
        return after[:1] == ["to"]
    if (
        word in _FUTURE
        or word.endswith("'ll")
        or word == "being"
        or (word == "to" and before in _BEFORE_TO)
    ):
        return _next_is(after, said)
    if word == "progress":
        return before == "in"
    if word == "still":
        return after[:1] != [] and after[0] in _GOING_ON
    if word in _START_NOW:
        return after[:1] != [] and after[0] in _WHEN
    if word in _RUNNING:
        return running and _going_on(words, at, after)
    if said.fullmatch(word) is not None:
        return _undone(words[at + 1 : at + 6])
    return word in _NEAR or word in _WAITING


def _undone(after: list[str]) -> bool:
    """Return True when words after the status's own say it failed or was
    not done ("request rejected", "not processed"; not "by admin")."""
    told = [word for word in after if word not in _FILLERS and word not in _REQUEST]
    if told[:1] and told[0] in _FAILED:
        return True
    return told[:1] != [] and _negation(told[0]) and told[1:2] != [] and told[1] in _DONE


def _going_on(words: list[str], at: int, after: list[str]) -> bool:
    """Return True when the word of going on at ``at`` is not negated or
    stopped just before ("not running", "isn't currently active", "no
    longer working") nor of a time ("2 working days")."""
    stopped = any(_negation(word) or word in _STOPPED for word in words[max(0, at - 2) : at])
    return not stopped and not (after[:1] != [] and after[0] in _HOURS)


def _next_is(after: list[str], pattern: re.Pattern[str]) -> bool:
    """Return True when the first of ``after`` that is no filler word matches
    (not "start" of "start count": "no start count" is a missing figure)."""
    for at, word in enumerate(after):
        if word not in _FILLERS:
            counted = word == "start" and after[at + 1 : at + 2] == ["count"]
            return not counted and pattern.fullmatch(word) is not None
    return False


def _about_refill(words: list[str], at: int) -> bool:
    """Return True when the word at ``at`` is said of a refill or its
    guarantee: one of the two words before it, or the next but "for", "a",
    "the", is a refill's ("refill pending", "guarantee active")."""
    near = words[max(0, at - 2) : at]
    near += [word for word in words[at + 1 : at + 3] if word not in _ARTICLES][:1]
    return any(_REFILL.match(word) is not None for word in near)


def _of_money(read: tuple[list[str], list[int]], at: int, status: str) -> bool:
    """Return True when the word at ``at`` is said of money: a word of money
    before it in its clause ("refund will be issued soon", "refund not yet
    issued") or next after it, past fillers and "yet" ("will be refunded",
    "not yet refunded"), and none of ``status``'s own words in the clause (not
    "cancel and refund not yet confirmed")."""
    words, clauses = read
    clause = [word for word, of in zip(words, clauses, strict=True) if of == clauses[at]]
    if any(_pattern(status).fullmatch(word) is not None for word in clause):
        return False
    place = at - clauses.index(clauses[at])  # its place in its clause
    if any(_MONEY.fullmatch(word) is not None for word in clause[:place]):
        return True
    return _next_is([word for word in clause[place + 1 : place + 5] if word != "yet"], _MONEY)


@lru_cache(maxsize=16)
def _pattern(status: str) -> re.Pattern[str]:
    """Return the pattern of ``status``'s own words (:data:`_SAID`)."""
    return re.compile(_SAID[status])
