"""The words :mod:`tracker.panel.status_hedges` reads in the reason after a
status word: negations, words of a status still to come, what an order may
lack, each status's own words, and the words around them; and those
:mod:`tracker.panel.statuses` reads first in a reason (another status's).
Data only: the regular expressions' sources and sets of lowercase words;
the reading is theirs.
"""

from __future__ import annotations

# A negation, first in the reason ("not", "no", "never", "isn't"...).
NEGATION = (
    r"(?:not|no|never|nope|cannot|(?:is|was|has|have|had|did|does|do|are|were|ai|wo|ca)n['’]?t)"
)
# What a negation may be about that is no status of the order: why it was
# canceled or rejected, or what it lacks beside being done ("Canceled: not
# enough funds", "Canceled: no such user", "Rejected: not eligible",
# "Completed: no refill", "Completed: not refillable", "Completed: no drops",
# "Completed: no guarantee").
LACKS = (
    r"enough|such|found|available|valid|exists?|existing|public|accessible|longer"
    r"|refill\w*|drop\w*|funds?|balance|money|link|account|user|access"
    r"|eligible|needed|allowed|possible|supported|start[\s_-]*count|guarantee\w*|warrant\w*"
)
# Words saying the status is still to come, near, or a guess.
NOT_YET = (
    r"yet|soon|shortly|almost|nearly|about[\s_-]+to|later|eventually|scheduled"
    r"|expected|estimated|eta|upcoming|will|to[\s_-]+(?:be|follow|come)|waiting"
    r"|wait|on[\s_-]+hold|tbd|still|being|maybe|probably|likely|possibly"
    r"|presumably|asap|in[\s_-]+(?:queue|\d|an?\b|few)"
)

# What says, after a negation or a future, that a status that ends an order
# (or refill) has not come: the status's own words ("not canceled", "will be
# refunded"), and for Completed, delivery's ("not started", "never
# delivered", "not finished", "will start"). Only Completed's: a canceled
# order "could not deliver", a partial one "did not deliver the rest", and
# that is why; "Partial: remains will be delivered" is a Partial (the
# automation never re-orders one with a reason: it may still be delivering).
_ENDED = r"|ended|over|final\w*|confirm\w*"
SAID = {
    "Completed": r"complet\w*|finish\w*|done|deliver\w*|fulfill?\w*|start\w*|began|begun"
    r"|begin\w*|launch\w*|process(?:ed)?|ready|sent" + _ENDED,
    "Partial": r"partial\w*" + _ENDED,
    "Canceled": r"cancel\w*" + _ENDED,
    # A refunded order's money back is its status: "money not returned".
    "Refunded": r"refund\w*|money|funds?|balance|amount|credit\w*" + _ENDED,
    "Rejected": r"reject\w*" + _ENDED,
}


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words read past between a negation or a future and what it is about
# ("not yet started", "will be delivered", "never fully completed").
FILLERS = _set(
    "be been being get got even fully really actually quite properly ever"
    " completely entirely all then also only automatically successfully"
)
NEGATIONS = _set(
    "not no never nope cannot isnt wasnt hasnt havent hadnt didnt doesnt dont arent werent"
    " wont cant couldnt wouldnt shouldnt aint"
)
# Words of a future ("will", "we'll", "going to").
FUTURE = _set("will shall gonna")
BEFORE_TO = _set("going about scheduled expected set")
# Words saying the status is near or still to come wherever they stand.
NEAR = _set("soon shortly eta tbd")
WAITING = _set("waiting awaiting queued queue pending processing ongoing underway")
# After "still": the order going on ("still running", "still in progress").
GOING_ON = _set(
    "running processing pending delivering waiting queued active ongoing working starting"
    " sending going in"
)
# A start or an end said in the present, then when ("starts in 2 hours",
# "starting soon", "completes in 24 hours").
START_NOW = _set(
    "starts starting begins beginning launches launching completes completing finishes finishing"
)
# Before the status's own words, words saying it has nearly come ("delivery
# almost done", "nearly complete"): it has not.
ALMOST = _set("almost nearly")
# After "in": the order being worked on ("in progress", "in process").
IN_HAND = _set("progress process")
WHEN = _set("in within after at on soon shortly tomorrow today tonight")
ARTICLES = _set("for a the of to")
# Words of an order going on or held, for a status saying its delivery ended
# ("Completed: the order is running", "Completed - currently running",
# "Completed: working on it", "Completed: order paused", "on hold" too),
# unless a negation or a stop comes just before
# ("Completed: order not running", "no longer active"). Not of Canceled or
# Refunded: a canceled order's reason speaks of the service or another order
# ("Canceled: service not running", "another order is active on this link").
RUNNING = _set("running active working delivering paused")
DELIVERY_ENDED = frozenset({"Completed", "Partial"})
STOPPED = _set("stopped longer")
HOURS = _set("day days hour hours")  # "delivered within 2 working days"
# Words of a refill or its guarantee: what is said of them is not of the order.
REFILL_WORDS = r"refill\w*|guarantee\w*|warrant\w*"
# Words of money: a refund still to come, pending or none is not of an
# order's Canceled or Partial ("Canceled: refund will be issued soon"): it
# ended, and its late checks read a refund made later.
MONEY_WORDS = r"refund\w*|money|funds?|balance|amount|credit\w*|charge\w*|payment\w*"
MONEY_AFTER = frozenset({"Canceled", "Partial"})
# Words giving money back, before where it goes ("will be returned to your
# balance", "will be sent back to the balance"): of money too.
GIVEN_BACK = _set("returned added sent given paid put transferred restored reversed moved back")
# A status, then another's words negated, that say why the first ended: not
# refunded, the money kept ("Canceled: not refunded", "Partial: not
# refunded"; not "Refunded: not refunded"), or not processed, the order never
# ran ("Canceled: not processed", as "Canceled: not started"), or not
# completed, the order ended short ("Partial: not completed", as "Partial:
# not fully delivered"; "Canceled: not completed").
NEGATED_WHY = frozenset(
    {
        ("Canceled", "Refunded"),
        ("Partial", "Refunded"),
        ("Canceled", "Processing"),
        ("Refunded", "Processing"),
        ("Canceled", "Completed"),
        ("Refunded", "Completed"),
        ("Partial", "Completed"),
    }
)
# After a negation first, words saying why an order never ran, not that it
# has not ended ("Canceled: cannot start, account private", "Canceled: not
# working", "Canceled: not processed", "Refunded: will not be delivered"). Of
# Completed they take it back ("Completed: not delivered"), and of Partial
# but those of SHORT_WORDS ("Partial: not started" is unknown). A cancel not
# processed names the cancel ("cancellation not processed").
NEVER_RAN_WORDS = r"start\w*|began|begun|begin\w*|launch\w*|deliver\w*|run\w*|work\w*|process\w*"
# After a negation first, words saying the order was not done in full: why
# a Partial one ended short ("Partial: not fully delivered", "Partial:
# cannot complete", "Partial: will not be completed"), or a Canceled or
# Refunded one ended ("Canceled: not completed"). Of Completed they take it
# back ("Completed: not delivered"); not "not yet completed" ("yet").
SHORT_WORDS = r"complet\w*|finish\w*|deliver\w*|fulfill?\w*"
# Each status a negation first of these words says why of (above).
WHY_NEGATED = {
    "Canceled": f"{NEVER_RAN_WORDS}|{SHORT_WORDS}",
    "Refunded": f"{NEVER_RAN_WORDS}|{SHORT_WORDS}",
    "Partial": SHORT_WORDS,
}
# After the status's own words, read past a request's words: it failed, or
# was not done ("Canceled: cancel request rejected", "Canceled: cancellation
# not processed", "Refunded: refund failed"): the status has not come.
FAILED = _set("failed rejected refused declined denied unsuccessful impossible")
DONE = _set(
    "processed accepted approved done completed complete confirmed applied executed"
    " successful possible allowed finished effective issued given made sent credited"
    " returned paid"
)
# Beginnings negating the word they begin, the status's own ("Completed:
# order incomplete", "Completed: undelivered") or one of done ("Refunded:
# refund incomplete", "Canceled: cancellation unconfirmed"): not done.
UNDOING = ("in", "un")
# Words saying, after the status's own, that it is set for later ("Refunded:
# refund scheduled"); not of anything else ("delivered as scheduled").
PLANNED = _set("scheduled planned")
REQUEST = _set("request requests attempt is was has have")


