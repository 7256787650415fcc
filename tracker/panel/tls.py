"""The process's one TLS context, its CA bundle loaded at the first handshake.

httpx makes a context per client and loads the CA bundle into each (~26 ms and
~1 MB on the bench machine), at every start and reload, for an http:// panel
too, which never needs it. Every client of :func:`tracker.panel.deadline.http_client`
shares :func:`context` instead, and the socket layer there hands it to each TLS
handshake through :func:`trusting`, which loads the bundle the first time. A
context used by anything else before that trusts no certificate at all: it
fails closed, never open.
"""

from __future__ import annotations

import functools
import os
import ssl
import sys
import threading
from typing import Any

_lock = threading.Lock()
# id() of each context made here -> whether its CA bundle is in. Two threads
# making the first client at once may each make one: both are loaded at use.
_made: dict[int, bool] = {}


@functools.cache
def context() -> ssl.SSLContext:
    """Return the shared context: certificates and host names verified
    (CERT_REQUIRED, check_hostname), the CA bundle not loaded yet."""
    made = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    keylog = os.environ.get("SSLKEYLOGFILE")  # as ssl.create_default_context does,
    if keylog and not sys.flags.ignore_environment:  # which python -E turns off
        made.keylog_filename = keylog
    with _lock:
        _made[id(made)] = False
    return made


def trusting(given: Any) -> Any:
    """Given the context a TLS handshake is about to use, return it, with the CA
    bundle loaded first (once) when :func:`context` made it: the one httpx
    would load, ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR`` when set, else certifi's."""
    if _made.get(id(given), True):  # not made here, or loaded
        return given
    with _lock:
        if not _made[id(given)]:
            load(given)
            _made[id(given)] = True
    return given


def load(made: ssl.SSLContext) -> None:
    """Load the CA bundle into ``made`` as httpx's create_ssl_context chooses it."""
    if os.environ.get("SSL_CERT_FILE"):
        made.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
    elif os.environ.get("SSL_CERT_DIR"):
        made.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
    else:
        import certifi  # httpx's own dependency: the bundle it uses

        made.load_verify_locations(cafile=certifi.where())
