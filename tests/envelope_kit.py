"""What the envelope tests (tests/test_hostile_*envelopes.py) share: an
order tracked on a scripted loopback panel, then refilled or canceled once
with the action answered in a given shape, and what a run said and stored,
in a form two runs (a bare answer's, an envelope's) compare equal in."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from hostile import json_reply, text_reply
from simconfig import add_panel, scripted_panel

DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}
GOING = {"status": "In progress", "remains": "5", "charge": "0.5", "start_count": "10"}
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


def rows(directory: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute(sql))


def said(output: str, directory: Path) -> list[str]:
    """A command's output lines, sorted (a run's jobs run at once), without
    what differs from run to run: times, seconds, its directory."""
    output = output.replace(str(directory), "<dir>")
    output = re.sub(r"\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|\+00:00)?", "<time>", output)
    return sorted(re.sub(r"\b(\w+_s|seconds)=[\d.]+", r"\1=<s>", output).splitlines())


def _acted(
    directory: Path,
    monkeypatch: Any,
    key: str,
    order: tuple[int, Any],
    action: tuple[str, Any, int],
) -> Any:
    """Order ``order[0]`` tracked (its status ``order[1]``), then the CLI's
    ``action[0]`` of it, the panel answering ``action[1]`` with HTTP
    ``action[2]``: its exit code, what it said and its action's rows."""
    directory.mkdir(exist_ok=True)
    (order_id, going), (name, answer, code) = order, action
    command = {"refill": ["refill"], "cancel": ["cancel", "--yes", "--force"]}[name]
    with scripted_panel(directory, monkeypatch, key) as (_, replies, cli):
        replies["status"] = json_reply({str(order_id): going})
        replies[name] = json_reply(answer, code)
        assert cli("track", str(order_id)).exit_code == 0
        result = cli(*command, str(order_id))
    assert "Traceback" not in result.output
    sql = {
        "refill": "SELECT refill_id, status, error FROM refills",
        "cancel": "SELECT order_id, result, error FROM cancels",
    }[name]
    return result.exit_code, said(result.output, directory), rows(directory, sql)


def refilled(directory: Path, monkeypatch: Any, key: str, answer: Any, code: int = 200) -> Any:
    """Order 5 (Completed) tracked, then `refill 5` answered ``answer``:
    its exit code, what it said, the refills rows."""
    return _acted(directory, monkeypatch, key, (5, DONE), ("refill", answer, code))


def cancelled(directory: Path, monkeypatch: Any, key: str, answer: Any, code: int = 200) -> Any:
    """Order 7 (In progress) tracked, then `cancel --yes --force 7` answered
    ``answer``: its exit code, what it said, the cancels rows."""
    return _acted(directory, monkeypatch, key, (7, GOING), ("cancel", answer, code))


def answered_once(directory: Path, monkeypatch: Any, key: str, name: str, body: str) -> Any:
    """Order 5 (Completed) tracked, then `refill --force 5`, or order 7 (In
    progress), then `cancel --yes --force 7`, the panel answering the text
    ``body`` (a key given twice: no object Python writes), sent once: the
    run's result and its action's rows (refills: refill_id, status, error;
    cancels: order_id, result, error)."""
    order_id, going = (5, DONE) if name == "refill" else (7, GOING)
    command = {"refill": ["refill", "--force"], "cancel": ["cancel", "--yes", "--force"]}[name]
    with scripted_panel(directory, monkeypatch, key) as (server, replies, cli):
        replies["status"] = json_reply({str(order_id): going})
        assert cli("track", str(order_id)).exit_code == 0
        replies[name] = text_reply(body)
        result = cli(*command, str(order_id))
        assert server.calls(name) == 1  # never sent again
    assert "Traceback" not in result.output
    sql = {
        "refill": "SELECT refill_id, status, error FROM refills",
        "cancel": "SELECT order_id, result, error FROM cancels",
    }[name]
    return result, rows(directory, sql)


def added_once(directory: Path, monkeypatch: Any, key: str, reply: Any) -> Any:
    """`add` (ADD) on a scripted loopback panel answering ``reply`` (a
    json_reply or a text_reply), sent once: the run's result."""
    with add_panel(directory, monkeypatch, key) as (server, set_reply, cli):
        set_reply(reply)
        placed = cli(*ADD)
        assert server.calls("add") == 1  # never sent twice
    assert "Traceback" not in placed.output
    return placed


def cancel_unknown(result: Any, row: tuple[Any, ...]) -> None:
    """What a user checks of `cancel 7` whose answer left the outcome
    unknown: exit non-zero, its row Unknown (never Accepted) with the answer
    said plainly (a key given twice in words, never escaped JSON), and its
    line saying to check the panel."""
    order_id, outcome, error = row
    assert result.exit_code != 0
    assert (order_id, outcome) == (7, "Unknown"), error  # never Accepted
    assert "twice, differently" in error and '\\"' not in error, error
    [line] = [x for x in result.output.splitlines() if x.startswith("#7")]
    assert "unknown:" in line and "check the panel" in line, line
