"""A proxy from the environment carrying a panel call, and its failures in words.

httpx sends a call through ``$HTTPS_PROXY``, ``$HTTP_PROXY`` or
``$ALL_PROXY`` when one is set (and ``$NO_PROXY`` does not spare the panel's
host). A failure to reach the proxy, or the proxy's refusal of the tunnel
(its answer to CONNECT), is the proxy's, not the panel's: said naming the
proxy (its host and port, never its credentials) and the variables to check,
where it said "connection refused by <the panel's host:port>" and "HTTP
failure talking to ... (ProxyError: ...)".

Nothing of the call reached the panel in any of these: ``add`` is not sent.
A proxy forwarding an http:// panel's request answers for itself only with
a 407: said as its (other codes may be the panel's, and stay so).
The proxy's answer 5xx or 429 (it, or the way behind it, failing) is retried
as a panel's 5xx, within the call's retries; its 407 (credentials) is not.
"""

from __future__ import annotations

import importlib.util
import socket
import ssl
import urllib.request
from collections.abc import Mapping

import httpcore
import httpx

from tracker.errors import EnvironmentProblem
from tracker.panel import misdirected

PROXY_VARS = "$HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY"
_SCHEME_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


class Undialled(httpcore.ConnectTimeout):
    """No TCP connection made within the connect timeout (the host's lookup
    included), raised by :mod:`tracker.panel.sockets`'s network backend: a
    TLS handshake timing out after it is not one. Through a proxy the only
    host dialled is the proxy: the timeout is its (:func:`unanswered`)."""


class Unresolved(httpcore.ConnectTimeout):
    """The host's lookup not answered within the connect timeout (a resolver
    slow or unreachable), raised by :mod:`tracker.panel.sockets`'s lookup:
    the cause of the :class:`Undialled` that follows it."""


def environment_problem(found: Mapping[str, str] | None = None) -> str | None:
    """Given the proxies the environment names (``urllib.request.getproxies``'
    map, as httpx reads it: ``{"https": "socks5://...", "no": "..."}``; None:
    this process's), return why httpx cannot use one, naming the variable and
    never its value (a proxy URL may carry a password), or None. httpx raised
    a ValueError or an ImportError while building every client: a traceback
    from every command that talks to a panel."""
    found = urllib.request.getproxies() if found is None else found
    if "*" in (host.strip() for host in found.get("no", "").split(",")):
        return None  # $NO_PROXY=*: httpx reads no proxy at all
    for scheme in ("https", "http", "all"):
        value = found.get(scheme)
        if not value:
            continue
        var = f"${scheme.upper()}_PROXY (or ${scheme}_proxy)"
        try:
            named = httpx.URL(value if "://" in value else f"http://{value}").scheme
        except httpx.InvalidURL:
            return f"{var} is no proxy URL httpx can read: fix it or unset it"
        if named not in _SCHEME_PORTS:
            return (
                f"{var} names a proxy of scheme {named[:20]!r}, which httpx cannot use "
                f"(http, https, socks5, socks5h): fix it or unset it"
            )
        if named.startswith("socks") and importlib.util.find_spec("socksio") is None:
            return (
                f"{var} names a SOCKS proxy, but the socksio package is not installed: "
                "pip install 'httpx[socks]' beside smm-tracker, or unset it"
            )
    return None


def check_environment() -> None:
    """Raise EnvironmentProblem when a proxy variable names a proxy httpx
    cannot use (:func:`environment_problem`)."""
    problem = environment_problem()
    if problem is not None:
        raise EnvironmentProblem(problem)


def proxy_of(client: httpx.Client, url: str) -> str | None:
    """Return the ``host:port`` of the proxy from the environment that
    carries ``client``'s calls to ``url`` ("the proxy" when httpx no longer
    says which), or None when none does. Never its user nor password."""
    try:
        transport = client._transport_for_url(httpx.URL(url))
    except (AttributeError, httpx.InvalidURL):  # httpx's own API moved, or no URL
        return None
    if transport is getattr(client, "_transport", transport):
        return None
    found = getattr(getattr(transport, "_pool", None), "_proxy_url", None)
    try:
        host = bytes(found.host).decode("ascii")  # type: ignore[union-attr]
        scheme = bytes(found.scheme).decode("ascii")  # type: ignore[union-attr]
    except (AttributeError, TypeError, UnicodeDecodeError):
        return "the proxy"
    port = getattr(found, "port", None) or _SCHEME_PORTS.get(scheme)
    host = f"[{host}]" if ":" in host else host
    return f"the proxy {host}:{port}" if port else f"the proxy {host}"


