"""`balance`'s notes of a panel whose key the panel refuses (``auth_failed``
open) say what fixes it, as ``orders`` and ``doctor`` do: the key where the
config sets it (``panels[N].key_env``, ``key_file`` or ``key``), then
``systemctl reload smm-tracker`` (a key in the config) or ``restart`` (a
variable, a key file), or the next cron run; the key first when
every call fails too. They said "smm-tracker doctor says why"."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from key_fixes import TAKEN, install_units

from tracker.cli.main import main
from tracker.rules.episodes import Episode
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import record_balance, save_episode
from tracker.store.orders import Store

KEY = "sim-key-BalanceFix4Hq8Zr"
WRONG = "a-key-the-panel-refuses"
FIX = "fix the key in {place}, then {taken}; from cron, the next run reads it"


@pytest.fixture
def url():
    server = PanelServer(SimulatedPanel(key=KEY, seed=3)).start()
    try:
        yield server.url
    finally:
        server.stop()


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, field: str, value: str):
    install_units(tmp_path, monkeypatch, "system")  # as TAKEN says: systemctl
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("BAD_KEY", WRONG)
    (tmp_path / "bad-key").write_text(WRONG + "\n")
    (tmp_path / "bad-key").chmod(0o600)
    both = ["retries = 0", 'timeout = "5s"']
    config = ["[database]", 'path = "t.db"']
    config += ["[[panels]]", 'name = "main"', f'url = "{url}"', 'key_env = "SIM_KEY"', *both]
    config += ["[[panels]]", 'name = "sim"', f'url = "{url}"', f"{field} = {value}", *both]
    (tmp_path / "tracker.toml").write_text("\n".join(config) + "\n")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


PLACES = [
    ("key_env", '"BAD_KEY"', "panels[1].key_env (environment variable BAD_KEY)"),
    ("key_file", '"bad-key"', "panels[1].key_file (file {dir}/bad-key)"),
    ("key", f'"{WRONG}"', "panels[1].key (inline in config)"),
]


@pytest.mark.parametrize(("field", "value", "place"), PLACES)
def test_a_refused_keys_balance_notes_say_where_to_fix_it(
    url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field, value, place
) -> None:
    run = _cli(tmp_path, monkeypatch, url, field, value)
    assert run("run", "--once").exit_code == 1  # sim's key refused: auth_failed opens
    said = FIX.format(place=place.format(dir=tmp_path), taken=TAKEN[field])
    none_yet = run("balance", "--panel", "sim")  # refused from its first call
    assert none_yet.exit_code == 0 and none_yet.stdout == "", none_yet.output
    note = re.fullmatch(
        r"sim: no balance fetched yet \(the API key is refused since (\S+); (.*)\)\n",
        none_yet.stderr,
    )
    assert note is not None, none_yet.stderr
    assert note.group(2) == said

    store = Store(tmp_path / "t.db")  # a balance from before the key was refused
    record_balance(store, "sim", datetime(2026, 12, 1, 8, 0, tzinfo=UTC), Decimal("7.5"), "USD")
    store.close()
    shown = run("balance")
    assert shown.exit_code == 0 and "sim: 7.50 USD" in shown.stdout, shown.output
    note = re.fullmatch(
        r"\(sim: the API key is refused since (\S+): its balance is the last it gave; (.*)\)\n",
        shown.stderr,
    )
    assert note is not None, shown.stderr
    assert note.group(2) == said
    assert "doctor says why" not in shown.stderr and WRONG not in shown.output
    (panel,) = [
        p for p in json.loads(run("balance", "--json").stdout)["panels"] if p["panel"] == "sim"
    ]
    assert panel["panel"] == "sim" and panel["key_refused_since"] is not None  # as it was


def test_both_open_the_refused_key_is_fixed_first(
    url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _cli(tmp_path, monkeypatch, url, "key_env", '"BAD_KEY"')
    refused = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    unreachable = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert run("track", "--panel", "sim", "5").exit_code == 0
    store = Store(tmp_path / "t.db")
    save_episode(store, ("sim", "auth_failed", Episode(active=True, since=refused)))
    save_episode(store, ("sim", "panel_unreachable", Episode(active=True, since=unreachable)))
    store.close()
    both = (
        "the API key is refused since 2026-12-01T08:00:00+00:00, and every call has "
        "failed since 2026-12-01T09:00:00+00:00"
    )
    fix = "the refused key is the cause to fix first: " + FIX.format(
        place="panels[1].key_env (environment variable BAD_KEY)", taken=TAKEN["key_env"]
    )
    shown = run("balance", "--panel", "sim")
    assert shown.stderr == f"sim: no balance fetched yet ({both}; {fix})\n", shown.stderr
