"""`refill ID`'s line for an outcome unknown says what came back: "its answer
was lost" only when no answer was read (a connection closed after the
request left); an answer that came without a usable refill ID (words of the
panel's server failing, ``{"refill": 0}``, a refill ID for the error) says
so, with the panel's words, as the ``add`` and ``cancel`` lines do. Through
the real CLI and a scripted panel on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import json_reply
from simconfig import scripted_panel

pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "refill-words-Lk8Jh6Gf4Ds2"
MAY = "order 5: the refill request may have reached the panel but its answer"
GAVE = f"{MAY} gave no usable refill ID"
LOST = f"{MAY} was lost"
KEPT = "; recorded as sent, so it is not resent inside the cooldown"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        assert cli("track", "5").exit_code == 0
        yield replies, cli


def _last(result: Any) -> str:
    return result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"error": "SQLSTATE[HY000]: General error"}, "SQLSTATE[HY000]: General error"),
        ({"refill": 0}, 'answered without a usable refill ID: {"refill": 0}'),
        ({"error": 5001}, 'answered a refill ID for its error: {"error": 5001}'),
    ],
    ids=["fault", "zero", "id-for-error"],
)
def test_an_answer_without_a_usable_refill_id_is_said_as_come(panel, body, said):
    replies, cli = panel
    replies["refill"] = json_reply(body)
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert _last(result) == f"smm-tracker: {GAVE} ({said}){KEPT}"
    assert "its answer was lost" not in result.stderr


def test_an_answer_never_read_is_said_lost(panel):
    replies, cli = panel
    replies["refill"] = lambda handler: None  # the connection closed, no answer written
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert _last(result).startswith(f"smm-tracker: {LOST} (")
    assert "gave no usable refill ID" not in result.stderr
