"""Panel text in an alert is shown as text by chat services, never obeyed.

A panel writes the words of a cancel reason, a status, an error: whoever runs
it (or anyone who can put text in a service name) chooses them. Slack reads
``<!channel>`` and ``<https://x|label>`` in a webhook's ``text``; Telegram's
HTML mode reads tags; Discord pings ``@everyone`` and ``<@id>`` in a
message's content. Each must reach the human as the characters it was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tracker.alerts.webhook import payload
from tracker.rules.episodes import Alert

HOSTILE = (
    "main: order #5 canceled: 'see <https://evil.example/login|your dashboard> "
    "<!channel> <@U024BE7LH> @everyone @here <b>now</b> & more' (remains 10, charge 0.1)"
)
ALERT = Alert("order_canceled", HOSTILE, panel="main")


def test_slack_text_escapes_what_slack_would_read_as_a_mention_or_a_link() -> None:
    text = payload(ALERT, "slack")["text"]
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text
    assert "&lt;https://evil.example/login|your dashboard&gt;" in text
    assert "&amp; more" in text
    # The JSON and Telegram formats carry the words as they were (no markup
    # read there), but Telegram's "@name" (a mention in a group): "(at)name".
    assert payload(ALERT, "json")["message"] == HOSTILE
    shown = HOSTILE.replace("@", "(at)")  # each "@" here starts a word
    assert payload(ALERT, "telegram", "@chan")["text"].endswith(shown)


class _Answer:
    status_code = 200
    content = b'{"ok": true, "result": {}}'
    text = content.decode()
    headers: dict[str, str] = {}


@pytest.fixture
def posted(monkeypatch) -> list[dict[str, Any]]:
    """What Apprise posts to the (unreachable) real services, caught at requests.post."""
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    import requests

    bodies: list[dict[str, Any]] = []

    def post(url: str, *args: Any, **kwargs: Any) -> _Answer:
        data = kwargs.get("data") or kwargs.get("json")
        bodies.append(json.loads(data) if isinstance(data, str | bytes) else dict(data or {}))
        return _Answer()

    monkeypatch.setattr(requests, "post", post)
    return bodies


def test_telegram_through_apprise_gets_the_words_escaped_for_its_html_mode(posted) -> None:
    from tracker.alerts.notify import NotifyTarget

    target = NotifyTarget("tgram://123456789:AAbbCCddEEffGGhh/987654", 0, timeout=10)
    target.deliver(ALERT)
    [body] = posted
    assert body["parse_mode"] == "HTML"
    # Raw, "<b>now</b>" was drawn bold and "<!channel>" (no tag Telegram knows)
    # made Telegram refuse the whole message: the alert was lost.
    assert "<b>now</b>" not in body["text"] and "<!channel>" not in body["text"]
    assert "&lt;b&gt;now&lt;/b&gt;" in body["text"]
    assert "&lt;!channel&gt;" in body["text"]


def test_discord_through_apprise_pings_nobody(posted) -> None:
    from tracker.alerts.notify import NotifyTarget

    target = NotifyTarget("discord://1234567890/AAbbCCddEEffGGhhIIjj", 0, timeout=10)
    assert target.deliver(ALERT) is None
    [body] = posted
    content = body["content"]
    for mention in ("@everyone", "@here", "<@U024BE7LH>"):
        assert mention not in content
    # Written "(at)", as a panel's "@name" is for the services that mention:
    # visible, no invisible character sent.
    assert "(at)everyone" in content and "(at)here" in content and "(at)U024BE7LH" in content
    assert "\u200b" not in content
    assert "evil.example" in content  # the words are all there, only defused


LINKED = Alert(
    "refill_rejected",
    "main: refill of #5 refused: 'log in at [your dashboard](https://evil.example/login) **now**'",
    panel="main",
)


@pytest.mark.parametrize(
    "url",
    [
        "discord://1234567890/AAbbCCddEEffGGhhIIjj",
        "mmost://chat.example/AAbbCCddEEffGGhhIIjj",
        "zulip://mybot@example.zulipchat.com/AAbbCCddEEffGGhhIIjjKKllMMnnOOpp/stream",
        # Discord's fork, and Ryver, whose body Apprise itself writes in Markdown.
        "guilded://1234567890/AAbbCCddEEffGGhhIIjj",
        "ryver://apprise/ckhrjW8w672m6HG",
        # Zoho Cliq: Markdown too, sent as given whatever the URL's format
        "cliq://1000.AAbbCCddEEff.GGhhIIjj/channel",
        "cliq://1000.AAbbCCddEEff.GGhhIIjj/channel?format=markdown",
        # Misskey's notes (MFM), Nextcloud Talk's chat, Revolt's and Fluxer's
        # (Discord-like) message content: Markdown drawn in plain text too.
        "misskeys://AAbbCCddEEffGGhh@misskey.example",
        "nctalks://user:pass@cloud.example/roomtoken",
        "revolt://AAbbCCddEEffGGhhIIjj/01H0CHANNEL?format=text",  # its default: Markdown
        "fluxer://1234567890/AAbbCCddEEffGGhhIIjj",
    ],
)
def test_markdown_in_panel_words_is_no_link_where_plain_text_is_drawn_as_markdown(
    posted, url
) -> None:
    from tracker.alerts.notify import NotifyTarget

    assert NotifyTarget(url, 0, timeout=10).deliver(LINKED) is None
    [body] = posted
    sent = body.get("content") or body.get("text") or body.get("body") or body["message"]
    # Drawn raw, "[your dashboard](https://...)" was a link under other words.
    assert "[your dashboard](https" not in sent and "**now**" not in sent
    assert "\\[your dashboard\\]\\(https://evil.example/login\\) \\*\\*now\\*\\*" in sent


def test_markdown_asked_for_in_the_url_is_escaped_once(posted) -> None:
    from tracker.alerts.notify import NotifyTarget

    url = "discord://1234567890/AAbbCCddEEffGGhhIIjj?format=markdown"
    assert NotifyTarget(url, 0, timeout=10).deliver(LINKED) is None
    [body] = posted
    (embed,) = body["embeds"]
    # Apprise escapes plain text for a Markdown target itself: not twice.
    assert "\\[your dashboard\\]" in embed["description"]
    assert "\\\\[" not in embed["description"]


PINGING = Alert(
    "unknown_status",
    "main: 1 open order in status words the tracker does not know: "
    "'@everyone @here @channel @ALL <@U024BE7LH> free credit' (1: #5)",
    panel="main",
)
PINGS = ("@everyone", "@here", "@channel", "@ALL", "<@U024BE7LH>")


def test_slack_text_pings_nobody_on_the_receivers_that_take_slacks_body() -> None:
    # Discord's /slack webhook URL pings "@everyone" and "@here", Mattermost's
    # and Rocket.Chat's incoming webhooks "@channel", "@all" and "@here": a
    # panel's status words paged every member of the channel.
    text = payload(PINGING, "slack")["text"]
    for mention in PINGS:
        assert mention not in text.replace("&lt;", "<").replace("&gt;", ">")
    assert "(at)everyone (at)here (at)channel (at)ALL &lt;(at)U024BE7LH&gt; free credit" in text
    assert "\u200b" not in text


def test_mattermost_through_apprise_pings_no_channel(posted) -> None:
    from tracker.alerts.notify import NotifyTarget

    assert (
        NotifyTarget("mmost://chat.example/AAbbCCddEEffGGhhIIjj", 0, timeout=10).deliver(PINGING)
        is None
    )
    [body] = posted
    sent = body["text"]
    for mention in PINGS:
        assert mention not in sent
    assert "(at)channel" in sent and "(at)ALL" in sent and "free credit" in sent
    assert "\u200b" not in sent


def test_a_panels_at_name_mentions_nobody_in_the_slack_and_telegram_formats() -> None:
    # Mattermost and Rocket.Chat take the slack format and mention "@name" in
    # its text; Telegram mentions "@username" in a group: a panel's words
    # name nobody there. The JSON format keeps the words (scripts read it).
    alert = Alert("order_canceled", "main: order #5 canceled: 'ask @admin, RT@boss'", panel="main")
    for text in (payload(alert, "slack")["text"], payload(alert, "telegram", "@chan")["text"]):
        assert "@admin" not in text and "@boss" not in text
        assert "(at)admin" in text and "RT(at)boss" in text
    assert payload(alert, "json")["message"].endswith("'ask @admin, RT@boss'")
