"""Whether a failure's words say the panel's URL is wrong: a redirect, a web server's 404 or 405."""

from __future__ import annotations

import json
import re
from functools import cache

from tracker.panel.failures import _WRONG_URL_CODES, WEB_PAGE


def names_wrong_url(message: str) -> bool:
    """Return True when ``message`` is an HTTP error whose code points at the
    URL itself, as :func:`describe_status` and :func:`with_status` word it: a
    redirect, or a 404 or 405 saying no more than that (nothing, "Not Found",
    "Method Not Allowed", a web page): the same on every action, it is the
    URL's path that is wrong. A 404 in the panel's own words ("User not found",
    "Access denied") may be how it refuses a key."""
    found = _WRONG_URL_MESSAGE.match(message)
    if found is None:
        return False
    words = message[found.end() :].partition(": ")[2]
    if found["code"].startswith("3") or _generic_miss().fullmatch(words) is not None:
        return True
    # A framework's JSON 404 shown whole: {"message": "Not Found"} (Laravel),
    # {"detail": "Method Not Allowed"} (FastAPI).
    try:
        data = json.loads(words)
    except (ValueError, RecursionError):
        return False
    said = [data.get(k) for k in ("message", "detail")] if isinstance(data, dict) else []
    return any(isinstance(w, str) and _generic_miss().fullmatch(w) is not None for w in said)


_WRONG_URL_MESSAGE = re.compile(
    f"HTTP (?P<code>{'|'.join(map(str, sorted(_WRONG_URL_CODES)))}) from "
)


def generic_miss(words: str) -> bool:
    """Whether ``words`` are all a web server says of a path it does not serve."""
    return _generic_miss().fullmatch(words) is not None


@cache
def _generic_miss() -> re.Pattern[str]:
    """What a web server (not the panel) says of a path it does not serve:
    compiled at its first use (~1 ms), only a page answered needs it."""
    return re.compile(_GENERIC_MISS, re.IGNORECASE | re.DOTALL)


_GENERIC_MISS = (
    r"\W*(?:(?:error\W*)?(?:404|405)\W*)?(?:(?:the\s+)?(?:page|file|resource|route|endpoint|"
    r"url|path|action|api)\s+)?(?:not\s+found|method\s+not\s+allowed|does\s+not\s+exist)?\W*|"
    # Laravel's, Express's and PHP-FPM's words for a path they do not serve
    r"\W*the\s+route\s+\S*\s*could\s+not\s+be\s+found\W*|"
    r"\W*the\s+\w+\s+method\s+is\s+not\s+supported\s+for\s+(?:this\s+)?route\b.*|"
    r"\W*cannot\s+(?:get|post)\s+/\S*\W*|\W*no\s+input\s+file\s+specified\W*|"
    + re.escape(WEB_PAGE)
    + r".*"
)
