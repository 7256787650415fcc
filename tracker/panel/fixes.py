"""What to do about a call that failed, said after its line: the fix a user
can make when waiting cures nothing.

Pure: the error's words (as :mod:`tracker.panel.failures` and
:mod:`tracker.panel.unserved` put them) and the panel's place in the config
in, a hint or None out. ``add``, ``cancel`` and ``doctor`` end their lines
with it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from tracker.panel.failures import BOT_CHECK, TO_TLS, WEB_PAGE


def web_page_hint(message: str, panel_index: int, *, lists: Collection[str] = ()) -> str | None:
    """Given an error message, return the hint to add when the panel URL
    answered a web page instead of the API, or a page refused the request
    for its size (:func:`size_hint`: ``lists``), else None."""
    size = size_hint(message, lists) if WEB_PAGE in message else None
    if size is not None:  # the request is what is wrong, not the URL
        return size
    if BOT_CHECK in message:  # the URL is the panel's: its host lets no script through
        return (
            "the panel's bot protection stops scripts: try again later, or ask the "
            "panel to let API calls from this server through"
        )
    if WEB_PAGE not in message or _SERVER_ERROR.search(message):
        return None  # a 5xx page: the panel or its proxy failing, not the URL
    if _TIMED_OUT.search(message) or TO_TLS in message:
        return None  # the server tired of waiting; the https:// move says its fix
    if _REFUSED.search(message):  # a password prompt, a firewall's block page
        return (
            f"this URL answers a web page refusing access, not the API — check "
            f"panels[{panel_index}].url, or whether the panel's host lets this server in"
        )
    return f"this URL answers a web page, not the API — check panels[{panel_index}].url"


def unserved_hint(message: str, panel_index: int, *, lists: Collection[str] = ()) -> str | None:
    """Given the error of a call not sent, return what to do when waiting
    cures nothing: a web page's hint or a size's (:func:`web_page_hint`,
    ``lists`` as there, with a JSON or text body too); for a 404 or
    405 from the panel's URL (not its ``{"error": ...}``: a refusal, never
    "not sent"), its path; for another 401 or 403 (a framework's JSON, a
    firewall's text), the URL or the host; "" for a move to https:// (its
    line names the URL to set); else None (a 5xx, a 408: try again later)."""
    hint = size_hint(message, lists) or web_page_hint(message, panel_index)
    if hint is not None or TO_TLS in message:
        return hint or ""
    if _NO_API.search(message):
        return f"no API at this URL's path — check panels[{panel_index}].url"
    if _REFUSED_ANY.search(message):  # {"message": "Unauthenticated."}, a firewall's text
        url = f"panels[{panel_index}].url"
        return f"this URL refuses access before the API — check {url}, or {_LET_IN}"
    return None


def size_hint(message: str, lists: Collection[str] = ()) -> str | None:
    """Given an error message, return what to say when its HTTP code (the
    first the message names) refuses the request for its size, before any
    script read it: 411 (its length), 413 (its body), 414 (its URL), 431
    (its headers); else None. ``lists`` names the fields of many lines the
    request carried (``comments``, ``usernames``): what to send fewer of
    when its body is too large."""
    found = _FIRST_CODE.search(message)
    code = int(found[1]) if found is not None else 0
    said = _SIZES.get(code)
    if code == 413 and lists:  # comments make an add's body large, nothing else
        return f"{said}: send fewer or shorter {' or '.join(lists)}"
    return said


# The tracker's own words put the answer's code first: "sim: add: HTTP 413: ...".
_FIRST_CODE = re.compile(r"\bHTTP (\d{3})\b")
_SIZES = {
    411: "the server in front of the panel refused the request for its length",
    413: "the request is too large for the server in front of the panel",
    414: "the request's URL is too long for the server in front of the panel",
    431: "the request's headers are too large for the server in front of the panel",
}
_NO_API = re.compile(r"\bHTTP 40[45] from ")
# The tracker's own words for a 5xx page, not a page title saying "HTTP 500".
_SERVER_ERROR = re.compile(r"\bHTTP 5\d\d: " + re.escape(WEB_PAGE))
_TIMED_OUT = re.compile(r"\bHTTP 408: " + re.escape(WEB_PAGE))
_REFUSED = re.compile(r"\bHTTP 40[13]: " + re.escape(WEB_PAGE))
_REFUSED_ANY = re.compile(r"\bHTTP 40[13]: ")
_LET_IN = "whether the panel's host lets this server in"
