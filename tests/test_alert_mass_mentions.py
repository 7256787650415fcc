"""A panel's words page no room: no mass mention on any service an alert reaches.

Each chat service has its own words for "notify everyone here": Matrix's
``@room``, Google Chat's ``<users/all>``, Zulip's ``@**all**``, Lark's
``<at user_id="all">``, Slack's ``<!channel>``... A panel chooses the words
of a status or a cancel reason; whatever they hold, what Apprise posts (caught
here at ``requests``) or the webhook sends must ping nobody, and show the
words with an ``(at)`` where the mention was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tracker.alerts.payloads import payload
from tracker.rules.episodes import Alert

WORDS = (
    "@room @everyone x@everyone @here @channel @all @online <@all> <users/all> "
    "<!channel> <!here> <!everyone> @**all** @**stream** @**topic** @_**Bob** "
    '@*support* <at user_id="all">all</at> @alice:example.org @team @available {@ops} '
    "(met)all(met)"
)
ALERT = Alert(
    "unknown_status",
    f"main: 1 open order in status words the tracker does not know: '{WORDS}' (1: #5)",
    panel="main",
)


class _Answer:
    status_code = 200
    content = json.dumps(
        {"ok": True, "access_token": "t", "user_id": "@bot:example.org", "room_id": "!r:x"}
        | {"event_id": "$e", "errcode": 0, "code": 0, "StatusCode": 0, "result": {}}
    ).encode()
    text = content.decode()
    headers: dict[str, str] = {}

    def json(self) -> Any:
        return json.loads(self.content)


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """Every text Apprise sends (POST and PUT bodies, walked), caught at requests."""
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    import requests

    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    def caught(url: str, *args: Any, **kwargs: Any) -> _Answer:
        data = kwargs.get("data") or kwargs.get("json")
        walk(json.loads(data) if isinstance(data, str | bytes) else data)
        return _Answer()

    for method in ("post", "put"):  # Slack's: requests.request("POST", ...)
        monkeypatch.setattr(requests, method, caught)
    monkeypatch.setattr(requests, "get", lambda *a, **k: _Answer())
    monkeypatch.setattr(requests, "request", lambda _, url, *a, **kw: caught(url, *a, **kw))
    return texts


def _delivered(url: str, sent: list[str]) -> str:
    from tracker.alerts.notify import NotifyTarget

    NotifyTarget(url, 0, timeout=10).deliver(ALERT)
    [text] = [t for t in sent if "does not know" in t]
    return text


@pytest.mark.parametrize(
    ("url", "pings", "shown"),
    [
        # Matrix: "@room" notifies the room; a user ID pings that user.
        (
            "matrixs://user:pass@matrix.example/#room",
            ["@room", "@alice:example.org"],
            ["(at)room", "(at)alice:example.org"],
        ),
        ("gchat://workspace/key/token", ["<users/all"], ["<(at)users/all"]),
        (
            "zulip://bot@example.zulipchat.com/AAbbCCddEEffGGhhIIjjKKllMMnnOOpp/stream",
            ["@**", "@\\*", "@_", "@\\_"],
            ["(at)\\*\\*all\\*\\*", "(at)\\*\\*topic\\*\\*", "(at)\\_\\*\\*Bob", "(at)\\*support"],
        ),
        ("lark://AAbbCCddEEffGGhhIIjjKKll0123456789", ["<at "], ['<(at)at user_id="all">']),
        ("feishu://AAbbCCddEEffGGhhIIjjKKll0123456789", ["<at "], ['<(at)at user_id="all">']),
        (
            "revolt://AAbbCCddEEffGGhhIIjj/01H0CHANNEL?format=text",
            ["@everyone", "@online"],
            ["(at)everyone", "(at)online", "x(at)everyone"],
        ),
        ("guilded://1234567890/AAbbCCddEEffGGhhIIjj", ["@everyone", "@here"], ["(at)here"]),
        ("discord://1234567890/AAbbCCddEEffGGhhIIjj", ["@everyone"], ["x(at)everyone"]),
        (
            "mmost://chat.example/AAbbCCddEEffGGhhIIjj",
            ["@channel", "@all", "@here"],
            ["(at)channel (at)all (at)online"],
        ),
        (
            "rockets://abc123%2Fdef456@chat.example/%23general",
            ["@all", "@here"],
            ["\\(at\\)all", "\\(at\\)here"],
        ),
        ("wxteams://" + "a" * 80, ["<@all", "<\\@all"], ["<\\(at\\)all"]),
        ("wecombot://AAbbCCddEEffGGhhIIjjKKll0123456789", ["@all"], ["<(at)all>"]),
        ("dingtalk://AAbbCCddEEffGGhhIIjjKKll0123456789", ["@all"], ["(at)all"]),
        (  # Ryver pings one member by "@name" too
            "ryver://apprise/ckhrjW8w672m6HG",
            ["@team", "@here", "@alice"],
            ["(at)team", "(at)here", "(at)alice:example.org"],
        ),
        (
            "cliq://1000.AAbbCCddEEff.GGhhIIjj/channel",
            ["@all", "@available", "{@"],
            ["(at)all", "(at)available", "{(at)ops}"],
        ),
        # KOOK's KMarkdown "(met)all(met)": Apprise escapes its parentheses.
        ("kook://AAbbCCddEEffGGhhIIjj/1234567890", ["(met)all"], ["\\(met\\)all\\(met\\)"]),
        # Slack reads "<!channel>" in text: Apprise's slack:// writes "&lt;".
        (
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
            ["<!channel>", "<!here>", "<!everyone>"],
            ["&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt;"],
        ),
    ],
)
def test_a_panels_words_page_no_room_on_each_service(sent, url, pings, shown) -> None:
    text = _delivered(url, sent)
    for ping in pings:
        assert ping not in text, (ping, text)
    for words in shown:
        assert words in text, (words, text)
    assert "\u200b" not in text


def test_the_webhooks_slack_format_pages_no_room_and_json_keeps_the_words() -> None:
    text = payload(ALERT, "slack")["text"]
    pings = ("@room", "@online", "@team", "@available", "{@", "@**all**", "@_**", "@*support")
    for ping in (*pings, "<users/", "<at "):
        assert ping not in text.replace("&lt;", "<"), ping
    assert "(at)room" in text and "(at)**all**" in text and "&lt;(at)users/all&gt;" in text
    # Scripts parse the JSON format: the panel's words exactly.
    assert WORDS in payload(ALERT, "json")["message"]


def test_an_address_or_a_word_is_no_mass_mention() -> None:
    alert = Alert(
        "unknown_status",
        "main: 1 open order in status words the tracker does not know: "
        "'mail x@roomy.example, ops@onlineshop.example, a@teams.example, x@allegro.pl or "
        "ops@channelfix.io; 1<at least 2; @all.' (1: #5)",
        panel="main",
    )
    text = payload(alert, "slack")["text"]
    assert "x@roomy.example" in text and "ops@onlineshop.example" in text
    assert "a@teams.example" in text
    assert "x@allegro.pl" in text and "ops@channelfix.io" in text and "(at)all." in text
    assert "1&lt;at least 2" in text
