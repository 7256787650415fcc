"""What the config needs to know of ``[alerts] notify`` (Apprise URLs) without
importing Apprise: whether it is installed, each URL's scheme, and the
registration of the URLs' token-bearing pieces as secrets."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence

from tracker.redact import register_secret

INSTALL_HINT = "needs Apprise: pip install 'smm-tracker[notify]'"


def available() -> bool:
    """Return True when Apprise can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("apprise") is not None
    except ValueError:  # in sys.modules as None: imports of it are blocked
        return False


def scheme(url: str) -> str:
    """Given a notify URL, return its scheme ("tgram"), the part safe to show;
    "?" when it has none."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep and head.replace("+", "").isalnum() else "?"


def register_urls(urls: Sequence[str]) -> None:
    """Register each URL, and the pieces of it that carry tokens, as secrets.

    Tokens sit in the user part, a host that is no host name (Telegram's
    ``tgram://BOT_TOKEN/CHAT``), the path or the query. Plain host names and
    short words stay readable: registering "127.0.0.1" or "services" would
    blank them out of every log line.
    """
    for url in urls:
        rest = url.partition("://")[2]
        netloc, _, tail = rest.partition("/")
        userinfo, _, host = netloc.rpartition("@")
        pieces = [url, rest, tail, tail.partition("?")[2], userinfo]
        pieces += userinfo.split(":")
        if not _HOSTNAME.fullmatch(host):
            pieces.append(host)
        pieces += [part for part in tail.replace("?", "/").split("/") if _token_like(part)]
        for piece in pieces:
            if len(piece) >= 8:
                register_secret(piece)


_HOSTNAME = re.compile(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|localhost)(:\d+)?")


def _token_like(part: str) -> bool:
    """A path part that may be a token: long, or mixing digits in."""
    return len(part) >= 20 or (len(part) >= 8 and any(c.isdigit() for c in part))
