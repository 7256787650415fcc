"""What the config needs to know of ``[alerts] notify`` (Apprise URLs) without
importing Apprise: whether it is installed, each URL's scheme, and the
registration of the URLs' token-bearing pieces as secrets."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Sequence

from tracker.config.fields import Table
from tracker.redact.scrub import register_secret


def install_hint() -> str:
    """Return the problem of a notify URL without Apprise, naming the pip of
    the Python running this: a bare `pip` is often another one."""
    import shlex  # only then: a start needs none

    return f"needs Apprise: {shlex.quote(sys.executable)} -m pip install 'smm-tracker[notify]'"


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


_HOSTNAME = re.compile(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|localhost)(:[0-9]+)?")


def _token_like(part: str) -> bool:
    """A path part that may be a token: long, or mixing digits in."""
    return len(part) >= 20 or (len(part) >= 8 and any(c.isdigit() for c in part))


def notify_urls(t: Table, from_file: list[str] | None = None) -> tuple[str, ...]:
    """Return the Apprise URLs at ``alerts.notify`` (``t`` is the alerts table),
    or ``from_file``, those of ``alerts.notify_file`` (None: not set); never
    echo one: they hold tokens."""
    value = t.raw("notify")
    key = "notify"
    if from_file is not None:
        if value:
            t.fail("notify_file", "set notify or notify_file, not both")
            return ()
        value, key = from_file, "notify_file"
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        t.fail("notify", 'must be a list of Apprise URLs, like ["tgram://TOKEN/CHAT_ID"]')
        return ()
    urls = tuple(v.strip() for v in value if v.strip())
    register_urls(urls)  # before any message could quote one
    for index, url in enumerate(urls):
        if scheme(url) == "?":
            t.fail(f"{key}[{index}]", "must be an Apprise URL like SCHEME://... (not shown)")
    if urls and not available():
        t.fail(key, install_hint())
    return urls
