"""What the webhook POSTs for an alert, in each ``alerts.webhook_format``.

"json" is the alert itself (README, Webhook); "slack" and "telegram" are one
line of text, a panel's words in it kept from becoming markup. Whatever the
format, a panel's control and invisible characters go out escaped
(:func:`outgoing`), in the message and in the data.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tracker.rules.episodes import Alert
from tracker.terminal import escape_controls

FORMATS = ("json", "slack", "telegram")
_ICON = {"error": "\U0001f534", "warning": "\U0001f7e0", "info": "\U0001f7e2"}
# What chat services ping in a message's plain text: Discord "@everyone",
# "@here" (inside a word too), "<@id>", "<@&role>" (through its
# Slack-compatible /slack URL too), Mattermost and Rocket.Chat "@channel",
# "@all", "@here" (their incoming webhooks take Slack's body), Guilded's
# "@everyone", "@here", Revolt's "@everyone", "@online", Matrix's "@room",
# Ryver's "@team", Zoho Cliq's "@available" and "{@id}", Webex's and WeCom's
# "<@all>", Zulip's "@**all**" (and "@**stream**",
# "@**topic**", a person's "@**Name**", a silent "@_**Name**", a group's
# "@*group*"; backslashed where we escape its Markdown), Google Chat's
# "<users/all>" and Lark's or Feishu's '<at user_id="all">'. Its "@" written
# "(at)", as a "@name" is (below), and "(at)" put after the "<" of the last
# two: the words kept, the ping out, nothing invisible sent. "@channel",
# "@all", "@room", "@online", "@team" and "@available" ping as whole words
# only: an e-mail's "x@allegro.pl" is left.
_PINGS = re.compile(
    r"@(?=everyone|here|(?:channel|all|room|online|team|available)\b|(?:\\?_)?\\?\*)"
    r"|(?<=[<{])@|(?<=<)(?=users/|at\s+\w+\s*=)",
    re.IGNORECASE,
)
# "@name" where a service makes it a mention of that account (Mastodon,
# Misskey, X...): an "@" starting a word (not an e-mail's, "support@panel"),
# X's "RT@name" too. Written "(at)name": visible, read as it was, a mention
# nowhere (a full-width "＠" is one on X, an invisible character is escaped).
_NAMES = re.compile(r"(?<![A-Za-z0-9_])((?:[Rr][Tt]:?)?)@(?=[A-Za-z0-9_])")
DATA_CHARS = 1000  # of each text in an alert's data sent (data.last_error's bound)
# An escape cut short at the end of a shortened text ("\u20").
_TORN = re.compile(r"\\(?:x[0-9a-f]?|u[0-9a-f]{0,3}|U[0-9a-f]{0,7})?$")


def unpinged(text: str) -> str:
    """Return ``text`` with every mention a chat service would ping defused:
    its "@" written "(at)" ("(at)everyone", "<(at)U024BE7LH>", "(at)**all**"),
    "(at)" after a tag's "<" ("<(at)users/all>", '<(at)at user_id="all">')."""
    return _PINGS.sub("(at)", text)


def unnamed(text: str) -> str:
    """Return ``text`` with every ``@name`` a service would make a mention
    written ``(at)name``; an e-mail address's "@" unchanged."""
    return _NAMES.sub(r"\1(at)", text)


def unlinked(text: str) -> str:
    """Return ``text`` with ``<`` and ``>`` written full-width (＜ ＞), for a
    service reading Slack's ``<url|label>`` links in plain text (Synology
    Chat): a panel's words are no link disguised under other words."""
    return text.replace("<", "\uff1c").replace(">", "\uff1e")


def outgoing(alert: Alert) -> Alert:
    """Return ``alert`` as it is sent (webhook, Apprise): its message and
    every text in its data (a panel's currency, a refill's error, a status)
    with control and invisible characters written as escapes (U+202E as
    ``\\u202e``), as the CLI shows them, each cut to ``DATA_CHARS`` (a
    5,000-character currency went whole); keys and figures unchanged. The
    database keeps the data's exact words. Idempotent: a message escaped when
    raised is unchanged, one stored raw before (sent again) is escaped now."""
    return replace(alert, message=escape_controls(alert.message), data=_shown(alert.data))


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return _bounded(escape_controls(value))
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value


def _bounded(text: str) -> str:
    """Return ``text`` cut to ``DATA_CHARS`` with an ellipsis, an escape never
    cut in two; text that short already (one cut before) unchanged."""
    if len(text) <= DATA_CHARS:
        return text
    return _TORN.sub("", text[: DATA_CHARS - 1]) + "…"


def named(alert: Alert) -> dict[str, Any]:
    """Return the fields naming ``alert`` in a log line of its delivery: its
    kind, its stored ID (``alerts --json`` finds it; None if it could not be
    stored) and its panel."""
    return {"alert": alert.kind, "alert_id": alert.id, "panel": alert.panel}


def payload(alert: Alert, fmt: str, chat_id: str = "", late: str = "") -> dict[str, Any]:
    """Given an alert and a format, return the JSON body to POST.

    "json": the alert itself (see README); "slack": an incoming-webhook
    ``text``; "telegram": a Bot API ``sendMessage`` body for ``chat_id``.
    ``late``: the words saying an alert sent again was raised earlier, put
    before its message in text; in "json", ``"late": true`` beside it.
    """
    alert = outgoing(alert)
    if fmt == "json":
        late_key = {"late": True} if late else {}
        return _json_safe({"source": "smm-tracker", "version": 1, **alert.to_dict(), **late_key})
    text = f"{_ICON.get(alert.severity, '')} {alert.kind}: {late}{alert.message}".strip()
    # "@name" mentions on Mattermost and Rocket.Chat (the slack format's
    # other takers) and in a Telegram group: a panel's words name nobody.
    if fmt == "slack":
        return {"text": _slack_escaped(unnamed(unpinged(text)))}
    if fmt == "telegram":
        return {"chat_id": chat_id, "text": unnamed(text), "disable_web_page_preview": True}
    raise ValueError(f"webhook format must be one of {FORMATS}, got {fmt!r}")


def _slack_escaped(text: str) -> str:
    """Return ``text`` as Slack shows it verbatim: a panel's words in a message
    (a cancel reason, a status) must not become ``<!channel>``, a mention or a
    disguised ``<url|label>`` link. Slack asks for exactly these three."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_safe(value: Any) -> Any:
    """Return ``value`` as strict JSON takes it: a non-finite float (not JSON:
    httpx would refuse the body and the alert would be lost) becomes None,
    a Decimal its text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
