"""What a hostile panel sends cannot leak the key, poison numbers or reach the terminal raw.

One hostile panel on loopback echoes the key raw, ``\\/``-escaped,
``\\u``-escaped, upper-cased and base64-encoded, sends charges and balances
of 1e999999999 (as a string and as a bare JSON number, which Python reads as
infinity) and a 10 kB status full of
ESC, BEL, CR and LF. After `run --once`, every output, the database files, the
alerts and a metrics scrape are checked as a user would check them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import HostileServer, json_reply, text_reply
from test_service_run import DEADLINE, smm_tracker

from tracker.cli.main import main
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import collect
from tracker.store.orders import Store

KEY = "hostile/Key-9Zt3Lm2Vx8Rc"
SLASHED = KEY.replace("/", "\\/")
UNICODE = "".join(f"\\u{ord(c):04x}" for c in KEY)
UPPER = KEY.upper()
BASE64 = base64.b64encode(KEY.encode()).decode()
FORMS = [
    KEY,
    SLASHED,
    UNICODE,
    UNICODE.upper().replace("\\U", "\\u"),
    "hostile%2FKey-9Zt3Lm2Vx8Rc",
    UPPER,
    UPPER.replace("/", "\\/"),
    BASE64,
]
EVIL = "\\u001b]0;pwned\\u0007Evil\\r\\nline" + "x" * 10_000


def statuses_answer() -> str:
    # Written by hand: the escapes are the point.
    return (
        "{"
        f'"1": {{"status": "Weird {KEY}", "charge": "1e999999999", "remains": "5"}},'
        f'"2": {{"status": "{SLASHED}", "charge": 1e999999999, "remains": "0"}},'
        f'"3": {{"error": "Invalid API key {UNICODE}"}},'
        f'"4": {{"status": "{EVIL}", "charge": "-1e999999999", "currency": "USD"}},'
        f'"5": {{"error": "Wrong key {UPPER}"}},'
        f'"6": {{"status": "Access denied for key {BASE64}", "remains": "1"}}'
        "}"
    )


def respond(balance: str):
    def answer(form: dict[str, str]):
        action = form.get("action")
        if action == "status":
            return text_reply(statuses_answer())
        if action == "balance":
            currency = f"USD {SLASHED} {UPPER} {BASE64}"
            return text_reply(f'{{"balance": "{balance}", "currency": "{currency}"}}')
        if action == "services":
            return json_reply([])
        return json_reply({"error": f"Unknown action {KEY}"})

    return answer


def config_text(url: str, webhook: str) -> str:
    return f"""
[database]
path = "t.db"
[[panels]]
name = "evil"
url = "{url}"
key_env = "HOSTILE_KEY"
timeout = "30s"
retries = 0
[balance]
low = 10
[refill]
enabled = false
[alerts]
webhook_url = "{webhook}"
webhook_timeout = "30s"
[logging]
format = "json"
level = "debug"
"""


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("balance", ["-1e999999999", "1e999999999"])
def test_a_hostile_panel_leaks_nothing_and_poisons_nothing(tmp_path, monkeypatch, balance):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOSTILE_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    config = tmp_path / "tracker.toml"
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, ["--config", str(config), *args], catch_exceptions=False)
        return result.output

    outputs: dict[str, str] = {}
    receiver = HostileServer(lambda form: json_reply({"ok": True})).start()
    with HostileServer(respond(balance)) as server:
        config.write_text(config_text(server.url, receiver.url))
        outputs["track"] = cli("track", "1", "2", "3", "4", "5", "6")
        once = subprocess.run(
            [*smm_tracker(), "--config", str(config), "run", "--once"],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            env=dict(os.environ),
        )
        outputs["run"] = once.stdout + once.stderr
        doctor = subprocess.run(
            [*smm_tracker(), "--config", str(config), "doctor"],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            env=dict(os.environ),
        )
        outputs["doctor"] = doctor.stdout + doctor.stderr
    receiver.stop()
    posted = [form["json"] for form in receiver.requests]
    outputs.update({f"webhook --json {n}": body for n, body in enumerate(posted)})
    assert "Traceback" not in outputs["run"] + outputs["doctor"], outputs
    for args in (
        ["orders"],
        ["orders", "--json"],
        ["alerts"],
        ["alerts", "--json"],
        ["balance"],
        ["balance", "--json"],
        *[["history", str(n)] for n in range(1, 5)],
        *[["history", str(n), "--json"] for n in range(1, 5)],
    ):
        outputs[" ".join(args)] = cli(*args)

    store = Store(tmp_path / "t.db", migrate=False)
    try:
        outputs["metrics"] = collect(store, CallCounters(), JobStats())
    finally:
        store.close()
    database = b"".join(p.read_bytes() for p in tmp_path.glob("t.db*"))

    # The key, in any encoding, is nowhere.
    for name, text in outputs.items():
        assert not leaks(text), (name, leaks(text))
    assert not leaks(database.decode("utf-8", "replace"))

    # Every --json output is valid JSON (no Infinity), and nothing raw reaches a terminal.
    for name, text in outputs.items():
        if "--json" in name:
            strict_json(text)
        if name != "run":  # the JSON log lines escape on their own
            assert not set(text) & {"\x1b", "\x07", "\r"}, name
    table = outputs["orders"]
    assert "\\x1b]0;pwned\\x07Evil\\r\\nline" in table and "…" in table
    assert "\\x1b]0;pwned" in outputs["history 4"]

    # Charges of 1e999999999 are unreadable, never Inf; statuses are capped.
    rows = {row["order_id"]: row for row in strict_json(outputs["orders --json"])}
    assert rows[1]["charge"] is None and rows[2]["charge"] is None and rows[4]["charge"] is None
    assert len(rows[4]["status"]) <= 100
    warned = [json.loads(line) for line in outputs["run"].splitlines() if "absurd_number" in line]
    assert [(w["action"], w["field"]) for w in warned if w["action"] == "status"] == [
        ("status", "charge")
    ]  # once, though three orders sent one

    # Metrics labels: the normalised statuses only, unknown spellings folded to "other".
    statuses = {
        line.split('status="')[1].split('"')[0]
        for line in outputs["metrics"].splitlines()
        if line.startswith("smm_tracker_open_orders{")
    }
    assert statuses <= {"other", "unknown", "Pending"}, statuses

    kinds = [alert["kind"] for alert in strict_json(outputs["alerts --json"])["alerts"]]
    if balance.startswith("-"):
        assert "balance_low" in kinds, outputs["alerts --json"]
        # The webhook got it, as valid JSON (each posted body is checked above).
        assert "balance_low" in [strict_json(body)["kind"] for body in posted]
        assert "state:  LOW" in outputs["balance"], outputs["balance"]
    else:
        assert "balance_low" not in kinds
    assert Path(tmp_path / "t.db").exists()
