"""The notes of ``orders`` and ``balance`` of a refused key, and a command's
line of a migration left to the daemon's restart, name what restarts or
reloads the daemon as fits what is installed, as ``doctor`` says it: the
system unit's systemctl, ``systemctl --user`` for a user unit, and with no
smm-tracker.service installed (a ``run`` in a terminal, cron's ``run
--once``), no systemctl at all. They said ``systemctl restart
smm-tracker`` whatever was installed: a command that fails with no unit,
and addresses the wrong manager for a user unit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from key_fixes import TAKEN, install_units
from test_upgrade import old_database

from tracker.cli.main import main
from tracker.service.lock import DatabaseLock
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.schema import MIGRATIONS

KEY = "sim-key-UnitNotes5Kd8Pz"
WRONG = "a-key-the-panel-refuses"
PLACE = "panels[1].key_env (environment variable BAD_KEY)"
USER = "`systemctl --user restart smm-tracker`"
NO_UNIT_KEY_ENV = (
    "a restart of `smm-tracker run` where it runs, from a shell that has the variable "
    "set (its environment is read at its start only)"
)
NO_UNIT_KEY = (
    "a reload of `smm-tracker run` where it runs (`kill -HUP` its PID: it reads the config again)"
)


@pytest.fixture
def refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A config whose panel "sim" the panel refuses the key of, after a
    ``run --once`` (auth_failed open): returns run(*args)."""
    server = PanelServer(SimulatedPanel(key=KEY, seed=3)).start()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("BAD_KEY", WRONG)
    both = ["retries = 0", 'timeout = "5s"']
    config = ["[database]", 'path = "t.db"']
    config += ["[[panels]]", 'name = "main"', f'url = "{server.url}"', 'key_env = "SIM_KEY"']
    config += [*both, "[[panels]]", 'name = "sim"', f'url = "{server.url}"']
    config += ['key_env = "BAD_KEY"', *both]
    (tmp_path / "tracker.toml").write_text("\n".join(config) + "\n")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    try:
        assert run("track", "--panel", "sim", "5").exit_code == 0
        assert run("run", "--once").exit_code == 1  # the key refused: auth_failed opens
        yield run
    finally:
        server.stop()


# Each command's note of the refused key, up to its fix: the key's place, what takes it.
NOTES = {
    "orders": r"\(sim: the API key is refused since \S+: its statuses are the last it gave; ",
    "balance": r"sim: no balance fetched yet \(the API key is refused since \S+; ",
}


def _fix(run, command: str) -> str:
    """What the command's note says has the daemon take the fixed key."""
    shown = run(command, "--panel", "sim")
    assert shown.exit_code == 0, shown.output
    note = re.fullmatch(
        NOTES[command] + r"fix the key in (.*), then (.*); from cron, the next run reads it\)\n",
        shown.stderr,
    )
    assert note is not None, shown.stderr
    assert note.group(1) == PLACE and WRONG not in shown.output
    return note.group(2)


def _orders_fix(run) -> str:
    return _fix(run, "orders")


def _balance_fix(run) -> str:
    return _fix(run, "balance")


def test_without_a_unit_the_notes_name_no_systemctl(refused, tmp_path, monkeypatch) -> None:
    # A `run` in tmux or cron's `run --once`: `systemctl restart
    # smm-tracker` fails there ("Unit smm-tracker.service not found").
    install_units(tmp_path, monkeypatch)
    assert _orders_fix(refused) == NO_UNIT_KEY_ENV
    assert _balance_fix(refused) == NO_UNIT_KEY_ENV


def test_a_key_in_the_config_without_a_unit_is_reloaded_by_a_sighup(
    refused, tmp_path, monkeypatch
) -> None:
    install_units(tmp_path, monkeypatch)
    config = (tmp_path / "tracker.toml").read_text()
    (tmp_path / "tracker.toml").write_text(
        config.replace('key_env = "BAD_KEY"', f'key = "{WRONG}"')
    )
    listed = refused("orders")
    assert listed.stderr.endswith(f"then {NO_UNIT_KEY}; from cron, the next run reads it)\n")
    assert "systemctl" not in listed.stderr and WRONG not in listed.output
    shown = refused("balance", "--panel", "sim")
    assert shown.stderr.endswith(f"then {NO_UNIT_KEY}; from cron, the next run reads it)\n")


