"""An answer over its size cap names the setting that raises the cap: the
README's Reliability section no longer describes the caps (it moved to
docs/reliability.md), so "see README, Reliability" sent a user nowhere."""

from __future__ import annotations

import pytest
from hostile import HostileServer, flood

from tracker.config.model import PanelConfig, Secret
from tracker.errors import AnswerTooLargeError
from tracker.panel.client import PanelClient


def client(url: str) -> PanelClient:
    panel = PanelConfig(
        name="evil",
        url=url,
        key=Secret("hostile-key-1234"),
        timeout=5.0,
        retries=1,
        max_services_answer=2 * 1024 * 1024,
    )
    return PanelClient(panel, sleep=lambda _seconds: None)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (
            lambda panel: panel.balance(),
            "larger than 1 MB (the cap for 'balance' answers: panels[].max_answer)",
        ),
        (
            lambda panel: panel.services(),
            "larger than 2 MB (the cap for 'services' answers: panels[].max_services_answer)",
        ),
    ],
)
def test_an_answer_over_the_cap_names_the_key_that_sets_it(call, words):
    with HostileServer(lambda form: flood(5 * 1024 * 1024, declare=True)) as server:
        panel = client(server.url)
        with pytest.raises(AnswerTooLargeError) as raised:
            call(panel)
        panel.close()
    said = str(raised.value)
    assert words in said, said
    assert "README, Reliability" not in said
