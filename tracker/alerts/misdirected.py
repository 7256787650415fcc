"""A webhook URL no retry can cure, in words naming the setting to fix.

The judgement is the panel client's (:mod:`tracker.panel.misdirected`): a
host the resolver says does not exist (EAI_NONAME), an ``https://`` URL on a
port that answers plain HTTP, a refused TLS certificate. Each happens while
connecting, before a byte of the POST is written, and each stays as it is
until someone edits ``alerts.webhook_url`` (or the receiver changes): an
alert's retries would spend its whole retry budget (60 s) to fail the same
way, while the alerts behind it waited. A resolver that cannot answer now
(EAI_AGAIN) and a refused port are not judged here: retried as before, in
words saying what failed (:func:`unconnected`), a proxy's failures named
as the proxy's, by its host and port as a panel call's (its answer to the
tunnel, or its 407 to a POST it forwards: :func:`proxy_refusal`; no
connection to it in time, no answer to CONNECT: :func:`unanswered`).

The words name the setting, never the URL nor its host: the URL holds a
token (the proxy's host and port are said, never its user nor password).
"""

from __future__ import annotations

import socket
import ssl

import httpx

from tracker.panel import proxies
from tracker.panel.failures import RESOLVER
from tracker.panel.misdirected import USE_HTTP, causes, no_such_host, no_tls, refused_certificate

SETTING = "alerts.webhook_url (or webhook_url_file)"


def hopeless(exc: httpx.ConnectError, *, proxied: bool) -> str | None:
    """Given a failure to connect to the webhook, return why no retry will
    deliver the alert, and what to fix; None when a retry may.

    ``proxied``: a proxy from the environment carried the POST, so a host not
    found or a plain-HTTP answer may be the proxy's: retried, as a panel's;
    a plain-HTTP answer once the proxy opened the tunnel (its 2xx to CONNECT)
    is the webhook's, tried once.
    """
    if not proxied and no_such_host(exc):
        return f"the webhook URL's host does not exist (the resolver said so): check {SETTING}"
    reason = None if proxied and not proxies.opened(exc) else no_tls(exc)  # the proxy's, maybe
    if reason is not None:
        plain = "the webhook answered plain HTTP on an https:// URL"
        return f"{plain}: {USE_HTTP} in {SETTING} ({reason})"
    if refused_certificate(exc):
        return (
            f"the webhook's TLS certificate was refused ({_why(exc)}): check {SETTING}, "
            "the receiver's certificate, or the CA bundle ($SSL_CERT_FILE)"
        )
    return None


def unconnected(exc: httpx.ConnectError, proxy: str | None = None) -> str:
    """Given a failure to connect that a retry may cure, return it in words,
    as a panel call's say what failed: a host not resolved (the resolver
    failing now), a refused port (is the receiver up, the port right?), and
    through a proxy from the environment (``proxy``, as
    :func:`tracker.panel.proxies.proxy_of` names it: its host and port) the
    proxy's own, in a panel call's words. It said "no answer (ConnectError)",
    for a receiver never reached, and blamed the webhook's port for the proxy's."""
    found = causes(exc)
    why = next((c.strerror for c in found if isinstance(c, OSError) and c.strerror), None)
    if proxy is not None:  # its host not resolved, its port refused, no way to it
        said = proxies.unconnected(exc, proxy)
        if said is not None:
            return said
        # A TLS failure or a reset inside the tunnel: the webhook's end, or the proxy's.
        return f"cannot connect to the webhook through {proxy}: {why or 'ConnectError'}"
    resolver = next((c for c in found if isinstance(c, socket.gaierror)), None)
    if resolver is not None:
        said = resolver.strerror or "the resolver failed"
        return f"the webhook URL's host was not resolved ({said}): {RESOLVER}"
    if any(isinstance(cause, ConnectionRefusedError) for cause in found):
        return f"connection refused: is the receiver up, and the port in {SETTING} right?"
    return f"cannot connect to the receiver: {why}" if why else "no answer (ConnectError)"


def unanswered(
    exc: httpx.TimeoutException, url: str, proxy: str | None, *, connect: float, seconds: float
) -> str:
    """Given a timeout of the POST to ``url`` (``connect``: its limit on
    connecting, ``seconds``: on the whole call), return it in words: through
    ``proxy``, its own when the connection to it was never made, or when it
    never answered the CONNECT of an https:// webhook's tunnel (nothing was
    sent), as a panel call's; without a proxy, the resolver when the lookup
    of the webhook's host took the time. It said "no answer (ConnectTimeout)"
    and "no answer (ReadTimeout)", no word of the proxy nor the resolver.
    Retried all the same."""
    said = proxies.unanswered(exc, proxy, connect) if proxy is not None else None
    if said is not None:
        return said
    if proxy is None and proxies.unresolved(exc):  # no address dialled: the resolver's
        return f"the webhook URL's host was not resolved within {connect:g}s: {RESOLVER}"
    if proxies.no_tunnel(exc, url, proxy):
        return f"{proxy} opened no tunnel to the webhook within {seconds:g}s (no answer to CONNECT)"
    return f"no answer ({type(exc).__name__})"  # its name only: httpx's words may quote the URL


def proxy_refusal(answer: str, proxy: str | None, *, tunnel: bool = True) -> tuple[str, bool]:
    """Given the answer of ``proxy`` (as :func:`tracker.panel.proxies.proxy_of`
    names it) refusing to open the tunnel to the webhook (its status and
    reason, "502 Bad Gateway", as httpx's ``ProxyError`` says it), or
    refusing to forward the POST to it (not ``tunnel``: an http:// webhook's),
    return it in words and whether a retry may cure it, as a panel call's
    (:func:`tracker.panel.proxies.refusal`): the proxy or what is behind it
    failing (5xx, 429) may; its own refusal (407: credentials) will not. It
    said "HTTP failure (ProxyError)", not which proxy answer, nor whose."""
    return proxies.refusal(answer, proxy or "the proxy", "the webhook", tunnel=tunnel)


def _why(exc: BaseException) -> str:
    """OpenSSL's reason for refusing the certificate, cut before the host it
    may quote ("Hostname mismatch, certificate is not valid for 'x'.")."""
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError) and cause.verify_message:
            return str(cause.verify_message).split(",")[0].strip().rstrip(".")
    return "not verified"