# What a reason may not begin with (read by :mod:`tracker.panel.statuses`):
# the words of another status in any form, inflected ("partially",
# "cancellation"), negated ("incomplete", "not completed") or
# Error/Fail/Failed ("Completed: failed", "Partial: error, retrying"): the
# order is not clearly the first status. Its own status's words are fine
# ("Canceled: cancelled by admin"), unless negated, and so are those of a
# status that agrees with it (AGREEING).
ORDER_STEMS = {
    "Pending": r"pending|await\w*|queued|creating",
    "Processing": r"process\w*",
    "In progress": r"in[\s_-]*progr?ess",
    "Completed": r"complet\w*",
    "Partial": r"partial\w*|partly",
    "Canceled": r"cancel\w*",
    "Refunded": r"refund\w*",
    "Failed": r"fail\w*|error\w*",
    "Active": r"active",
    "Paused": r"paused",
}
# As for orders: a reason beginning with another refill status in any form
# ("Completed: rejected", "Completed - failed") is not read.
REFILL_STEMS = {
    "Completed": r"complet\w*|processed|done|success\w*|finished",
    "Pending": r"pending|await\w*|queued|accepted",
    "In progress": r"in[\s_-]*progr?ess|process\w*|refilling",
    "Rejected": r"reject\w*|declined|denied",
    "Canceled": r"cancel\w*|expired",
    "Failed": r"fail\w*|error\w*",
}
# Statuses that say the same of an order: a canceled one's money came back, a
# refunded one was canceled ("Canceled – refunded", "Refunded: canceled by
# admin"), a partial one had the rest refunded ("Partial: refunded 120"; not
# "Refunded - partial": in whole or in part?). Any other two say two things
# ("Completed (partial)": delivered in full, or not? "Completed / Canceled").
AGREEING = frozenset({("Canceled", "Refunded"), ("Refunded", "Canceled"), ("Partial", "Refunded")})
# A status, then another's words, then words saying why the first ended or
# what came of the order after it: not the other status. "Failed to" and
# what a negation says why of (WHY_NEGATED): "Canceled: failed to start",
# as "Canceled: unable to start"; "Partial: failed to complete". A
# partial drop after Completed: "Completed: partially dropped".
THEN_WHY = {
    **{(status, "Failed"): rf"\s+to\s+(?:{words})\b" for status, words in WHY_NEGATED.items()},
    ("Completed", "Partial"): r"\s+drop\w*\b",
}
