"""Notifications through Apprise (``[alerts] notify``): one URL per service.

Apprise reaches Telegram, Discord, Matrix, ntfy, Pushover, e-mail and a
hundred more from one URL each. It is an optional extra
(``pip install 'smm-tracker[notify]'``) and imported only when a config
names a notify URL: it pulls in several packages and takes a quarter of a
second to import.

The URLs hold tokens: each one (and its host, path and query) is registered
as a secret, Apprise's own logger is silenced, and our log lines and errors
name a target by its position and scheme only (``alerts.notify[0]
(tgram)``). Each delivery has a wall-clock deadline: a target that hangs is
abandoned (its thread finishes on its own, and that target is skipped until
it has) and the failure is one log line; the targets deliver an alert side
by side, each in a thread of its own (:func:`side_by_side`). Apprise is told
to send in the calling thread (no thread pool of its own): the interpreter
joins a pool's workers at exit, so a target that drips its answer held a
stopped daemon (and ``run --once``) open past every bound.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from tracker.alerts.payloads import outgoing, unlinked, unnamed, unpinged
from tracker.config.notify import register_urls, scheme
from tracker.rules.episodes import Alert

log = structlog.get_logger("tracker.notify")

_TYPES = {"error": "failure", "warning": "warning", "info": "info"}
# Services that draw Markdown in a message sent as plain text (Discord's
# content and its fork Guilded's, Mattermost's and Zulip's text, Ryver's body, which
# Apprise itself writes in Markdown; Misskey's notes (MFM), Nextcloud Talk's
# chat, Revolt's and Fluxer's content): a panel's "[your dashboard](https://evil)"
# was a disguised link. A backslash keeps each mark a character. Where the URL
# asks ``format=markdown``, Apprise escapes plain text itself.
_DRAWS_MARKDOWN = frozenset(
    {"discord", "guilded", "mmost", "mmosts", "ryver", "zulip"}
    | {"misskey", "misskeys", "nctalk", "nctalks", "revolt", "fluxer", "fluxers"}
)
# Zoho Cliq draws Markdown and Apprise (2.3.0) hands it our plain text as it
# is, whatever its URL's format (its plugin's own is Markdown): escaped always.
_MARKDOWN_AS_IS = frozenset({"cliq", "zcliq", "zohocliq"})
_MARKS = re.compile(r"([\\`*_~|\[\]()<>#])")
# Services that make "@name" in a message's text a mention, notifying that
# account (Mastodon, Misskey and X on their servers, Mattermost, Rocket.Chat
# and Telegram in a channel, Matrix's "@user:server", Ryver's "@name";
# Bluesky once a client marks it): a panel's words
# must ping nobody. The whole message (a panel's words cannot be told apart
# there; the tracker's own words hold "@" only inside a word).
_MENTIONS = frozenset(
    {"mastodon", "mastodons", "toot", "toots", "misskey", "misskeys", "bsky", "bluesky"}
    | {"x", "twitter", "tweet", "mmost", "mmosts", "rocket", "rockets", "tgram"}
    | {"matrix", "matrixs", "ryver"}
)
# Synology Chat draws Slack's "<https://evil|your dashboard>" as a link in
# plain text. (OneBot sends the body as a text segment: "[CQ:at,qq=all]" in
# it is text, no code; tests/test_alert_services.py holds it to that.)
_SLACK_LINKS = frozenset({"synology", "synologys"})


def _sent_as(plugin: Any) -> Any:
    """Return the format an Apprise plugin sends in: its URL's ``format``,
    else its first (default) one."""
    sent = getattr(plugin, "_format_override", None) or plugin.notify_format
    return sent[0] if isinstance(sent, tuple) else sent


def _unmarked(text: str) -> str:
    return _MARKS.sub(r"\\\1", text)


# The placeholders of the README's and config.example.toml's notify URLs,
# and what each stands for: a URL pasted with one still in it is said so,
# in words (the placeholder is the URL's secret part: blanked in any line).
_PLACEHOLDERS = {
    "BOT_TOKEN": "bot token",
    "CHAT_ID": "chat ID",
    "WEBHOOK_ID": "webhook ID",
    "WEBHOOK_TOKEN": "webhook token",
}


def _pasted(url: str) -> str:
    """Given a notify URL Apprise does not understand, return the words saying
    it still holds the examples' placeholders, if it does, else ""."""
    held = [said for word, said in _PLACEHOLDERS.items() if word in url]
    if not held:
        return ""
    return f" (it holds the example's placeholders: put your own {' and '.join(held)} there)"


