"""``--database PATH`` on the read commands: the file named, with or without a
config (a kept demo, a backup, a copy), as `report` and `dashboard` take it."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from scorecard_world import build

import tracker.config.load as config_load
from tracker.cli.main import main
from tracker.store.orders import Store

READS = [
    ["orders", "--json"],
    ["orders", "--all"],
    ["refills", "--json"],
    ["refills", "--all"],
    ["alerts", "--json"],
    ["alerts"],
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    w, known = build(tmp_path_factory.mktemp("database-option"))
    assert w.jobs["balance:sim"].run()  # a balance reading for `balance`
    yield w, known
    w.close()


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    """A working directory with no tracker.toml, no $SMM_TRACKER_CONFIG and no
    system config: the user has only the database file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(config_load.ENV_VAR, raising=False)
    monkeypatch.setattr(config_load, "SYSTEM_CONFIG", tmp_path / "etc" / "config.toml")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_reads_a_copy_with_no_config_as_with_the_config(built, no_config, tmp_path, args):
    w, _ = built
    copy = tmp_path / "copy.db"
    with sqlite3.connect(w.store.path) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # what `smm-tracker backup` makes
    with_config = w.cli(*args)
    assert with_config.exit_code == 0, with_config.output
    alone = run(*args, "--database", str(copy))
    assert alone.exit_code == 0, alone.output
    assert alone.stdout == with_config.stdout and alone.stdout.strip()


def test_history_of_an_order_in_the_named_file(built, no_config):
    w, known = built
    oid = str(known.refilled)
    expected = w.cli("history", oid, "--json")
    assert expected.exit_code == 0, expected.output
    result = run("history", oid, "--database", str(w.store.path), "--json")
    assert result.exit_code == 0, result.output
    alone, configured = json.loads(result.stdout), json.loads(expected.stdout)
    # The next automatic refill is the config's refill round's: none without it.
    assert alone.pop("next_refill") == {
        "at": None,
        "expected": False,
        "why": "panel sim is not in the config (no refill round runs for it)",
    }
    assert configured.pop("next_refill")["expected"] is True
    assert alone == configured
    assert alone["transitions"]


def test_balance_lists_the_database_panels_without_a_threshold(built, no_config):
    w, _ = built
    result = run("balance", "--database", str(w.store.path), "--json")
    assert result.exit_code == 0, result.output
    (panel,) = json.loads(result.stdout)["panels"]
    configured = json.loads(w.cli("balance", "--json").stdout)["panels"][0]
    assert panel["panel"] == "sim" and panel["balance"] == configured["balance"]
    assert panel["configured"] is False and panel["low"] is None


def test_with_a_config_its_database_is_replaced(built, tmp_path):
    w, _ = built
    empty = tmp_path / "empty.db"
    Store(empty).close()
    # The config's own database has orders; the file named has none.
    result = w.cli("orders", "--json", "--database", str(empty))
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    result = w.cli("orders", "--json")
    assert json.loads(result.stdout)


def test_a_panel_it_holds_no_order_of_is_exit_2_naming_those_it_does(built, no_config):
    w, _ = built
    for command in ("orders", "alerts", "refills", "balance"):
        result = run(command, "--database", str(w.store.path), "--panel", "nope")
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"smm-tracker: --panel: no panel named 'nope' in {w.store.path} "
            "(its orders are on: sim)\n"
        )


@pytest.mark.parametrize("command", ["orders", "alerts", "refills", "balance"])
def test_no_file_there_is_one_line_and_exit_1(no_config, tmp_path, command):
    missing = tmp_path / "missing.db"
    result = run(command, "--database", str(missing))
    assert (result.exit_code, result.output) == (1, f"smm-tracker: no database at {missing}\n")
    assert not missing.exists()  # a read command creates nothing


def _takes_database(name: str) -> bool:
    import importlib

    from tracker.cli.command_table import COMMAND_MODULES

    importlib.import_module(f"tracker.cli.{COMMAND_MODULES[name]}")
    return any(param.name == "database" for param in main.commands[name].params)


WITH_DATABASE = ["orders", "history 5", "report", "refills", "balance", "alerts", "dashboard"]


@pytest.mark.parametrize("words", [*WITH_DATABASE, "services", "run --once", "track 5"])
def test_no_config_anywhere_says_the_database_option_where_a_command_takes_it(no_config, words):
    # `orders` with no config said "write one with smm-tracker init" alone: a
    # kept demo (or a backup) is read with --database PATH, with no config.
    args = words.split()
    if args[0] == "dashboard":
        pytest.importorskip("datasette")  # without it: "the dashboard needs Datasette"
    assert _takes_database(args[0]) == (words in WITH_DATABASE)  # the list is the truth
    result = run(*args)
    assert result.exit_code == 2
    line = result.output.removesuffix("\n")
    assert "\n" not in line
    assert line.startswith("smm-tracker: config: no config file found (tried ")
    assert "write one with smm-tracker init, or pass --config PATH" in line
    told = "; or read a database file with --database PATH (demo --keep DIR keeps DIR/demo.db)"
    assert line.endswith(told) == (words in WITH_DATABASE), line


