"""`refill ID` not sent says what to do, as `add` and `cancel` do: a page or
a framework's answer given before the panel's script ran names the URL (or
the host's access, or the request's size) to check, where it ended at the
error alone. A wait that may cure it (a 408, a 5xx) adds nothing.

Through the CLI against tests/hostile.py's HostileServer, with
test_answer_pages's panel (orders 5 and 6 placed and tracked)."""

from __future__ import annotations

import pytest
from hostile import json_reply
from test_answer_pages import page, panel  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("quick_backoff")  # a 408's retry: what is said, not the wait


@pytest.mark.parametrize(
    ("reply", "fix"),
    [
        (page(404, "404 Not Found"), "check panels[0].url"),
        (json_reply({"message": "Not Found"}, 404), "no API at this URL's path"),
        (json_reply({"message": "Unauthenticated."}, 401), "lets this server in"),
        (page(413, "413 Request Entity Too Large"), "too large for the server in front"),
    ],
    ids=["404-page", "404-json", "401-json", "413-page"],
)
def test_a_refill_not_sent_names_what_to_fix_as_add_and_cancel_do(panel, reply, fix):  # noqa: F811
    server, replies, cli = panel
    replies["refill"] = reply
    refill = cli("refill", "5")
    assert refill.exit_code == 1
    [said] = [line for line in refill.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert said.startswith("smm-tracker: order 5: refill not sent, nothing recorded: "), said
    assert fix in said, said
    # What add says of the same answer, the same fix.
    replies["add"] = reply
    added = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert fix in added.stderr, added.stderr


def test_a_refill_not_sent_for_a_408_adds_no_fix(panel):  # noqa: F811
    server, replies, cli = panel
    replies["refill"] = page(408, "408 Request Time-out")
    refill = cli("refill", "5")
    assert refill.exit_code == 1
    assert "check" not in refill.stderr.split("refill not sent, nothing recorded: ")[1]
