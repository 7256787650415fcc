"""Words after a status word that take it back: a negation ("Completed: not
yet", "Completed (no)") or words saying the status is still to come, near,
or a guess ("Completed - soon", "Completed: still running", "Completed:
expected 12:00"). Read as the status, such an order stopped being polled
while the panel said it had not ended. Pure; used by
:mod:`tracker.panel.statuses` on the reason after a known status word.
"""

from __future__ import annotations

import re

# A negation, first in the reason ("not", "no", "never", "isn't"...).
_NEGATION = (
    r"(?:not|no|never|nope|cannot|(?:is|was|has|have|had|did|does|do|are|were|ai|wo|ca)n['’]?t)"
)
# What a negation may be about that is no status of the order: why it was
# canceled or rejected, or what it lacks beside being done ("Canceled: not
# enough funds", "Canceled: no such user", "Rejected: not eligible",
# "Completed: no refill", "Completed: no drops").
_LACKS = (
    r"enough|such|found|available|valid|exists?|existing|public|accessible|longer"
    r"|refills?|drops?|dropped|funds?|balance|money|link|account|user|access"
    r"|eligible|needed|allowed|possible|supported"
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


def takes_back(reason: str) -> bool:
    """Given the reason after a status word, its leading marks and tags read
    past ("not yet" of "Completed: <i>not yet</i>"), return True when it
    begins by taking the status back: a negation ("not yet", "no", "never";
    not one of what the order lacks, "not enough funds", "no such user"), or
    words saying it is still to come or a guess ("soon", "almost", "still
    running", "expected", "will be", "to be confirmed", "in 2 hours")."""
    return _HEDGED.match(reason) is not None