def test_a_broken_config_at_the_default_place_is_still_said(built, no_config, tmp_path):
    w, _ = built
    (tmp_path / "tracker.toml").write_text("[database\n")
    result = run("orders", "--database", str(w.store.path))
    # Said (a note on stderr), and the file named read without it: a config
    # a reload refused must not keep the database from being read.
    assert result.exit_code == 0, result.output
    (note,) = result.stderr.splitlines()
    assert note.startswith("note: config ") and " not read: " in note
    assert note.endswith(f"; reading {w.store.path} without it")


def test_balance_of_a_named_file_lists_its_panels_beside_the_configured_ones(built, tmp_path):
    # A copy from another machine: its panels are not this config's. balance
    # listed the configured panel alone ("no balance fetched yet") and hid the
    # balance the file holds.
    w, _ = built
    config = tmp_path / "other.toml"
    config.write_text(
        f'[database]\npath = "{tmp_path / "mine.db"}"\n'
        '[[panels]]\nname = "mine"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "UNSET_KEY"\n'
    )
    result = run("--config", str(config), "balance", "--database", str(w.store.path), "--json")
    assert result.exit_code == 0, result.output
    mine, panel = json.loads(result.stdout)["panels"]  # "mine" has none: its figures null
    assert (mine["panel"], mine["balance"], mine["why_no_balance"]) == (
        "mine",
        None,
        "not_fetched_yet",
    )
    assert panel["panel"] == "sim" and panel["configured"] is False
    text = run("--config", str(config), "balance", "--database", str(w.store.path))
    assert text.stdout.startswith("sim: ")
    assert "mine: no balance fetched yet" in text.stderr


@pytest.mark.parametrize("command", ["orders", "report", "balance"])
def test_an_empty_file_is_said_empty_not_waiting_for_a_daemon(no_config, tmp_path, command):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = run(command, "--database", str(empty))
    assert (result.exit_code, result.output) == (
        1,
        f"smm-tracker: {empty} is empty: no database in it\n",
    )
    assert empty.stat().st_size == 0  # nothing made in it


def test_history_of_an_order_not_in_the_named_file_suggests_no_track(built, no_config):
    # `track` acts on the config's database, never on a copy named by
    # --database: its hint would add the order somewhere else, or fail.
    w, _ = built
    result = run("history", "999999", "--database", str(w.store.path))
    assert result.exit_code == 1
    assert result.output == f"smm-tracker: order 999999 is not in {w.store.path}\n"


def test_balance_of_a_file_read_with_no_config_blames_no_config_not_the_panel(built, no_config):
    # The demo's own hint (`balance ... --database DIR/demo.db`): there is no
    # config to leave the panel out of, and a threshold comes from a config.
    w, _ = built
    result = run("balance", "--database", str(w.store.path))
    assert result.exit_code == 0, result.output
    assert "  state:  no low-balance alert (no config read: no threshold)\n" in result.stdout
    assert "not in the config" not in result.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["history", "999999"], "smm-tracker: order 999999 is not in {}\n"),
        (["report"], "smm-tracker: no database at {}\n"),
        (["refills", "--order", "1"], "smm-tracker: no database at {}\n"),
    ],
)
def test_a_file_named_relative_is_said_in_full(built, no_config, tmp_path, args, said):
    # `history 1 --database kept/../copy.db` said "not in kept/../copy.db" and
    # `report` "no database at kept/../copy.db", where `orders` said the file
    # in full: a cron mail or a pasted line names no directory.
    w, _ = built
    (tmp_path / "kept").mkdir()
    copy = tmp_path / "copy.db"
    if args[0] == "history":
        with sqlite3.connect(w.store.path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
    result = run(*args, "--database", "kept/../copy.db")
    assert result.exit_code == 1 and result.output == said.format(copy)


def test_balance_of_a_file_with_balances_and_no_order_yet_lists_them(no_config, tmp_path):
    # A tracker that checked its balances but tracks no order yet (a backup
    # of a new install): with --database alone the panels were those with
    # orders, none, and `balance` printed nothing at all, exit 0, --json
    # "panels": [] beside the balance the file holds.
    from datetime import UTC, datetime
    from decimal import Decimal

    from tracker.store.alerts import record_balance

    path = tmp_path / "fresh.db"
    store = Store(path)
    record_balance(store, "main", datetime(2026, 12, 6, 9, tzinfo=UTC), Decimal("12.50"), "USD")
    store.close()
    listed = run("balance", "--database", str(path), "--json")
    assert listed.exit_code == 0, listed.output
    (panel,) = json.loads(listed.stdout)["panels"]
    assert (panel["panel"], panel["balance"], panel["configured"]) == ("main", 12.5, False)
    text = run("balance", "--database", str(path))
    assert text.stdout.startswith("main: 12.50 USD"), text.output
    empty = tmp_path / "empty.db"
    Store(empty).close()
    nothing = run("balance", "--database", str(empty))  # nothing at all: said, as every listing
    assert (nothing.exit_code, nothing.stdout) == (0, "")
    assert nothing.stderr == f"no balance fetched yet: {empty} holds no panel's balance\n"
