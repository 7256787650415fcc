"""Connect failures no retry can cure: the panel's URL leads nowhere.

Two mistakes in ``panels[].url`` stay as they are until someone edits it: a
host name the resolver says does not exist (EAI_NONAME: "Name or service not
known", macOS's "nodename nor servname provided, or not known") and an
``https://`` URL on a port that answers without TLS (OpenSSL's "wrong version
number"; "unknown protocol" before 1.1, "record layer failure" from 3.2).
Retrying them spent the whole retry budget (~17 s) to say the same line, so a
call fails at the first. A resolver that cannot answer now (EAI_AGAIN,
"Temporary failure in name resolution") is not one of them: retried as before.

A refused certificate (expired, another host's, one no CA in the bundle
vouches for) is tried once too: it changes when the panel (or the bundle)
does, not within a call's retries; its line already says why.

All happen while connecting, before a byte of the request is written: the
call was certainly not acted on. An exception raised once the request may
have been sent (httpx's read and write errors) is never judged here: it keeps
its ``maybe_sent``, and ``add`` its "outcome unknown".
"""

from __future__ import annotations

import socket
import ssl

import httpx

from tracker.errors import MisdirectedError, TransientError, UnservedError

# OpenSSL's reasons for a first answer that is no TLS record (an HTTP reply).
_NO_TLS = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE"})
_NO_TLS_WORDS = ("wrong version number", "unknown protocol", "record layer failure")
# The fixes the lines below name: a message holding one needs no "try again later".
CHECK_URL = "check panels[].url"  # the panel's name not known
CHECK_PANEL_URL = "check the url of panel "  # + its name, quoted
USE_HTTP = "use http:// or the TLS port"
EXAMPLE_HOST = "your-panel.example"  # `smm-tracker init`'s url, left unchanged


def causes(exc: BaseException) -> list[BaseException]:
    """Return ``exc`` and what it was raised from, outermost first (httpx
    wraps httpcore, which wraps the socket's or the resolver's own error)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def no_such_host(exc: BaseException) -> bool:
    """Return whether the resolver answered that the host does not exist."""
    return any(isinstance(e, socket.gaierror) and e.errno == socket.EAI_NONAME for e in causes(exc))


def no_tls(exc: BaseException) -> str | None:
    """Return OpenSSL's reason when the TLS handshake met an answer that is
    no TLS at all (a plain-HTTP port), else None."""
    for cause in causes(exc):
        if not isinstance(cause, ssl.SSLError) or isinstance(cause, ssl.SSLCertVerificationError):
            continue
        reason = getattr(cause, "reason", None)
        if reason in _NO_TLS:
            return str(reason)
        text = str(cause).lower()
        if any(words in text for words in _NO_TLS_WORDS):
            return str(reason or next(w for w in _NO_TLS_WORDS if w in text))
    return None


def check_url(panel: str) -> str:
    """Return the fix of a panel URL that leads nowhere, naming the panel
    (its name; ``panels[].url`` when the name is not known)."""
    return f"{CHECK_PANEL_URL}'{panel}'" if panel else CHECK_URL


def words(exc: BaseException, host: str, where: str, panel: str = "") -> str | None:
    """Given a failed call's exception, its URL's host and host:port (and the
    panel's name), return the line naming a URL that leads nowhere, and its
    fix; else None."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    if no_such_host(exc):
        placeholder = (
            " (the example config's placeholder, not a panel)" if host == EXAMPLE_HOST else ""
        )
        return f"host {host} not found{placeholder}: {check_url(panel)}"
    reason = no_tls(exc)
    if reason is not None:
        return f"{where} answered plain HTTP on an https:// URL: {USE_HTTP} ({reason})"
    return None


def refused_certificate(exc: BaseException) -> bool:
    """Return whether the TLS handshake refused the panel's certificate
    (expired, another host's, no CA vouching for it): the panel's (or the CA
    bundle's) to change, which no retry within the call will see."""
    return any(isinstance(e, ssl.SSLCertVerificationError) for e in causes(exc))


def connect_failed(exc: httpx.HTTPError, detail: str, panel: str, action: str) -> TransientError:
    """Given a failure to connect (nothing sent) and its words, return the error
    to raise: :class:`MisdirectedError` when the words are those of :func:`words`
    (not said when a proxy carried the call: then it is retried as before) or
    the certificate was refused."""
    hopeless = isinstance(exc, httpx.ConnectError) and (
        names_fix(detail) or refused_certificate(exc)
    )
    kind = MisdirectedError if hopeless else TransientError
    return kind(detail, panel=panel, action=action)


def retryable(exc: BaseException, idempotent: bool) -> bool:
    """Return whether a failed attempt is worth another within the call: a
    transient failure, of a call safe to send twice (``idempotent``) or one
    that certainly did not reach the panel, and not a URL leading nowhere nor
    a web server's page the same request gets again (:class:`UnservedError`)."""
    if not isinstance(exc, TransientError) or isinstance(exc, MisdirectedError | UnservedError):
        return False
    return idempotent or not exc.maybe_sent


def names_fix(message: str) -> bool:
    """Return whether ``message`` names a URL that leads nowhere, and its fix:
    waiting cures nothing, so it needs no "try again later"."""
    return any(fix in message for fix in (CHECK_URL, CHECK_PANEL_URL, USE_HTTP))
