"""A panel's words reach each chat service as words: no mention, link or code.

Left by the Markdown and ping defusing (tests/test_alert_markup.py): Mastodon,
Misskey, X, Mattermost, Rocket.Chat and Telegram make ``@name`` a mention
that notifies that account; Synology Chat draws Slack's ``<url|label>`` as a
link in plain text; OneBot would read ``[CQ:at,qq=all]`` (everyone pinged)
in a message sent as a string. The webhook's ``data`` carried a panel's text
whole, however long.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tracker.alerts.alerter import raise_alert
from tracker.alerts.payloads import payload
from tracker.rules.episodes import Alert
from tracker.store.orders import Store

NAMING = Alert(
    "order_canceled",
    "main: order #5 canceled: 'ask @alice or @bob_2 (RT@carol), mail support@panel.example' "
    "(remains 10)",
    panel="main",
)


def _sent(url: str, alert: Alert) -> str:
    """The body our target hands to Apprise for ``url`` (nothing sent)."""
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    from tracker.alerts.notify import NotifyTarget

    target = NotifyTarget(url, 0, timeout=10)
    bodies: list[str] = []

    class Recorder:
        def notify(self, *, body: str, **_: Any) -> bool:
            bodies.append(body)
            return True

    target._apprise = Recorder()
    assert target.deliver(alert) is None
    [body] = bodies
    return body


@pytest.mark.parametrize(
    "url",
    [
        "mastodons://AAbbCCddEEffGGhhIIjj@mastodon.example",
        "misskeys://AAbbCCddEEffGGhh@misskey.example",
        "bsky://alice.bsky.social@abcd-efgh-ijkl-mnop",
        "x://ckey/csecret/akey/asecret",
        "mmost://chat.example/AAbbCCddEEffGGhhIIjj",
        "rockets://user:pass@chat.example/#general",
        "tgram://123456789:AAbbCCddEEffGGhh/987654",
    ],
)
def test_a_panels_at_name_mentions_nobody_where_a_service_would_notify_them(url: str) -> None:
    body = _sent(url, NAMING)
    for mention in ("@alice", "@bob_2", "RT@carol"):
        assert mention not in body, body
    # Visible and read as written; an e-mail address is no mention and stays.
    assert "ask (at)alice or (at)bob_2 (RT(at)carol)" in body.replace("\\", "")
    assert "support@panel.example" in body


def test_services_that_make_no_mention_get_at_name_as_written() -> None:
    body = _sent("ntfy://ntfy.example/topic", NAMING)
    assert body == NAMING.message


def test_synology_chat_draws_no_disguised_link() -> None:
    alert = Alert(
        "refill_rejected",
        "main: refill of #5 refused: 'log in at <https://evil.example/login|your dashboard>'",
        panel="main",
    )
    body = _sent("synology://chat.example/AAbbCCddEEffGGhh", alert)
    assert "<" not in body and ">" not in body
    assert "\uff1chttps://evil.example/login|your dashboard\uff1e" in body


def test_onebot_sends_a_cq_code_as_text_not_as_a_code(monkeypatch) -> None:
    # OneBot reads CQ codes in a message sent as a string; Apprise sends a
    # text segment, whose words are text. Held here: an Apprise that sent a
    # string would ping every member of the group.
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    import requests

    from tracker.alerts.notify import NotifyTarget

    bodies: list[dict[str, Any]] = []

    class Answer:
        status_code = 200
        content = b'{"status": "ok", "retcode": 0, "data": {"message_id": 1}}'
        text = content.decode()
        headers: dict[str, str] = {}

        def json(self) -> Any:
            return json.loads(self.content)

    def post(url: str, *args: Any, **kwargs: Any) -> Answer:
        data = kwargs.get("data") or kwargs.get("json")
        bodies.append(json.loads(data) if isinstance(data, str | bytes) else dict(data or {}))
        return Answer()

    monkeypatch.setattr(requests, "post", post)
    alert = Alert("unknown_status", "main: status '[CQ:at,qq=all] free credit'", panel="main")
    NotifyTarget("onebot://token@host.example/12345", 0, timeout=10).deliver(alert)
    [body] = bodies
    [segment] = body["message"]
    assert segment["type"] == "text"
    assert "[CQ:at,qq=all] free credit" in segment["data"]["text"]


LONG = "US" + "C" * 5_000


def test_a_panels_long_text_in_data_is_sent_cut_and_stored_whole(tmp_path: Path) -> None:
    data = {"balance": 1.5, "currency": LONG, "refills": [{"error": "\u202e" + "x" * 2_000}]}
    store = Store(tmp_path / "t.db")
    try:
        low = Alert("balance_low", "main: low", panel="main", data=data)
        raised = raise_alert(low, store=store)
        [row] = store.rows("SELECT data FROM alerts WHERE id = ?", [raised.id])
    finally:
        store.close()
    assert json.loads(row["data"]) == data  # the exact words kept
    sent = payload(raised, "json")["data"]
    assert sent["currency"] == LONG[:999] + "…" and sent["balance"] == 1.5
    # An escape is never cut in two; each text at most 1,000 characters.
    error = sent["refills"][0]["error"]
    assert error.startswith("\\u202exxx") and error.endswith("x…") and len(error) == 1000
    torn = payload(Alert("balance_low", "m", data={"c": "C" * 997 + "\u202e" * 3}), "json")
    assert torn["data"]["c"] == "C" * 997 + "…"
    # Sent again (the outbox): cut once, not twice.
    again = payload(Alert("balance_low", "m", data=sent), "json")["data"]
    assert again == sent
