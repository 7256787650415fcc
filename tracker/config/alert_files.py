"""``[alerts]`` URLs kept out of the config file: ``webhook_url_file``, ``notify_file``.

The webhook URL and the Apprise URLs hold tokens (a Telegram bot token, a
Discord webhook secret). Under the systemd unit the config file must be
readable by the service's own (dynamic) user, so it is world-readable; as
``key_file`` does for the API key, these keys name a file that holds the URLs
instead: relative, it is looked up in ``$CREDENTIALS_DIRECTORY`` first
(``LoadCredential=``), then beside the config file. Nothing read from it is
ever echoed in a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tracker.config.fields import Table, blank_in_host, host_problem, is_http_url
from tracker.config.keys import NotARegularFile, key_file_path, read_small_file

MAX_URL_FILE = 64 * 1024  # bytes; a few URLs


def url_lines(
    t: Table, key: str, env: Mapping[str, str], base_dir: Path, resolve: bool = True
) -> list[str] | None:
    """Given the alerts table and ``webhook_url_file`` or ``notify_file``, return
    the URLs its file holds (each line, blank lines and ``#`` comments left
    out), None when the key is not set or a problem was recorded.

    With ``resolve`` False (the read commands, as for ``key_file``) the file is
    not read and [] is returned: it may be root's only, or a credential only
    the service sees, and nothing is sent from those commands."""
    name = t.string(key, "").strip()
    if not name:
        if t.has(key) and t.ok(key):
            t.fail(key, "must name a file, not be empty")
        return None
    if not resolve:
        return []
    path = key_file_path(name, env, base_dir)
    try:
        text = read_small_file(path, MAX_URL_FILE).decode("utf-8")
    except FileNotFoundError:
        also = " (also looked in $CREDENTIALS_DIRECTORY)"
        t.fail(key, f"{path} does not exist" + (also if env.get("CREDENTIALS_DIRECTORY") else ""))
        return None
    except NotARegularFile as exc:
        t.fail(key, f"cannot read {path}: {exc}; it must be a file of at most {MAX_URL_FILE} bytes")
        return None
    except UnicodeDecodeError:
        t.fail(key, f"{path} is not UTF-8 text")
        return None
    except OSError as exc:
        t.fail(key, f"cannot read {path}: {exc.strerror}")
        return None
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    urls = [line for line in lines if line and not line.startswith("#")]
    if not urls:  # set, but sending nowhere: not a quiet way to turn alerts off
        t.fail(key, f"{path} holds no URL")
        return None
    return urls


def webhook_url(
    t: Table, inline: str, env: Mapping[str, str], base_dir: Path, resolve: bool = True
) -> str:
    """Given the alerts table and its ``webhook_url``, return the webhook URL:
    the inline one, or the one line of ``webhook_url_file`` ("" when
    ``resolve`` is False: the file is not read)."""
    urls = url_lines(t, "webhook_url_file", env, base_dir, resolve)
    if urls is None:
        return inline
    if inline:
        t.fail("webhook_url_file", "set webhook_url or webhook_url_file, not both")
    elif not resolve:
        return ""
    elif len(urls) != 1:
        # rules/counts.py's words (config is below rules): "1 line" too
        lines = f"{len(urls)} line" + "s" * (len(urls) != 1)
        t.fail("webhook_url_file", f"the file must hold one URL (it holds {lines})")
    elif not is_http_url(urls[0]):
        t.fail("webhook_url_file", "the file must hold an http(s) URL (not shown)")
    elif blank_in_host(urls[0]):  # as webhook_url's: "host not found" at every alert
        t.fail("webhook_url_file", "the file must hold an http(s) URL without a blank in its host")
    elif host_problem(urls[0]):  # as webhook_url's: a traceback at every alert
        t.fail(
            "webhook_url_file",
            "the file's URL has a host no name lookup takes (not shown): it cannot be looked up",
        )
    else:
        return urls[0]
    return inline