class NotifyTarget:
    """One Apprise URL, delivered to with a wall-clock deadline.

    Raise ValueError naming the target (never the URL) if Apprise does not
    understand it.
    """

    def __init__(self, url: str, index: int, *, timeout: float):
        import apprise  # the optional extra; imported only when configured

        register_urls([url])
        logging.getLogger("apprise").setLevel(logging.CRITICAL + 1)  # it may quote URLs
        self.name = target_name(index, url)
        self.timeout = timeout
        self._apprise: Any = apprise.Apprise(asset=_asset(apprise))
        # Plain text: Apprise escapes it for a target's markup (Telegram's HTML
        # mode); handed over raw, a panel's "<b>" was drawn bold and a "<" that
        # is no tag made Telegram refuse the message.
        self._text = apprise.NotifyFormat.TEXT
        if not self._apprise.add(url):
            raise ValueError(f"{self.name}: Apprise does not understand this URL{_pasted(url)}")
        kind = scheme(url)
        self._marked = kind in _MARKDOWN_AS_IS or (
            kind in _DRAWS_MARKDOWN and _sent_as(self._apprise[0]) == self._text
        )
        self._named, self._linked = kind in _MENTIONS, kind in _SLACK_LINKS
        self._busy: threading.Thread | None = None

    def deliver(self, alert: Alert) -> str | None:
        """Send one alert; return None when delivered, else why not (no URL in it)."""
        if self._busy is not None and self._busy.is_alive():
            return "the previous notification is still running"
        outcome: list[bool] = []
        message = self._body(outgoing(alert).message)  # stored raw before: escaped now

        def send() -> None:
            try:
                outcome.append(
                    bool(
                        self._apprise.notify(
                            title=f"smm-tracker: {alert.kind}",
                            body=message,
                            body_format=self._text,
                            notify_type=_TYPES.get(alert.severity, "info"),
                        )
                    )
                )
            except Exception:  # a plugin's bug: reported as a failed delivery
                outcome.append(False)

        thread = threading.Thread(target=send, name="notify", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            self._busy = thread
            return f"no answer within {self.timeout:g}s"
        return None if outcome == [True] else "delivery failed"

    def _body(self, message: str) -> str:
        """Return ``message`` as this service shows it, never as its markup,
        a link or a ping."""
        body = unpinged(_unmarked(message) if self._marked else message)
        body = unnamed(body) if self._named else body
        return unlinked(body) if self._linked else body


def target_name(index: int, url: str) -> str:
    """Given a notify URL and its place in ``[alerts] notify``, return its
    target's name, "alerts.notify[0] (tgram)": never the URL's secrets."""
    return f"alerts.notify[{index}] ({scheme(url)})"


def _asset(apprise: Any) -> Any:
    """Return Apprise settings that send in the calling thread (our own daemon
    thread, bounded by ``timeout``): Apprise 2 otherwise hands each send to a
    shared pool, whose workers the interpreter waits for at exit."""
    try:
        return apprise.AppriseAsset(async_mode=False, service_timeout=0)
    except (AttributeError, TypeError):  # before Apprise 2: no service_timeout, no pool
        return apprise.AppriseAsset(async_mode=False)


def targets(
    urls: Sequence[str],
    *,
    timeout: float,
    told: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> list[NotifyTarget]:
    """Given the configured URLs, return a target for each one Apprise accepts;
    log one line (naming the position and scheme) for each it does not: at
    error, but at info (``warned_at``) for a place ``told`` (given the
    names of the places refused now: ``run --once``'s marks,
    :mod:`tracker.store.told_marks`) says an earlier run told."""
    register_urls(urls)  # before anything can log or raise
    made, refused = [], []
    for index, url in enumerate(urls):
        try:
            made.append(NotifyTarget(url, index, timeout=timeout))
        except ValueError as exc:
            refused.append((target_name(index, url), str(exc)))
    said = told([name for name, _ in refused]) if told is not None else {}
    for name, error in refused:
        warned = said.get(name)
        if warned is None:
            log.error("notify_target_invalid", error=error)
        else:  # from cron: mailed once, by the first run that refused it
            log.info("notify_target_invalid", error=error, warned_at=warned)
    return made


def unread(urls: Sequence[str], made: Sequence[NotifyTarget]) -> set[str]:
    """Given the configured URLs and the targets made of them (:func:`targets`),
    return the names of the places whose URL Apprise does not understand:
    in the config, never sent to."""
    return {target_name(i, url) for i, url in enumerate(urls)} - {t.name for t in made}


def understood(urls: Sequence[str], *, timeout: float) -> list[str]:
    """Given the configured URLs, return the names of the targets the daemon
    makes of them (those Apprise understands), as :func:`targets` does but
    logging nothing: a command asking where an alert would go. Nothing is sent."""
    register_urls(urls)
    made = []
    for index, url in enumerate(urls):
        try:
            made.append(NotifyTarget(url, index, timeout=timeout).name)
        except ValueError:
            continue
    return made


def side_by_side(targets: Sequence[NotifyTarget], alert: Alert) -> Callable[[], list[str | None]]:
    """Start delivering ``alert`` to every target, each in a thread of its own
    (bounded by the target's own deadline), beside the webhook's POST; return
    what waits for them all and gives each target's error (None: delivered)."""
    errors: list[str | None] = ["not delivered"] * len(targets)

    def one(index: int, target: NotifyTarget) -> None:
        errors[index] = target.deliver(alert)

    threads = [
        threading.Thread(target=one, args=(i, t), name="notify-alert", daemon=True)
        for i, t in enumerate(targets)
    ]
    for thread in threads:
        thread.start()

    def joined() -> list[str | None]:
        for thread in threads:
            thread.join()
        return errors

    return joined
