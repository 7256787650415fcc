"""A success envelope holding nothing (``{"status": "success", "data": {}}``,
``[]`` or ``null``; also under ``result``, ``response``, ``payload``)
answered to refill, cancel, balance, services or refill_status, through the
real CLI and a scripted panel on loopback, is judged as that bare ``{}``,
``[]`` or ``null`` is: the same exit code, the same words, the same rows.
It stayed the envelope: to ``refill_status`` a refill stored Completed (its
``status`` "success" read as the refill's), to ``cancel`` its keys read as
orders nobody asked for (``cancel_answer_ignored``), to ``services`` an
empty listing a broken answer (bare ``[]`` is an empty catalogue); to
``refill`` and ``balance`` the envelope shown where the bare answer is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from envelope_kit import DONE, GOING, cancelled, refilled, rows, said
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import polled_then_answered, scripted_panel

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-EmptyEnvelope182Zq"
ENVELOPES = {
    "data": lambda held: {"status": "success", "data": held},
    "result": lambda held: {"success": True, "result": held},
    "response": lambda held: {"status": "ok", "message": "OK", "response": held},
    "payload": lambda held: {"status": "success", "payload": held},
}
# Each holder, each thing held (not every pair: each pair costs CLI runs).
HELD = pytest.mark.parametrize(
    ("envelope", "held"),
    [
        ("data", {}),
        ("data", []),
        ("data", None),
        ("result", []),
        ("response", {}),
        ("payload", None),
    ],
    ids=["data-object", "data-list", "data-null", "result-list", "response-object", "payload-null"],
)


def _both(tmp_path: Path, monkeypatch: Any, held: Any, envelope: str, seen: Any) -> Any:
    """What ``seen(directory, answer)`` returns for the bare ``held`` and for
    it in ``envelope``, asserted the same; that."""
    (tmp_path / "bare").mkdir()
    (tmp_path / "wrapped").mkdir()
    bare = seen(tmp_path / "bare", monkeypatch, held)
    wrapped = seen(tmp_path / "wrapped", monkeypatch, ENVELOPES[envelope](held))
    assert wrapped == bare
    return wrapped


def _refill_followed(directory: Path, monkeypatch: Any, answer: Any) -> Any:
    """Order 5 refilled (refill 77, In progress), then refill_status answered ``answer``."""
    with scripted_panel(directory, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"refill": 77})
        replies["refill_status"] = json_reply({"status": "In progress"})
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "5").exit_code == 0
        assert cli("run", "--once").exit_code == 0
        replies["refill_status"] = json_reply(answer)
        run = cli("run", "--once")
    assert "Traceback" not in run.output
    refills = rows(directory, "SELECT refill_id, status, error FROM refills")
    return run.exit_code, said(run.output, directory), refills


@HELD
def test_refill_status_answered_an_empty_envelope_is_read_as_the_bare_answer(
    tmp_path, monkeypatch, held, envelope
):
    _, _, refills = _both(tmp_path, monkeypatch, held, envelope, _refill_followed)
    assert refills[0][:2] == ("77", "In progress")  # never Completed for "success"


def _refill_asked(directory: Path, monkeypatch: Any, answer: Any) -> Any:
    return refilled(directory, monkeypatch, KEY, answer)


@HELD
def test_refill_answered_an_empty_envelope_is_read_as_the_bare_answer(
    tmp_path, monkeypatch, held, envelope
):
    _, _, refills = _both(tmp_path, monkeypatch, held, envelope, _refill_asked)
    assert [status for _, status, _ in refills] == ["Unknown"]  # it may have been asked


def _cancelled(directory: Path, monkeypatch: Any, answer: Any) -> Any:
    return cancelled(directory, monkeypatch, KEY, answer)


@HELD
def test_cancel_answered_an_empty_envelope_is_read_as_the_bare_answer(
    tmp_path, monkeypatch, held, envelope
):
    _, said, _ = _both(tmp_path, monkeypatch, held, envelope, _cancelled)
    assert not [line for line in said if "cancel_answer_ignored" in line]  # its keys are no orders


def _account_read(directory: Path, monkeypatch: Any, answer: Any, action: str) -> Any:
    with scripted_panel(directory, monkeypatch, KEY) as (_, replies, cli):
        replies[action] = json_reply(answer)
        run = cli("run", "--once")
        shown = cli(action)
    assert "Traceback" not in run.output + shown.output
    return (
        run.exit_code,
        said(run.output, directory),
        shown.exit_code,
        said(shown.output, directory),
    )


@HELD
@pytest.mark.parametrize("action", ["balance", "services"])
def test_balance_and_services_answered_an_empty_envelope_are_read_as_the_bare_answer(
    tmp_path, monkeypatch, held, envelope, action
):
    def seen(directory: Path, monkeypatch: Any, answer: Any) -> Any:
        return _account_read(directory, monkeypatch, answer, action)

    exit_code, said, _, _ = _both(tmp_path, monkeypatch, held, envelope, seen)
    if action == "services" and held == []:  # an empty catalogue, as bare
        assert not [line for line in said if "services_failed" in line] and exit_code == 0


@pytest.mark.parametrize("alone", [False, True], ids=["multi", "alone"])
def test_status_answered_an_envelope_holding_null_is_read_as_bare_null(
    tmp_path, monkeypatch, alone
):
    """Orders 7 and 8 polled (In progress), then status answered ``{"status":
    "success", "data": null}``: every call, or order 7's asked alone. Its
    "success" was order 7's status asked alone (an unknown_status alert)."""

    def seen(directory: Path, monkeypatch: Any, answer: Any) -> Any:
        directory.rmdir()  # polled_then_answered makes it
        run, asked = polled_then_answered(directory, monkeypatch, KEY, GOING, answer, alone)
        assert "Traceback" not in run.output
        orders = rows(directory, "SELECT order_id, status, polling, error FROM orders")
        alerts = rows(directory, "SELECT kind FROM alerts")
        return run.exit_code, said(run.output, directory), orders, alerts, asked

    exit_code, _, orders, alerts, _ = _both(tmp_path, monkeypatch, None, "data", seen)
    assert exit_code != 0 and ("unknown_status",) not in alerts
    assert [status for _, status, _, _ in orders] == ["In progress", "In progress"]
