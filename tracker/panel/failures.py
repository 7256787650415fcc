"""Why a call to a panel failed, in words a user can act on.

Pure: an exception or an HTTP answer in, one line out. The transport decides
what is retried; this module only names the cause — the host that did not
resolve, the port that refused, the TLS handshake that failed, the limit a
timeout hit, the status code and the panel's own ``error`` text. None of the
messages contains the key: it travels only in the POST body, which is never
quoted here.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from tracker.panel import misdirected, proxies
from tracker.panel.coded import StatusAnswer, with_code
from tracker.panel.error_words import flag_alone, no_words_said
from tracker.panel.not_http import HEAD_CUT, not_http
from tracker.panel.notices import html_title, looks_like_html
from tracker.panel.refusals import error_text
from tracker.panel.sockets import HeadCut, Untaken
from tracker.panel.urls import shown_url
from tracker.panel.values import short

# The words every "answered a web page" message carries: the CLI looks for
# them to add which config key to check (see tracker.panel.fixes).
WEB_PAGE = "answered an HTML page"
# A bot check in front of the panel (Cloudflare's "Just a moment...",
# DDoS-Guard) answers a script with a page no script gets past: the URL is
# not what is wrong, and the check may lift in a minute.
BOT_CHECK = "a bot check answered, not the panel"
REFUSED_BY = "connection refused by"  # a port no one listens on: no answer came
RESOLVER = "is the DNS resolver reachable?"  # a host's lookup not answered in time
_BOT_TITLES = ("just a moment", "attention required", "ddos-guard", "checking your browser")
_BOT_MARKS = (b"/cdn-cgi/challenge-platform/", b"_cf_chl_opt", b"ddos-guard")

# OpenSSL's verify codes for a certificate no CA in the bundle vouches for
# (self-signed, unknown issuer): the ones another bundle can cure. An expired
# certificate or a host name mismatch is the panel's to fix.
_UNVOUCHED = frozenset({2, 18, 19, 20, 21})

# Failures of a call whose request may have reached the panel: no answer in
# time, a connection broken, an answer whose Content-Encoding cannot be
# undone (a panel said gzip and sent plain JSON). Retried for reads; for
# add, refill and cancel the outcome is unknown, never a refusal.
MAYBE_SENT = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
)

# An answer with no body at all (or blanks): HTTP 204 to a POST, a 304.
NO_CONTENT = "answered no content"
_BODILESS = frozenset({204, 205, 304})


def empty(body: bytes) -> bool:
    """Whether an answer's ``body`` holds nothing, or only blanks (no copy made)."""
    return not body or body.isspace()


# HTTP codes that most often mean the URL (its path) is wrong, not the panel.
_WRONG_URL_CODES = frozenset({301, 302, 303, 307, 308, 404, 405})


