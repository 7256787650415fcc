"""The API key never shows: not in output, logs (even at debug level), database
files (with their -wal and -shm) or exception texts, even when a panel misbehaves
or echoes the key back."""

from __future__ import annotations

import base64
import json
import sqlite3
import traceback
from pathlib import Path

import httpx
import pytest
import tenacity
from click.testing import CliRunner
from hostile import HostileServer, Reply, text_reply
from simconfig import PanelClock, sim_config

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.errors import PanelError
from tracker.jobs.tracker import Tracker
from tracker.panel import budget
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder
from tracker.sim.server import (
    FAULT_KINDS,
    SERVICE_FOLLOWERS,
    FaultPlan,
    PanelServer,
    SimulatedPanel,
)

KEY = "secret-key-Jm5Rw2Qx8Lc3Nv7B"
ORDER = NewOrder(SERVICE_FOLLOWERS, "https://example.test/p", 100, None, None, {})


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(budget, "BACKOFF", tenacity.wait_fixed(0.01))


def exception_texts(exc: BaseException) -> str:
    """Everything an exception can show: str, repr, args and the formatted traceback."""
    return "\n".join(
        [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    )


def database_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("t.db*"))


def test_debug_run_with_faults_leaks_the_key_nowhere(tmp_path, monkeypatch, capfd):
    clock = PanelClock()
    panel = SimulatedPanel(
        key=KEY,
        clock=clock,
        seed=5,
        speed=60.0,
        slow_seconds=0.8,
        faults=FaultPlan(0.3, tuple(sorted(FAULT_KINDS))),
    )
    server = PanelServer(panel).start()
    (tmp_path / "tracker.toml").write_text(
        sim_config(
            server.url,
            panel='timeout = "500ms"\nretries = 2\nretry_budget = "3s"',
            json_logs=True,
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    runner = CliRunner()
    outputs = []

    def cli(*args: str) -> None:
        result = runner.invoke(main, ["--log-level", "debug", *args], catch_exceptions=False)
        outputs.append(result.output)

    ids = panel.seed_orders(30, spread=120)
    cli("track", *map(str, ids))
    # A reader keeps the database open, so the -wal and -shm files stay on disk
    # to be searched too (the last writer's close would otherwise remove them).
    reader = sqlite3.connect(tmp_path / "t.db")
    reader.execute("SELECT count(*) FROM orders").fetchone()
    try:
        for _ in range(8):
            cli("run", "--once", "--all")
            clock.now += 30
        for _ in range(4):
            cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
        cli("orders")
        cli("history", str(ids[0]))
        monkeypatch.setenv("SIM_KEY", "wrong-" + KEY)  # a refused key must not show either
        cli("run", "--once", "--all")
        files = database_files(tmp_path)
        contents = {path.name: path.read_bytes() for path in files}
    finally:
        reader.close()
        server.stop()

    captured = capfd.readouterr()
    text = "".join(outputs) + captured.out + captured.err
    # The run really logged at debug level, through faults and a refused key.
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert {"panel_retry", "poll_done"} <= {e["event"] for e in events}
    assert "Invalid API key" in text
    assert KEY not in text
    assert {"t.db", "t.db-wal", "t.db-shm"} <= set(contents)
    for name, content in contents.items():
        assert KEY.encode() not in content, name


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_exceptions_under_every_fault_never_carry_the_key(tmp_path, kind):
    panel = SimulatedPanel(key=KEY, clock=PanelClock(), seed=5, slow_seconds=0.8)
    with PanelServer(panel) as server:
        config = config_from_dict(
            {
                "panels": [
                    {
                        "name": "sim",
                        "url": server.url,
                        "key_env": "K",
                        "timeout": "500ms",
                        "retries": 0,
                    }
                ]
            },
            base_dir=tmp_path,
            env={"K": KEY},
        )
        client = PanelClient(config.panels[0])
        raised = []
        for call in (lambda: client.add(ORDER), lambda: client.statuses([1, 2])):
            panel.inject(kind, count=1)
            try:
                call()
            except PanelError as exc:
                raised.append(exc)
        client.close()
    assert raised  # every kind fails a call when nothing is retried
    for exc in raised:
        assert KEY not in exception_texts(exc)


# --- a panel that echoes the key back ----------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# How a buggy panel writes the key back, and what of it must show nowhere.
ECHOES = {
    "raw": (lambda key: key, KEY),
    "upper-cased": (str.upper, KEY.upper()),
    "base64": (b64, b64(KEY)),
    # The key inside a longer base64 text: the characters its bytes alone decide.
    "base64 of the request": (
        lambda key: b64(f"key={key}&action=x"),
        b64("key=" + KEY).rstrip("=")[8:-1],
    ),
}


def echoing_panel(echo):
    def answer(request: httpx.Request) -> httpx.Response:
        """A buggy panel that quotes the key it was sent in every kind of answer."""
        form = dict(httpx.QueryParams(request.content.decode()))
        key, action = echo(form.get("key", "")), form.get("action")
        if action == "add":
            return httpx.Response(200, json={"error": f"Invalid API key {key}"})
        if action == "balance":
            return httpx.Response(502, html=f"<html><title>502 for key={key}</title></html>")
        if action == "refill":
            return httpx.Response(200, json={"refill": None, "key": key})
        ids = form.get("orders", form.get("order", "")).split(",")
        answer = {
            i: (
                {"error": f"Incorrect order ID (key {key})"}
                if i == ids[0]
                else {"status": f"Stuck [{key}]", "remains": "5", "charge": "1"}
            )
            for i in ids
        }
        return httpx.Response(200, json=answer)

    return answer


@pytest.mark.parametrize("how", list(ECHOES))
def test_a_panel_echoing_the_key_gets_it_into_no_row_log_or_exception(tmp_path, capfd, how):
    echo, leak = ECHOES[how]
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [
                {"name": "echo", "url": "https://echo.test/api/v2", "key_env": "K", "retries": 0}
            ],
            "logging": {"level": "debug"},
        },
        base_dir=tmp_path,
        env={"K": KEY},
    )
    tracker = Tracker(config, transport=lambda _panel: httpx.MockTransport(echoing_panel(echo)))
    raised = []
    try:
        tracker.store.track("echo", [11, 12, 13], tracker.clock())
        tracker.poll("echo")
        client = tracker.clients["echo"]
        for call in (lambda: client.add(ORDER), client.balance):
            try:
                call()
            except PanelError as exc:
                raised.append(exc)
        refill = client.refill(11)  # taken without a refill ID: Unknown, quoting the answer
        stored = json.dumps(tracker.store.rows("SELECT * FROM orders"))
        stored += json.dumps(tracker.store.rows("SELECT * FROM transitions"))
    finally:
        tracker.close()
    assert len(raised) == 2
    for exc in raised:
        assert leak not in exception_texts(exc)
    assert refill.unknown and '"key": "' in (refill.error or "") and "***" in refill.error
    assert leak not in repr(refill)
    # What the panel said is still kept, with the key blanked out.
    assert "Stuck [" in stored and "Incorrect order ID" in stored
    assert leak not in stored
    for path in database_files(tmp_path):
        assert leak.encode() not in path.read_bytes(), path.name
    captured = capfd.readouterr()
    assert leak not in captured.out + captured.err


