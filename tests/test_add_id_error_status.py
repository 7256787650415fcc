"""An ``add`` answered an order ID for its error with a non-200 status says
the status and the panel's answer apart, as sent: ``(answered an order ID for
its error (HTTP 400): {"error": 23501})``, never the status folded into the
quoted answer (``{"error": "HTTP 400: 23501"}``, the ID of ``{"order":
23501, "message": "created"}`` lost). Through the real CLI and a scripted
panel on loopback.
"""

from __future__ import annotations

import pytest
from hostile import json_reply
from simconfig import add_panel, tracked_ids

KEY = "hostile-key-IdForError400"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
UNKNOWN = "smm-tracker: sim: add: outcome unknown — check the panel before placing it again"
SAID = {
    23501: '{"error": 23501}',
    "23501": '{"error": "23501"}',
    "order": '{"error": {"order": "23501", "message": "created"}}',
}


@pytest.mark.parametrize("code", [200, 400, 429])
@pytest.mark.parametrize("error", [23501, "23501", "order"])
def test_the_status_and_the_panels_answer_are_said_apart(tmp_path, monkeypatch, code, error):
    sent = {"order": "23501", "message": "created"} if error == "order" else error
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply({"error": sent}, status=code))
        result = cli(*ADD)
    assert result.exit_code == 1, result.output
    status = "" if code == 200 else f" (HTTP {code})"
    told = result.stderr.splitlines()[-1]
    assert told == f"{UNKNOWN} (answered an order ID for its error{status}: {SAID[error]})"
    assert tracked_ids(tmp_path) == []
