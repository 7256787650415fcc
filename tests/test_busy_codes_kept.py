"""A busy answer keeps its HTTP code where one came, as every other busy
failure does ("panel busy: HTTP 403: Too many requests"; a 200's says none).

1. A refill refused as busy (``{"error": "Too many requests"}`` with a 403)
   said ``panel busy: HTTP 403: ...`` but lost the code as data: the error
   the refill round failed with carried no status, so the fix a command
   reads from the code had none.
2. A multi-order status answer whose every item says busy, answered with a
   2xx other than 200 (a 202), said ``panel busy: Too many requests``, an
   item's words, which never carry the answer's code: the code is named now
   and kept as data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import scripted_panel as scripted
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_refusal_words_plain import KEY, panel  # noqa: F401  (fixture)

from tracker.clock import utcnow
from tracker.config.model import PanelConfig, Secret
from tracker.errors import TransientError
from tracker.jobs.refill_requests import PanelModes, RequestResult, request_refills
from tracker.panel.client import PanelClient
from tracker.store.orders import Store

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

BUSY = json.dumps({"error": "Too many requests"}).encode()


def refill_round(tmp_path: Path, answer: Callable[[dict[str, str]], Reply]) -> RequestResult:
    """One refill round for order 81 alone, one call each, against ``answer``."""
    server = HostileServer(answer).start()
    panel_config = PanelConfig(name="main", url=server.url, key=Secret(KEY), timeout=5.0)
    client = PanelClient(panel_config, sleep=lambda _seconds: None)
    store = Store(tmp_path / "t.db")
    store.track("main", [81], utcnow())
    try:
        return request_refills(store, client, [81], clock=utcnow, modes=PanelModes())
    finally:
        client.close()
        store.close()
        server.stop()


@pytest.mark.parametrize("code", [400, 403, 201])
def test_a_refill_refused_busy_keeps_its_code_as_data(tmp_path, code):
    result = refill_round(tmp_path, lambda form: Reply(BUSY, code))
    assert result.errors == [f"panel busy: HTTP {code}: Too many requests"]
    assert result.statuses == [code]  # before: [None], the code only in the words
    assert result.sent == 0 and result.unsent == 1  # asked again next round, as before


def test_a_refill_refused_busy_with_a_200_says_and_keeps_no_code(tmp_path):
    result = refill_round(tmp_path, lambda form: Reply(BUSY, 200))
    assert result.errors == ["panel busy: Too many requests"]
    assert result.statuses == [None]


def items_busy(code: int) -> Callable[[dict[str, str]], Reply]:
    def respond(form: dict[str, str]) -> Reply:
        ids = form.get("orders", form.get("order", "")).split(",")
        return Reply(json.dumps({i: {"error": "Too many requests"} for i in ids}).encode(), code)

    return respond


@pytest.mark.parametrize("code", [201, 202])
def test_every_status_item_busy_in_a_non_200_answer_names_its_code(code):
    client, _asked = scripted.client_answering(items_busy(code), KEY, 0)
    with pytest.raises(TransientError) as caught:
        client.statuses([7101, 7102])
    assert str(caught.value).endswith(f"status: panel busy: HTTP {code}: Too many requests")
    assert caught.value.status == code


def test_every_status_item_busy_in_a_200_says_no_code():
    client, _asked = scripted.client_answering(items_busy(200), KEY, 0)
    with pytest.raises(TransientError) as caught:
        client.statuses([7101, 7102])
    assert str(caught.value).endswith("status: panel busy: Too many requests")
    assert caught.value.status is None


def test_run_once_names_the_code_of_a_busy_status_answer(panel):  # noqa: F811
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            return items_busy(202)(form)
        if form.get("action") == "services":
            return json_reply([])
        return json_reply({"balance": "5.00", "currency": "USD"})

    cli, _server = panel(respond)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1, result.output
    assert "panel busy: HTTP 202: Too many requests" in result.output, result.output
    assert KEY not in result.output