def unconnected(exc: BaseException, proxy: str) -> str | None:
    """Given a failure to connect through ``proxy`` (as :func:`proxy_of`
    names it), return it in words as the proxy's: its host not resolved, its
    port refused, no way to it; None when it is none of these (a TLS failure
    inside the tunnel is the panel's)."""
    found = misdirected.causes(exc)
    resolver = next((c for c in found if isinstance(c, socket.gaierror)), None)
    if resolver is not None:  # through a proxy, only the proxy's host is looked up here
        said = resolver.strerror or "the resolver failed"
        return f"{proxy} was not resolved ({said}): check {PROXY_VARS}, and the resolver"
    if any(isinstance(cause, ConnectionRefusedError) for cause in found):
        return f"{proxy} refused the connection: is it up, and {PROXY_VARS} right?"
    if not isinstance(exc, httpx.ConnectError) or any(isinstance(c, ssl.SSLError) for c in found):
        return None
    # A reset or a broken pipe may come inside the tunnel, from the panel's end.
    unreached = (c for c in found if isinstance(c, OSError) and _reaching(c))
    why = next((c.strerror for c in unreached if c.strerror), None)
    return f"cannot connect to {proxy}: {why}; check {PROXY_VARS}" if why else None


class Tunnelled(httpcore.ConnectError):
    """A TLS handshake failing through a tunnel the proxy opened (it said 2xx
    to CONNECT), raised by :mod:`tracker.panel.sockets`'s streams: what
    answered it is the far end, the panel's or the webhook's, not the proxy
    (:func:`opened`)."""


def opened(exc: BaseException) -> bool:
    """Return whether ``exc`` failed the TLS handshake through a tunnel the
    proxy opened: a plain-HTTP answer then is the URL's, judged as without
    a proxy (:mod:`tracker.panel.misdirected`)."""
    return any(isinstance(cause, Tunnelled) for cause in misdirected.causes(exc))


class PlainTimeout(httpcore.ReadTimeout):
    """A read timing out on a connection with no TLS on it yet, raised by
    :mod:`tracker.panel.sockets`'s streams: through a proxy to an https://
    URL only the proxy's answer to CONNECT (or SOCKS's) is read so; the
    request was never sent (:func:`no_tunnel`)."""


def no_tunnel(exc: BaseException, url: str, proxy: str | None) -> bool:
    """Return whether ``exc`` is ``proxy``'s answer to the tunnel to the
    https:// ``url`` not come in time: nothing of the call was sent."""
    if proxy is None or not url.lower().startswith("https://"):
        return False
    return any(isinstance(cause, PlainTimeout) for cause in misdirected.causes(exc))


def unanswered(exc: BaseException, proxy: str, connect: float) -> str | None:
    """Given a connect timeout through ``proxy`` and its limit, return it in
    words as the proxy's when the TCP connection to it was never made
    (:class:`Undialled`), the resolver named when it was its host's lookup
    that took the time (:class:`Unresolved`); None when the connection was
    made, and the TLS handshake with the panel, through the tunnel, is what
    timed out."""
    found = misdirected.causes(exc)
    if not any(isinstance(cause, Undialled) for cause in found):
        return None
    said = f"no connection to {proxy} within {connect:g}s (connect timeout"
    if unresolved(exc):  # never dialled: not looked up
        return f"{said}: its host was not resolved in time); check {PROXY_VARS}, and the resolver"
    return f"{said}); check {PROXY_VARS}"


def unresolved(exc: BaseException) -> bool:
    """Return whether a connect timeout is a host's lookup not answered in
    time (:class:`Unresolved`): no address was dialled. Without a proxy the
    host is the panel's (or the webhook's): the resolver is what to check."""
    return any(isinstance(cause, Unresolved) for cause in misdirected.causes(exc))


def refusal(answer: str, proxy: str, where: str, *, tunnel: bool = True) -> tuple[str, bool]:
    """Given the proxy's answer refusing the tunnel to the panel at ``where``
    (its status and reason, "502 Bad Gateway", as httpx's ``ProxyError``
    says it), or refusing to forward the request to it (not ``tunnel``: an
    http:// panel's), return it in words and whether a retry may cure it:
    the proxy or the way behind it failing (5xx, 429) may; its own refusal
    (407: credentials; a SOCKS refusal) not."""
    said = " ".join(answer.split())[:80] or "no reason"
    code = said.split(" ", 1)[0]
    if code.isdigit() and (code == "429" or code.startswith("5")):
        return f"{proxy} could not reach {where}: it answered {said}", True
    what = "the tunnel" if tunnel else "the request"
    return f"{proxy} refused {what} to {where}: it answered {said}; check {PROXY_VARS}", False


def says_its_fix(message: str) -> bool:
    """Return whether ``message`` is a proxy's failure said with what to
    check: no "try again later" (nor the panel's port) needs adding."""
    return PROXY_VARS in message


def _reaching(cause: BaseException) -> bool:
    """Whether ``cause`` is a failure to reach a host (no route, a network
    down): an OSError that is no ConnectionError, which a reset or a broken
    pipe inside the tunnel would be."""
    return isinstance(cause, OSError) and not isinstance(cause, ConnectionError | TimeoutError)
