"""A panel URL as the tracker shows and stores it: credentials in it blanked.

Pure, and light (no HTTP client imported): errors quote it, and the store
keeps it beside what was learned of the panel at it (``panel_capabilities``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.redact.scrub import redact_text


def shown_url(url: str) -> str:
    """Given a panel URL, return it as an error may show it: a password in it
    (``https://user:PASSWORD@host/``) and the values of its query
    (``?token=...``) as ``***``, as credentials may sit there; and the API
    key, in any encoding, wherever else it sits (a path part)."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, colon, _password = netloc.rpartition("@")[0].partition(":")
        netloc = f"{user}:***@{host}" if user and colon else f"***@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(name, "***") for name, _ in pairs], safe="*") if pairs else parts.query
    return redact_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))
