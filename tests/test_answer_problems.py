"""RFC 7807 / 9457 problem documents (`Content-Type:
application/problem+json`: `{"type": ..., "title": ..., "status": 405,
"detail": ...}`), which Symfony, Spring, ASP.NET and API Platform answer
from their router or security layer, before any panel code ran: through
the real CLI against a scripted panel on loopback.

Their numeric `status` looked like the panel's answer (`status` is a key
of API v2's), so a 401, 403, 404, 405 or 413 problem to `add`, `refill`
and `cancel` was "outcome unknown": the key held, the refill and the
cancel stored Unknown, the user sent to check the panel for an order
that could not exist. A `status` that is the HTTP code itself, beside
`title` or `type`, is the framework's: judged as its other JSON, not sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hostile import Reply
from test_answer_pages import ACTS, ADD, _rows, _said, _sent, panel  # noqa: F401  (fixture)

TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}


def problem(code: int, **fields: Any) -> Reply:
    document = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5",
        "title": TITLES.get(code, "Conflict"),
        "status": code,
        **fields,
    }
    return Reply(json.dumps(document).encode(), code, {"Content-Type": "application/problem+json"})


@pytest.mark.parametrize("code", sorted(TITLES))
def test_a_frameworks_problem_document_is_not_sent_by_all_three(panel, tmp_path, code):  # noqa: F811
    server, replies, cli = panel
    replies.update(dict.fromkeys(ACTS, problem(code, detail="The request was refused.")))
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 1
    said = _said(added)
    assert said.startswith(f"smm-tracker: sim: add: HTTP {code}"), said
    assert "; no order placed" in said and "outcome unknown" not in said, said
    again = cli(*ADD, "--idempotency-key", "row-1")  # the key given back: sent again
    assert again.exit_code == 1 and "; no order placed" in _said(again)
    refill = cli("refill", "5")
    assert _said(refill).startswith(
        f"smm-tracker: order 5: refill not sent, nothing recorded: sim: refill: HTTP {code}"
    )
    cancel = cli("cancel", "--yes", "6")
    assert cancel.exit_code == 1
    assert cancel.stdout.startswith(f"#6  not sent: sim: cancel: HTTP {code}"), cancel.stdout
    assert _rows(tmp_path, "SELECT * FROM refills") == []
    assert _rows(tmp_path, "SELECT * FROM cancels") == []
    assert _rows(tmp_path, "SELECT status FROM idempotency_keys") == []
    assert [_sent(server, action) for action in ACTS] == [2, 1, 1]


def test_a_405_problem_names_the_urls_path_and_a_status_of_the_panels_stays_unknown(
    panel,  # noqa: F811
    tmp_path,
):
    server, replies, cli = panel
    replies.update(dict.fromkeys(("add", "cancel"), problem(405)))
    said = _said(cli(*ADD))
    assert said.startswith(f"smm-tracker: sim: add: HTTP 405 from {server.url}: "), said
    assert said.endswith("; no order placed; no API at this URL's path — check panels[0].url")
    line = cli("cancel", "--yes", "6").stdout.splitlines()[0]
    assert line.endswith(" - no API at this URL's path — check panels[0].url"), line
    # A `status` that may be the panel's, or an order named beside it (it
    # may have been placed), or a code a script may set after the work:
    # outcome unknown, the key kept.
    for n, reply in enumerate(
        [
            problem(403, status=404),  # a status that is not the answer's code
            Reply(b'{"status": 403}', 403, {"Content-Type": "application/problem+json"}),
            problem(404, order=7),
            problem(409),
        ]
    ):
        replies["add"] = reply
        said = _said(cli(*ADD, "--idempotency-key", f"row-{n}"))
        assert said.startswith("smm-tracker: sim: add: outcome unknown"), said
    assert _rows(tmp_path, "SELECT DISTINCT status FROM idempotency_keys") == [("Unknown",)]
