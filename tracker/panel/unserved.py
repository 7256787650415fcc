"""A 3xx or 4xx answer holding none of the panel's JSON: did its script run?

The tracker never follows a redirect (a POST sent on elsewhere could place an
order twice), so such an answer is the whole answer. For the reads it is one
clear error, not retried. For ``add``, ``refill`` and ``cancel`` it matters
whether the panel's script ran, and the code is all there is to tell by:

- 3xx: the POST reached something that redirected it. A panel script may act
  and then redirect (Post/Redirect/Get, a session check after the work), so
  the outcome is unknown; but for the panel's own URL with ``https://`` for
  ``http://`` (the same host, path and query): a web server's blanket move to
  TLS, answered before any script (a script has no reason to send its own
  request there after the work). Not sent, and the line says which URL to
  configure: the one moved to, its port included.
- 401, 403 (a web server's authentication, a WAF's block page), 404, 405 (no
  such endpoint or method at that URL), 411, 413, 414, 431 (the request's
  length, body, URL or headers refused): answered by the server in front of
  the script, before it ran. Nothing was done: not sent (:class:`UnservedError`).
- 408: the server gave up waiting for the request itself, before reading it
  whole: retried like a refused connection, for every action; if it does not
  pass, not sent.
- Any other 4xx (400, 402, 409, 410, 422...): a script may set such a code
  after doing the work: the outcome is unknown.

A 429 (never acted on, retried) and a Cloudflare challenge are told apart
before this (:mod:`tracker.panel.interpret`; but one carrying an order ID,
a refill ID or a cancel's yes is read as a 200: :func:`items_held.acted`); a 3xx or 4xx carrying the
panel's ``{"error": ...}`` is its refusal; a 5xx is :mod:`tracker.panel.cloudflare`'s.
The panel's words alone, a bare JSON string or a line of plain text
(:mod:`tracker.panel.plain_words`) but the key's refusal, are no page: its
script ran, so they are judged by :func:`unrefused` (outcome unknown).
A code of ``NOT_RUN`` whose JSON is none of the panel's answer shapes (a web
framework's router or middleware: Laravel's ``{"message": "Not Found"}`` or
``{"message": "Unauthenticated."}``, FastAPI's ``{"detail": "Method Not
Allowed"}``, an RFC 7807 problem document whose ``status`` is the HTTP code)
is judged as its page: not sent. Any other JSON without an
``error`` (``{"order": 5001}`` with a 409 or a 403) refuses nothing: the
outcome is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from tracker.errors import BadAnswerError, PanelError, TransientError, UnservedError
from tracker.panel import failures
from tracker.panel.values import short

# Codes a web server (or a WAF) answers before handing the request to a script.
NOT_RUN = frozenset({401, 403, 404, 405, 411, 413, 414, 431})
TIMED_OUT = 408  # the request never arrived whole: nothing read it
# Keys of API v2's answers, and of the wrappers some panels put them in: a
# JSON object holding one (or an order ID as a key) may be the panel's answer.
_ANSWER_KEYS = frozenset(
    {"order", "orders", "refill", "refills", "cancel", "status", "charge", "start_count"}
    | {"remains", "currency", "balance", "error", "errors", "data", "result", "response", "id"}
)


def page_error(
    response: httpx.Response,
    body: bytes,
    url: str,
    scrub: Callable[[str], str],
    *,
    panel: str,
    action: str,
    idempotent: bool,
) -> PanelError:
    """Given a 3xx or 4xx answer with no JSON document in it, its body with
    the key blanked, the panel's URL, ``scrub`` (blanks the key in a
    redirect's Location) and the call, return the error to raise: for a read
    (``idempotent``) a BadAnswerError, for ``add``, ``refill`` and ``cancel``
    an UnservedError when the script never ran, else a ``maybe_sent``
    TransientError (their outcome unknown). A 408 is retried for any action."""
    code = response.status_code
    detail = failures.describe_status(code, body, url) + failures.moved_to(response, scrub)
    # add's line is the command's last word; refill and cancel say "not sent".
    not_run = f"{detail}; no order placed" if action == "add" else detail
    if code == TIMED_OUT:
        return TransientError(not_run, panel=panel, action=action, status=code)
    if idempotent:
        return BadAnswerError(detail, panel=panel, action=action, status=code)
    if code in NOT_RUN:
        return UnservedError(not_run, panel=panel, action=action, status=code)
    location = response.headers.get("Location")
    if 300 <= code < 400 and location and to_tls(location, url):  # its port too: :8443
        moved = failures.shown_url(scrub(location.strip()))
        told = f"{detail}: {failures.TO_TLS}; set the panel's url to {short(moved, 200)}"
        told = f"{told}; no order placed" if action == "add" else told
        return UnservedError(told, panel=panel, action=action, status=code)
    return TransientError(detail, maybe_sent=True, panel=panel, action=action, status=code)


def unrefused(
    response: httpx.Response,
    body: bytes,
    data: object,
    url: str,
    scrub: Callable[[str], str],
    *,
    panel: str,
    action: str,
    idempotent: bool,
) -> PanelError:
    """Given a 3xx or 4xx answer whose JSON ``data`` holds no ``error``, return
    the error to raise: for a read a BadAnswerError; for ``add``, ``refill``
    and ``cancel`` a code of ``NOT_RUN`` whose JSON is none of the panel's
    answer shapes judged as a page (:func:`page_error`: not sent), else a
    ``maybe_sent`` TransientError (nothing in it refuses: the outcome unknown)."""
    code = response.status_code
    if not idempotent and code in NOT_RUN and not _panels_shape(data, code):
        return page_error(response, body, url, scrub, panel=panel, action=action, idempotent=False)
    # As written, the URL named where the code points at it (404, 405): not a dict's repr.
    detail = failures.describe_status(code, body, url)
    if idempotent:
        return BadAnswerError(detail, panel=panel, action=action, status=code)
    return TransientError(detail, maybe_sent=True, panel=panel, action=action, status=code)


def _panels_shape(data: object, code: int) -> bool:
    """Whether ``data``, answered with HTTP ``code``, may be an API v2
    answer: anything but an object, or an object with a key of one (an order
    ID as a key: a multi answer's). A problem document's ``status`` is none
    (:func:`_problem`)."""
    if not isinstance(data, dict):
        return True
    if _problem(data, code):
        data = {k: v for k, v in data.items() if k != "status"}
    return any(
        not isinstance(k, str) or k.strip().lower() in _ANSWER_KEYS or k.strip().isdigit()
        for k in data
    )


def _problem(data: dict[object, object], code: int) -> bool:
    """Whether ``data`` is an RFC 7807/9457 problem document (``{"type": ...,
    "title": "Method Not Allowed", "status": 405, "detail": ...}``, a
    framework's router or security layer): its ``status`` the HTTP code
    itself, a number, beside a ``title`` or ``type``. A panel's ``status``
    is an order's status word."""
    status = data.get("status")
    return (
        isinstance(status, int)
        and not isinstance(status, bool)
        and status == code
        and any(isinstance(data.get(k), str) for k in ("title", "type"))
    )


def to_tls(location: str | None, url: str) -> bool:
    """Whether a redirect's ``location`` is ``url`` itself with ``https://`` for
    ``http://``: the same host, path and query (any port: 443 or the same)."""
    if not location:
        return False
    try:
        here, there = urlsplit(url), urlsplit(location.strip())
        same_host = (here.hostname or "") == (there.hostname or "") != ""
    except ValueError:  # a Location no URL parser reads (a bad port)
        return False
    return (
        here.scheme.lower() == "http"
        and there.scheme.lower() == "https"
        and same_host
        and (here.path or "/") == (there.path or "/")
        and here.query == there.query
    )


def unreadable_location_dropped(response: httpx.Response) -> None:
    """A response hook (:func:`tracker.panel.deadline.http_client`): drop a
    redirect's ``Location`` that no URL parser reads (a bad port, a control
    character). httpx reads it for the redirect it will not follow, and
    raised: a 3xx received whole was "connection broken: invalid literal for
    int()", a read retried as a lost connection. Without it, the page is
    judged as a redirect that says not where."""
    location = response.headers.get("Location")
    if location is None:
        return
    try:
        httpx.URL(location)
    except httpx.InvalidURL:
        del response.headers["Location"]
