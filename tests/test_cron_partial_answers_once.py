"""A panel that answers part of each multi-status call, told once across
`run --once` runs (as its other quirks), not once a process.

A panel script answering at most 10 orders of each ``orders=`` call while
``max_batch`` asks 100: every order is still asked (the rest again), and
``panel_answers_part_of_each_call`` says to lower ``max_batch``. It was
warned once per process: from cron (``--log-level warning run --once``
every minute) a mail a minute for a panel that has always been so, until
``max_batch`` was changed. Told as a quirk now (tracker/rules/quirks.py):
at warning by the first run, at debug by the runs after it, told again
once absent for a day or at another URL.
"""

from __future__ import annotations

from typing import Any

import pytest
from blame_panel import config_for, panel_fixture, status_of
from hostile import Reply, json_reply
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)

KEY = "blame-key-Cron6Part2Answ"
IDS = list(range(7001, 7031))  # 30 orders
EVENT = "panel_answers_part_of_each_call"

panel = panel_fixture(config_for("1h"), IDS, KEY)


def ten_a_call(form: dict[str, str]) -> Reply:
    if "order" in form:
        return json_reply(status_of(int(form["order"])))
    return json_reply({i: status_of(int(i)) for i in form["orders"].split(",")[:10]})


def _run(cli, level: str = "debug") -> list[dict[str, Any]]:
    ran = cli("--log-format", "json", "--log-level", level, "run", "--once", "--all")
    assert ran.exit_code == 0, ran.output
    return [e for e in json_entries(ran.stderr) if e.get("event") == EVENT]


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_answering_part_of_each_call_is_warned_of_by_the_first_run_alone(panel):
    cli, _server = panel(ten_a_call)
    first = _run(cli)
    assert [e["level"] for e in first] == ["warning"]
    assert "max_batch" in first[0]["hint"]
    assert [e["level"] for e in _run(cli)] == ["debug"]  # still said, below warning
    assert _run(cli, "warning") == []  # cron's mail: nothing of it
