"""A server error (5xx, or a 2xx web page) from a panel: was the request sent?

Any such answer may come after the panel acted, so ``add``, ``refill`` and
``cancel`` call it "outcome unknown" and never send it twice. Except when
Cloudflare, in front of the panel, answers with its own code for an origin
it could not reach at all: 521 (the origin refused the connection), 522 (the
TCP connect to it timed out), 523 (no route to it), 525 (the TLS handshake
with it failed), 526 (its certificate is invalid). The request never reached
the panel, so no order could have been placed: the call is retried like a
refused connection and, if it still fails, fails as not sent.

Only with Cloudflare's marks on the answer (a ``cf-ray`` header or ``Server:
cloudflare``): a panel's own 52x proves nothing. 520 (an unknown error from
the origin) and 524 (the origin took the connection, then timed out: it may
have acted) stay "outcome unknown", as every other 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tracker.errors import TransientError
from tracker.panel import failures, wait_hints

# Cloudflare's codes for an origin it never handed the request to, in words.
UNREACHED = {
    521: "the origin refused the connection",
    522: "the origin did not answer",
    523: "the origin is unreachable",
    525: "the TLS handshake with the origin failed",
    526: "the origin's certificate is invalid",
}


def marked(headers: Mapping[str, str]) -> bool:
    """Return whether an answer carries Cloudflare's marks: a ``cf-ray``
    header, or ``Server: cloudflare`` (alone or in a list of servers)."""
    if headers.get("cf-ray"):
        return True
    servers = (headers.get("server") or "").lower().split(",")
    return any(name.strip() == "cloudflare" for name in servers)


def unreached(code: int, headers: Mapping[str, str], action: str) -> str | None:
    """Given an answer's code and headers and the call's action, return the
    line saying Cloudflare could not reach the panel (the request certainly
    not sent), else None."""
    why = UNREACHED.get(code)
    if why is None or not marked(headers):
        return None
    said = f"panel unreachable behind Cloudflare (HTTP {code}: {why})"
    # add's line is the command's last word; refill and cancel say "not sent".
    return f"{said}; no order placed" if action == "add" else said


def server_error(
    response: httpx.Response, body: bytes, url: str, *, now: float, panel: str, action: str
) -> TransientError:
    """Given a 5xx answer (or a 2xx web page), its body with the key blanked,
    the panel's URL, the wall clock's Unix time and the call, return the error
    to raise: retried for every action; for ``add``, ``refill`` and ``cancel``
    only when Cloudflare says the request never reached the panel (not
    ``maybe_sent``), else their outcome is unknown."""
    code = response.status_code
    not_sent = unreached(code, response.headers, action)
    return TransientError(
        not_sent or failures.describe_status(code, body, url),
        retry_after=wait_hints.retry_after(response, now),
        maybe_sent=not_sent is None,
        panel=panel,
        action=action,
        status=code,
    )