# A PHP panel echoing the key, a notice printed in the middle of it (PHP
# prints a notice where it happens, between two echoes).
NOTICE = "<br />\n<b>Warning</b>:  Undefined index: id on line <b>3</b><br />\n"


def notice_split(document: str) -> Reply:
    return text_reply(f"<b>Notice</b>: key {KEY[:12]}{NOTICE}{KEY[12:]}\n{document}")


def test_a_key_cut_by_a_php_notice_shows_in_no_log_line_or_row(tmp_path, monkeypatch, capfd):
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            answer = {i: {"status": "In progress", "remains": "5", "charge": "1"} for i in ids}
            return notice_split(json.dumps(answer))
        if form.get("action") == "balance":
            return notice_split('{"balance": "5.00", "currency": "USD"}')
        return notice_split("")  # no JSON at all: its first words are quoted

    with HostileServer(respond) as server:
        (tmp_path / "tracker.toml").write_text(
            f'[database]\npath = "t.db"\n[[panels]]\nname = "php"\nurl = "{server.url}"\n'
            'key_env = "PHP_KEY"\nretries = 0\n[logging]\nformat = "json"\n'
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("PHP_KEY", KEY)
        monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
        runner = CliRunner()
        outputs = []
        for args in (["track", "11", "12"], ["run", "--once"], ["cancel", "--yes", "11"]):
            result = runner.invoke(main, ["--log-level", "debug", *args])
            outputs.append(result.output)
        reader = sqlite3.connect(tmp_path / "t.db")
        try:
            stored = reader.execute("SELECT status FROM orders").fetchall()
            cancels = reader.execute("SELECT result, error FROM cancels").fetchall()
            contents = {path.name: path.read_bytes() for path in database_files(tmp_path)}
        finally:
            reader.close()
    captured = capfd.readouterr()
    text = "".join(outputs) + captured.out + captured.err
    # The answers behind the notices were read, the notices logged, the
    # cancel's answer (no JSON) quoted: with neither piece of the key.
    assert stored == [("In progress",), ("In progress",)]
    assert "panel_prints_notices" in text and "Undefined index" in text
    assert cancels[0][0] == "Unknown" and "Undefined index" in cancels[0][1]
    for piece in (KEY[:12], KEY[12:]):
        assert piece not in text
        for name, content in contents.items():
            assert piece.encode() not in content, name