def test_a_user_unit_is_restarted_by_the_user_manager(refused, tmp_path, monkeypatch) -> None:
    install_units(tmp_path, monkeypatch, "user")
    taken = TAKEN["key_env"].replace("`systemctl restart smm-tracker`", USER)
    assert _orders_fix(refused) == taken
    assert _balance_fix(refused) == taken


def test_a_system_unit_is_restarted_by_systemctl(refused, tmp_path, monkeypatch) -> None:
    install_units(tmp_path, monkeypatch, "system")
    assert _orders_fix(refused) == TAKEN["key_env"]
    assert _balance_fix(refused) == TAKEN["key_env"]


def test_both_units_installed_both_are_named(refused, tmp_path, monkeypatch) -> None:
    install_units(tmp_path, monkeypatch, "system", "user")
    assert _orders_fix(refused).startswith(
        f"`systemctl restart smm-tracker` or {USER}, whichever runs it (its environment"
    )


LAST = MIGRATIONS[-1]  # the one migration the version before this one lacks


@pytest.mark.parametrize(
    ("managers", "restart"),
    [
        (
            (),
            "no smm-tracker.service installed: stop `smm-tracker run` where it runs and "
            "start it again",
        ),
        (("user",), USER),
        (("system",), "`systemctl restart smm-tracker`"),
    ],
)
def test_a_migration_left_to_the_daemon_names_its_restart(
    tmp_path, monkeypatch, managers, restart
) -> None:
    install_units(tmp_path, monkeypatch, *managers)
    said = migration_note(tmp_path)
    assert f"Restart it ({restart}), which applies them, then run this again" in said
    if not managers:
        assert "systemctl" not in said


def migration_note(tmp_path: Path) -> str:
    """What ``orders`` says (stderr) of a database one migration behind, the
    older daemon holding it (this process's lock) not having applied it."""
    path = tmp_path / "tracker.db"
    old_database(path, LAST)
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "tracker.db"\n\n'
        '[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k3y"\n'
    )
    with DatabaseLock(path):  # the older daemon, still running after `pip install --upgrade`
        result = CliRunner().invoke(main, ["--config", str(config), "orders"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    return result.stderr


def test_the_unit_path_for_tests_names_the_user_managers_after_a_semicolon() -> None:
    from tracker.rules.unit_stop import search_paths

    assert search_paths({"SMM_TRACKER_UNIT_PATH": "/a:/b;/c"}) == [
        [Path("/a"), Path("/b")],
        [Path("/c")],
    ]
    assert search_paths({"SMM_TRACKER_UNIT_PATH": "/a:/b"}) == [[Path("/a"), Path("/b")]]


def _units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system: dict[str, str]) -> None:
    """The system manager's unit directories, first found first, as
    {name: what its smm-tracker.service links to ("": a unit file)}; the
    user manager's empty."""
    directories = []
    for name, target in system.items():
        directory = tmp_path / "units" / name
        directory.mkdir(parents=True)
        unit = directory / "smm-tracker.service"
        unit.symlink_to(target) if target else unit.write_text("[Service]\n")
        directories.append(str(directory))
    (tmp_path / "units" / "user").mkdir(parents=True, exist_ok=True)
    path = ":".join(directories) + ";" + str(tmp_path / "units" / "user")
    monkeypatch.setenv("SMM_TRACKER_UNIT_PATH", path)


@pytest.mark.parametrize(
    "system",
    [
        {"etc": "/dev/null"},  # `systemctl mask smm-tracker`
        {"etc": "/dev/null", "lib": ""},  # masked: the packaged unit under it not started
        {"etc": "/nowhere/smm-tracker.service"},  # a dangling link: "Unit ... not found"
    ],
)
def test_a_masked_unit_is_not_one_to_restart(refused, tmp_path, monkeypatch, system) -> None:
    # `systemctl restart smm-tracker` fails on a masked unit ("Unit
    # smm-tracker.service is masked"): the daemon is a `run` where it runs.
    _units(tmp_path, monkeypatch, system)
    assert _orders_fix(refused) == NO_UNIT_KEY_ENV
    assert _balance_fix(refused) == NO_UNIT_KEY_ENV
    shown = refused("doctor")
    assert f"then {NO_UNIT_KEY_ENV}; from cron" in shown.output, shown.output