def host_port(url: str) -> tuple[str, int | None]:
    """Given a panel URL, return its host and port (the scheme's default when absent)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url, None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.hostname or url, port


def _first(exc: BaseException, kind: type[BaseException]) -> Any:
    return next((e for e in misdirected.causes(exc) if isinstance(e, kind)), None)


def _reason(exc: BaseException, scrub: Callable[[str], str] = str) -> str:
    """The innermost readable words of an exception chain ("Connection reset by
    peer"), blanked by ``scrub`` before they are cut: h11 quotes the bytes it refused,
    and a key cut short by the cut is no longer found whole."""
    for cause in reversed(misdirected.causes(exc)):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        text = str(cause)
        if text:
            return short(scrub(text), 120)
    return exc.__class__.__name__


def describe_send_failure(
    exc: BaseException,
    url: str,
    *,
    timeout: float,
    connect: float,
    proxy: str | None = None,
    panel: str = "",
    scrub: Callable[[str], str] = str,
) -> str:
    """Given the exception of an HTTP call to ``url``, return one line naming
    its cause: DNS, refused port, TLS, which timeout and its limit, or a
    broken connection.

    ``timeout`` is the whole-answer limit, ``connect`` the limit on connecting;
    ``proxy`` names the proxy from the environment that carried the call
    (:func:`tracker.panel.proxies.proxy_of`): a host not resolved, a port
    refused are then the proxy's, said as its, no fix in ``panels[].url`` named;
    ``panel`` is the panel's name, which the fix of a host not found names;
    ``scrub`` blanks the key in an exception's words before they are cut.
    """
    host, port = host_port(url)
    where = f"{host}:{port}" if port is not None else host
    if isinstance(exc, httpx.ConnectTimeout):
        unanswered = proxies.unanswered(exc, proxy, connect) if proxy is not None else None
        if unanswered is None and proxy is None and proxies.unresolved(exc):  # none dialled
            return f"host {host} was not resolved within {connect:g}s (connect timeout): {RESOLVER}"
        return unanswered or f"no connection to {where} within {connect:g}s (connect timeout)"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection to {where} within {connect:g}s"
    if proxies.no_tunnel(exc, url, proxy):  # nothing sent: said so (add: no order placed)
        return f"{proxy} opened no tunnel to {where} within {timeout:g}s (no answer to CONNECT)"
    if isinstance(exc, httpx.WriteTimeout):  # a large body taken too slowly, or not at all
        return f"the request to {where} was not all sent within {timeout:g}s (taken too slowly)"
    if isinstance(exc, Untaken):  # a body part-taken, then held: the server stopped reading
        held = "the server stopped taking it"
        return f"the request to {where} was not all sent within {timeout:g}s ({held})"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {where} within {timeout:g}s"
    proxied = proxies.unconnected(exc, proxy) if proxy is not None else None
    if proxied is not None:  # the proxy's host or port, not the panel's
        return proxied
    # The fix; through a proxy, only once it opened the tunnel (what answered is the panel)
    opened = not proxy or proxies.opened(exc)
    wrong_url = misdirected.words(exc, host, where, panel) if opened else None
    if wrong_url is not None:  # no retry can cure it: the transport tries it once
        return wrong_url
    if _first(exc, socket.gaierror) is not None:
        return f"cannot resolve host {host}"
    if _first(exc, ConnectionRefusedError) is not None:
        return f"{REFUSED_BY} {where}"
    verify = _first(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        why = verify.verify_message or _reason(verify, scrub)
        said = f"TLS certificate of {host} not accepted: {why}"
        if getattr(verify, "verify_code", None) in _UNVOUCHED:
            # A panel's own certificate is trusted through $SSL_CERT_FILE (README).
            said += " (CA bundle: $SSL_CERT_FILE)"
        return said
    tls = _first(exc, ssl.SSLError)
    if tls is not None:
        why = getattr(tls, "reason", None) or _reason(tls, scrub)
        return (
            "TLS handshake failed — is this an https URL on a plain-HTTP port? "
            f"({where}: {short(why, 80)})"
        )
    if isinstance(exc, HeadCut):  # httpcore's words say "without sending a response"
        return f"{where} {HEAD_CUT}"
    if isinstance(exc, httpx.RemoteProtocolError):
        did = not_http(_reason(exc, scrub))  # h11's own words: at debug (transport)
        return f"{where} {did}" if did else f"connection to {where} broken: {_reason(exc, scrub)}"
    if isinstance(exc, httpx.DecodingError):  # its own words name the encoding
        return f"{where} answered a body that cannot be decoded ({short(scrub(str(exc)), 120)})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {where}: {_reason(exc, scrub)}"
    if isinstance(exc, httpx.NetworkError):
        return f"connection to {where} broken: {_reason(exc, scrub)}"
    return f"HTTP failure talking to {where} ({exc.__class__.__name__}: {_reason(exc, scrub)})"


def describe_status(code: int, body: bytes, url: str) -> str:
    """Given a non-200 answer (or a 200 web page), return "HTTP <code>: <why>" with
    the panel's own ``error`` text when it sent one, the page title for HTML,
    and the URL when the code suggests the URL itself is wrong."""
    if looks_like_html(body):
        title = html_title(body)
        what = f"{BOT_CHECK} ({title})" if _bot_page(body, title) else f"{WEB_PAGE} ({title})"
    elif code in _BODILESS and empty(body):  # a 304 to a POST: a cache, not the panel
        what = NO_CONTENT
    else:
        what = _json_error(body) or _text(body)
    where = f" from {shown_url(url)}" if code in _WRONG_URL_CODES else ""
    return f"HTTP {code}{where}: {what}" if what else f"HTTP {code}{where}"


def with_status(code: int, data: Any, url: str) -> Any:
    """Given a non-200 JSON answer, return it with the status code (and the URL
    where the code points at it) written into its ``error`` text, and the
    code kept as data (:class:`StatusAnswer`); an object or a list without
    ``error`` (a 201's orders, each item's words its own) keeps its code as
    data alone (:func:`tracker.panel.coded.with_code`).

    The answer then flows through the parsers like a 200 would, so per-action
    handling of the panel's words keeps working, and the message still says
    what the HTTP status was.
    """
    text = error_text(data)
    if text is None:
        return with_code(code, data)
    text = no_words_said(data) if flag_alone(data) else text  # never "HTTP 500: true"
    where = f" from {shown_url(url)}" if code in _WRONG_URL_CODES else ""
    answer = StatusAnswer({**data, "error": f"HTTP {code}{where}: {text}"})
    answer.status, answer.given = code, data["error"]
    return answer


def _bot_page(body: bytes, title: str) -> bool:
    head = body[:8192].lower()
    return title.lower().startswith(_BOT_TITLES) or any(mark in head for mark in _BOT_MARKS)


def challenged(code: int, challenge: str | None, body: bytes) -> str | None:
    """Given an answer's code, its ``cf-mitigated`` header and its body, return
    what to say when Cloudflare challenged the request, else None.

    Cloudflare sets ``cf-mitigated: challenge`` on every challenge page it
    serves in the panel's stead: the request never reached the panel, so
    even ``add`` is sent again (within the retry budget) without risk of a
    second order."""
    if (challenge or "").strip().lower() != "challenge":
        return None
    title = html_title(body) if looks_like_html(body) else "no page"
    return f"HTTP {code}: {BOT_CHECK} ({title}; Cloudflare: the request did not reach the panel)"


# tracker.panel.unserved's words for a move of the panel's URL to https://.
TO_TLS = "the web server moves http:// to https://"


def _json_error(body: bytes) -> str | None:
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError):
        return None
    return no_words_said(data) if flag_alone(data) else error_text(data)


def _text(body: bytes) -> str:
    return short(body[:200].decode("utf-8", "replace"), 120)


def moved_to(response: httpx.Response, scrub: Callable[[str], str] = str) -> str:
    """Return " (moved to <Location>)" for a redirect that says where, else "";
    ``scrub`` blanks the key in it before it is cut (a login page's URL may
    quote the request's query, the key in it, past the cut)."""
    location = response.headers.get("Location") if 300 <= response.status_code < 400 else None
    return f" (moved to {short(scrub(location), 120)})" if location else ""
