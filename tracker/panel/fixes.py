"""What to do about a call that failed, said after its line: the fix a user
can make when waiting cures nothing.

Pure: the error's words (as :mod:`tracker.panel.failures` and
:mod:`tracker.panel.unserved` put them), the HTTP code of the answer it is
about, as data (``PanelError.status``: never read back out of the words,
where a panel's own text may name any code), and the panel's place in the
config in, a hint or None out. ``add``, ``refill``, ``cancel`` and ``doctor``
end their lines with it; given the panel's URL, a hint to check it says where
an API v2 URL most often ends when its path ends elsewhere.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from tracker.panel.failures import BOT_CHECK, REFUSED_BY, TO_TLS, WEB_PAGE
from tracker.panel.not_http import NOT_HTTP


def web_page_hint(
    message: str,
    status: int | None,
    panel_index: int,
    *,
    lists: Collection[str] = (),
    url: str | None = None,
) -> str | None:
    """Given an error message and the HTTP code of its answer (None: none
    came), return the hint to add when the panel URL answered a web page
    instead of the API (its path's note: :func:`api_path_note`, given the
    panel's ``url``), or a page refused the request for its size
    (:func:`size_hint`: ``lists``), else None."""
    return _with_path(_web_page(message, status, panel_index, lists), panel_index, url)


def _web_page(
    message: str, status: int | None, panel_index: int, lists: Collection[str]
) -> str | None:
    size = size_hint(status, lists) if WEB_PAGE in message else None
    if size is not None:  # the request is what is wrong, not the URL
        return size
    if BOT_CHECK in message:  # the URL is the panel's: its host lets no script through
        return (
            "the panel's bot protection stops scripts: try again later, or ask the "
            "panel to let API calls from this server through"
        )
    if WEB_PAGE not in message or (status or 0) >= 500:
        return None  # a 5xx page: the panel or its proxy failing, not the URL
    if status == _TIMED_OUT or TO_TLS in message:
        return None  # the server tired of waiting; the https:// move says its fix
    if status in _REFUSED:  # a password prompt, a firewall's block page
        return (
            f"this URL answers a web page refusing access, not the API — check "
            f"panels[{panel_index}].url, or whether the panel's host lets this server in"
        )
    return f"this URL answers a web page, not the API — check panels[{panel_index}].url"


def unserved_hint(
    message: str,
    status: int | None,
    panel_index: int,
    *,
    lists: Collection[str] = (),
    url: str | None = None,
) -> str | None:
    """Given the error of a call not sent and the HTTP code of its answer
    (None: none came), return what to do when waiting cures nothing: a web
    page's hint or a size's (:func:`web_page_hint`, ``lists`` as there, with
    a JSON or text body too); for a 404 or
    405 from the panel's URL (not its ``{"error": ...}``: a refusal, never
    "not sent"), its path; for another 401 or 403 (a framework's JSON, a
    firewall's text), the URL or the host; "" for a move to https:// (its
    line names the URL to set); else None (a 5xx, a 408: try again later).
    Given the panel's ``url``, a hint to check it ends with its path's note
    (:func:`api_path_note`)."""
    hint = size_hint(status, lists) or web_page_hint(message, status, panel_index, url=url)
    if hint is not None or TO_TLS in message:
        return hint or ""
    if status in _NO_API:
        no_api = f"no API at this URL's path — check panels[{panel_index}].url"
        return _with_path(no_api, panel_index, url)
    if status in _REFUSED:  # {"message": "Unauthenticated."}, a firewall's text
        url = f"panels[{panel_index}].url"
        return f"this URL refuses access before the API — check {url}, or {_LET_IN}"
    return None


def api_path_note(url: str) -> str:
    """Given a panel's URL that answered a web page or no API, return what
    to say of its path when it is not /api/v2 (a home page, /api, /api/v3),
    else ""."""
    if urlsplit(url).path.rstrip("/").endswith("/api/v2"):
        return ""
    return " (an API v2 URL most often ends in /api/v2, as the panel's API page gives it)"


def _with_path(hint: str | None, panel_index: int, url: str | None) -> str | None:
    """Given a hint, ``panels[panel_index]`` and its URL (None: not known),
    return the hint with the URL path's note when it says to check the URL."""
    if hint is None or url is None or not hint.endswith(f"check panels[{panel_index}].url"):
        return hint
    return hint + api_path_note(url)


def refused_hint(message: str, status: int | None, panel_index: int) -> str | None:
    """Given the error of a call that failed to connect (a ``TransientError``,
    not a panel's own ``{"error": ...}``, whose words may say anything: the
    caller tells them apart) and the HTTP code of its answer (None: none
    came), return what to check when the panel's port refused the
    connection: whether the panel is up, and the port in its URL right (a
    retry later cures the first, never the second); when what answered is
    not a web server (:data:`~tracker.panel.not_http.NOT_HTTP`), the URL's
    scheme, host and port, else the panel's support; else None."""
    if status is None and NOT_HTTP in message:  # no panel's script answers so
        return (
            f"check the scheme, host and port in panels[{panel_index}].url; if they are "
            "the panel's, its web server is broken: tell the panel's support"
        )
    if status is not None or REFUSED_BY not in message:
        return None
    return f"is the panel up, and the port in panels[{panel_index}].url right?"


def size_hint(status: int | None, lists: Collection[str] = ()) -> str | None:
    """Given the HTTP code of a failed call's answer (None: none came),
    return what to say when it refuses the request for its size, before any
    script read it: 411 (its length), 413 (its body), 414 (its URL), 431
    (its headers); else None. ``lists`` names the fields of many lines the
    request carried (``comments``, ``usernames``): what to send fewer of
    when its body is too large."""
    said = _SIZES.get(status or 0)
    if status == 413 and lists:  # comments make an add's body large, nothing else
        return f"{said}: send fewer or shorter {' or '.join(lists)}"
    return said


_SIZES = {
    411: "the server in front of the panel refused the request for its length",
    413: "the request is too large for the server in front of the panel",
    414: "the request's URL is too long for the server in front of the panel",
    431: "the request's headers are too large for the server in front of the panel",
}
_NO_API = frozenset({404, 405})  # no such endpoint, or method, at the panel's URL
_TIMED_OUT = 408
_REFUSED = frozenset({401, 403})  # a web server's authentication, a WAF's block
_LET_IN = "whether the panel's host lets this server in"
