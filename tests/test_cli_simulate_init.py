"""simulate and init: the real command line, in a subprocess where it serves."""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from simconfig import SOURCE

from tracker.cli.main import main
from tracker.config.load import load_config

ROOT = Path(__file__).resolve().parent.parent


class Simulator:
    """``smm-tracker simulate`` in a subprocess, its stdout read line by line."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SMM_")}
        self.env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tracker", "simulate", "--port", "0", *args],
            cwd=cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, text: str, timeout: float = 20) -> list[str]:
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            if text in line:
                return seen

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, list[str]]:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        # The process's last lines may still be on their way through the
        # reader: read to the pipe's end before draining (on a loaded host
        # "simulated panel stopped" was missed, the queue still empty).
        self.reader.join(timeout=20)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return code, rest


def _cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_simulate_serves_writes_a_ready_config_and_stops_on_sigterm(tmp_path):
    sim = Simulator(tmp_path, "--speed", "0.2", "--config-out", "tracker.toml")
    try:
        head = sim.until("serving until Ctrl-C")
        text = "\n".join(head)
        url = re.search(r"simulated panel at (http://127\.0\.0\.1:\d+/api/v2)", text).group(1)
        key = re.search(r"^key: (\S+)$", text, re.M).group(1)
        assert f"export SMM_SIM_KEY={key}" in text
        seeded = [int(n) for n in re.search(r"already on it: ([\d, ]+)", text).group(1).split(",")]
        config = (tmp_path / "tracker.toml").read_text()
        assert f'url = "{url}"' in config and 'key_env = "SMM_SIM_KEY"' in config
        assert key not in config  # the key goes through the environment only

        env = {**sim.env, "SMM_SIM_KEY": key}
        assert _cli(tmp_path, env, "doctor").returncode == 0
        assert _cli(tmp_path, env, "track", *map(str, seeded[:2])).returncode == 0
        added = _cli(
            tmp_path, env, "add", "--service", "1", "--link", "https://x/y", "--quantity", "100"
        )
        assert added.returncode == 0, added.stderr
        assert int(added.stdout.strip()) == seeded[-1] + 1
        ran = _cli(tmp_path, env, "run", "--once")
        assert ran.returncode == 0, ran.stderr
        listed = _cli(tmp_path, env, "orders").stdout
        assert str(seeded[0]) in listed and added.stdout.strip() in listed
    finally:
        code, rest = sim.stop()
    assert code == 0 and "simulated panel stopped" in rest


def test_a_new_simulator_starts_past_the_orders_of_its_database(tmp_path):
    first = Simulator(tmp_path, "--speed", "0.2", "--key", "k-1", "--config-out", "tracker.toml")
    try:
        text = "\n".join(first.until("serving until Ctrl-C"))
        seeded = [int(n) for n in re.search(r"already on it: ([\d, ]+)", text).group(1).split(",")]
        env = {**first.env, "SMM_SIM_KEY": "k-1"}
        assert _cli(tmp_path, env, "track", *map(str, seeded)).returncode == 0
    finally:
        first.stop(signal.SIGINT)
    # Pointed at the same config (found as ./tracker.toml): IDs past the tracked ones.
    second = Simulator(tmp_path, env={"SMM_SIM_KEY": "k-2"})
    try:
        text = "\n".join(second.until("serving until Ctrl-C"))
        assert "key: k-2" in text  # --key defaults to $SMM_SIM_KEY
        again = [int(n) for n in re.search(r"already on it: ([\d, ]+)", text).group(1).split(",")]
        assert min(again) == max(seeded) + 1
    finally:
        second.stop()


def test_a_new_simulator_starts_its_refill_ids_past_those_of_its_database(tmp_path, monkeypatch):
    # Each simulator's refills were 12345, 12346...: restarted (another
    # --currency, README's way to practise a switch), its refill 12345 of a new
    # order was the ID of an old order's refill still open in the database.
    import sqlite3

    import tracker.sim.server

    asked: list[dict] = []

    def no_port(**kw):
        asked.append(kw)
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(tracker.sim.server, "PanelServer", no_port)
    monkeypatch.chdir(tmp_path)
    for name in ("SMM_TRACKER_CONFIG", "SMM_SIM_KEY"):
        monkeypatch.delenv(name, raising=False)
    args = ["simulate", "--port", "0", "--config-out", str(tmp_path / "tracker.toml")]
    CliRunner().invoke(main, args)
    with sqlite3.connect(tmp_path / "tracker.db") as db:  # as a tracker left it
        db.execute("CREATE TABLE orders (order_id INTEGER)")
        db.execute("CREATE TABLE refills (refill_id TEXT)")
        db.executemany(
            "INSERT INTO refills VALUES (?)", [("12345",), ("12371",), ("R-99999",), (None,)]
        )
    db.close()
    CliRunner().invoke(main, args)
    assert [kw["first_refill_id"] for kw in asked] == [12345, 12372]


def test_a_random_key_says_how_to_export_it_without_config_out(tmp_path):
    # Restarted without --config-out (the config exists), the simulator took a
    # new random key and printed it bare: the tracker's shell, holding the old
    # $SMM_SIM_KEY, got "Invalid API key" and auth_failed, with no word of why.
    sim = Simulator(tmp_path)
    try:
        text = "\n".join(sim.until("serving until Ctrl-C"))
        key = re.search(r"^key: (\S+)$", text, re.M).group(1)
        assert f"export SMM_SIM_KEY={key}" in text
    finally:
        sim.stop()
    given = Simulator(tmp_path, "--key", "k-given")
    try:
        assert "export SMM_SIM_KEY" not in "\n".join(given.until("serving until Ctrl-C"))
    finally:
        given.stop()


def test_simulate_names_the_config_written_in_full_for_the_other_shell(tmp_path):
    # It said `config written to tracker.toml` and `smm-tracker --config
    # tracker.toml doctor`: in the other shell, from another directory, that
    # line checked no file (init says its file in full, as every command does).
    (tmp_path / "try").mkdir()
    sim = Simulator(tmp_path / "try", "--key", "k-1", "--config-out", "../try/./tracker.toml")
    try:
        said = sim.until("serving until Ctrl-C")
        written = tmp_path / "try" / "tracker.toml"
        assert f"config written to {written}; in another shell:" in said
        assert f"  smm-tracker --config {written} doctor" in said
        env = {**sim.env, "SMM_SIM_KEY": "k-1"}
        checked = _cli(
            tmp_path, env, *shlex.split(said[said.index("  export SMM_SIM_KEY=k-1") + 1])[1:]
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"ok   config: {written} is valid (1 panel)" in checked.stdout
    finally:
        sim.stop()


def test_simulate_refuses_to_overwrite_a_config(tmp_path):
    (tmp_path / "tracker.toml").write_text("# mine\n")
    result = CliRunner().invoke(
        main, ["simulate", "--port", "0", "--config-out", str(tmp_path / "tracker.toml")]
    )
    assert result.exit_code == 2 and "already exists; not overwriting it" in result.output
    assert "leave --config-out out" in result.output  # what to do instead
    assert (tmp_path / "tracker.toml").read_text() == "# mine\n"


def test_the_config_out_it_will_not_overwrite_is_served_again_on_its_own_port(tmp_path):
    # ux181: the hint named the same --key but not the port: a simulator first
    # started with --port 0 did not fit its config restarted on the default port.
    from tracker.cli.simulate_config import config_text

    written = tmp_path / "tracker.toml"
    written.write_text(config_text("http://127.0.0.1:40123/api/v2"))
    result = CliRunner().invoke(main, ["simulate", "--config-out", str(written)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"smm-tracker: {written} already exists; not overwriting it (leave --config-out out to"
        " serve it again, with the same --port 40123 and --key (or $SMM_SIM_KEY))\n"
    )
    # A file it cannot read as a simulator's config: the port asked.
    for mine in (b"# mine\n", b"\xff[[panels]", b"[[panels]]\nname = 'sim'\nurl = 5\n"):
        written.write_bytes(mine)
        result = CliRunner().invoke(main, ["simulate", "--port", "0", "--config-out", str(written)])
        assert result.exit_code == 2, result.output
        assert "with the same --port 0 and --key (or $SMM_SIM_KEY))" in result.output, mine
        assert written.read_bytes() == mine


def test_a_config_out_that_cannot_be_written_is_said_before_the_panel_is_announced(
    tmp_path, monkeypatch
):
    # On a read-only mount it printed "simulated panel at ...", the key and
    # its orders as if serving, then failed, exit 1. No test mounts one: the
    # filesystem's answer to the write is faked.
    import errno

    target = tmp_path / "tracker.toml"
    real = Path.open

    def refused(self, *args, **kwargs):
        if self == target:
            raise OSError(errno.EROFS, "Read-only file system")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)
    result = CliRunner().invoke(main, ["simulate", "--port", "0", "--config-out", str(target)])
    assert result.exit_code == 1, result.output
    assert result.output == f"smm-tracker: cannot write {target}: Read-only file system\n"


def test_init_writes_the_example_config_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    runner = CliRunner()
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0 and f"wrote {tmp_path / 'tracker.toml'}" in first.output
    written = (tmp_path / "tracker.toml").read_text()
    assert written == (ROOT / "config.example.toml").read_text()
    assert load_config(None, {}, resolve_keys=False).panels  # a valid config as it is

    (tmp_path / "tracker.toml").write_text("# edited\n")
    again = runner.invoke(main, ["init"])
    assert again.exit_code == 2 and "already exists; not overwriting it" in again.output
    # What to do instead: another file, or the example on stdout to compare.
    assert "smm-tracker init PATH" in again.output and "smm-tracker init -" in again.output
    assert (tmp_path / "tracker.toml").read_text() == "# edited\n"

    assert runner.invoke(main, ["init", "etc/smm.toml"]).exit_code == 2
    named = runner.invoke(main, ["init", "other.toml"])
    assert named.exit_code == 0 and (tmp_path / "other.toml").read_text() == written


def test_doctor_on_the_config_init_wrote_says_its_url_is_the_placeholder(tmp_path, monkeypatch):
    # Walk: a new user who set the key but not the url was told "host
    # your-panel.example not found", as if their panel's DNS had failed.
    import socket

    def resolver(host: str, *args: object, **kwargs: object) -> object:  # no DNS in tests
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SMM_API_KEY", "a-key-set-by-the-user")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    said = runner.invoke(main, ["doctor"])
    assert said.exit_code == 1
    assert (
        "host your-panel.example not found (the example config's placeholder, not a panel): "
        "check the url of panel 'main'"
    ) in said.output


@pytest.mark.parametrize("umask", [0o077, 0o027, 0o022, 0o002], ids=oct)
def test_init_writes_a_config_the_units_own_user_can_read_whatever_the_umask(
    tmp_path, monkeypatch, umask
):
    # As root under umask 077 the config came out 0600: the unit's own user
    # (DynamicUser=) could not read it and the daemon failed at start. It
    # holds no secret (the key has its own file): 0644, as the README installs it.
    monkeypatch.chdir(tmp_path)
    previous = os.umask(umask)
    try:
        result = CliRunner().invoke(main, ["init", "config.toml"])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "config.toml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "config.toml").read_text() == (ROOT / "config.example.toml").read_text()


def test_init_elsewhere_says_the_doctor_that_checks_the_file_written(tmp_path, monkeypatch):
    # `init conf/x.toml` said "then run: smm-tracker doctor", which looks for
    # ./tracker.toml: "no config file found", or another file checked.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "conf").mkdir()
    runner = CliRunner()
    for path, then in [
        ("conf/x.toml", f"smm-tracker --config {tmp_path}/conf/x.toml doctor"),
        ("a b.toml", f"smm-tracker --config '{tmp_path}/a b.toml' doctor"),
        ("tracker.toml", "smm-tracker doctor"),  # read by default
        ("conf/y.toml", f"smm-tracker --config {tmp_path}/conf/y.toml doctor"),  # ./tracker.toml
    ]:
        said = runner.invoke(main, ["init", path])
        wrote = tmp_path / path  # absolute, as every command says a config path
        assert said.output == f"wrote {wrote}: set the panel's url and key, then run: {then}\n"
    monkeypatch.setenv("SMM_TRACKER_CONFIG", "conf/z.toml")  # named: doctor alone reads it
    said = runner.invoke(main, ["init", "conf/z.toml"]).output
    assert said.endswith("then run: smm-tracker doctor\n")


def test_init_says_the_file_written_without_its_dot_dot(tmp_path, monkeypatch):
    # `init conf/../x.toml` said "wrote conf/../x.toml", where every other
    # command says a config path as the file it is, absolute.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "conf").mkdir()
    runner = CliRunner()
    said = runner.invoke(main, ["init", "conf/../x.toml"])
    assert said.exit_code == 0 and (tmp_path / "x.toml").exists()
    then = f"smm-tracker --config {tmp_path}/x.toml doctor"
    assert said.output == (
        f"wrote {tmp_path}/x.toml: set the panel's url and key, then run: {then}\n"
    )
    # The command said runs as it is (its own path, from another directory).
    monkeypatch.chdir(tmp_path / "conf")
    doctor = runner.invoke(main, then.split()[1:])
    assert f"config: {tmp_path}/x.toml" in doctor.output
    again = runner.invoke(main, ["init", "../conf/../x.toml"])
    assert again.exit_code == 2
    assert again.output.startswith(f"smm-tracker: {tmp_path}/x.toml already exists;")


def test_the_example_configs_name_no_host_anyone_can_own(tmp_path, monkeypatch):
    """A config written by `init` (or copied from systemd/ or the README) with the
    key set and the url left as it is must not send the key to a stranger: its
    panel host is under a name reserved for examples (RFC 2606), which no one
    can register."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    written = load_config(None, {}, resolve_keys=False).panels[0].url
    readme = (ROOT / "README.md").read_text()
    minimum = readme.split("every other line here shows its default:", 1)[1].split("```", 2)[1]
    urls = [written, *re.findall(r'^url = "([^"]+)"', minimum, flags=re.MULTILINE)]
    urls += re.findall(r'^url = "([^"]+)"', (ROOT / "systemd/config.toml").read_text(), re.M)
    assert len(urls) == 3
    for url in urls:
        host = url.split("://", 1)[1].split("/", 1)[0]
        assert host.endswith((".example", ".invalid", ".test")), url


def test_init_dash_prints_the_example_instead_of_writing_a_file_named_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "-"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "config.example.toml").read_text()
    assert list(tmp_path.iterdir()) == []


def _refused_at_once(cwd: Path, *args: str) -> str:
    """Run ``simulate ARGS`` as a process; return its stderr once it exits 2,
    failing the test when it serves instead (it would until Ctrl-C)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMM_")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tracker", "simulate", "--port", "0", *args],
            capture_output=True,
            text=True,
            env={**env, "PYTHONPATH": SOURCE},
            cwd=cwd,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"simulate {' '.join(args)} served instead of refusing")
    assert done.returncode == 2 and done.stdout == "", done
    return done.stderr


def test_simulate_config_out_dash_is_refused_not_a_file_named_dash(tmp_path):
    stderr = _refused_at_once(tmp_path, "--config-out", "-")
    assert "--config-out -: name the file to write" in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["init", "simulate"])
def test_a_file_named_with_a_trailing_slash_is_refused_not_written(tmp_path, monkeypatch, command):
    # `init /etc/smm-tracker/` wrote a file named /etc/smm-tracker, where the
    # service install then makes that directory; `--config-out sim/` a file `sim`.
    monkeypatch.chdir(tmp_path)
    if command == "init":
        result = CliRunner().invoke(main, ["init", "conf/"])
        assert result.exit_code == 2
        said = result.output
    else:
        said = _refused_at_once(tmp_path, "--config-out", "conf/")
    assert "'conf/' ends in '/', a directory's name, and there is no such directory" in said
    assert "name the file to write" in said and len(said.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("quirk", "said"),
    [
        ("missing_actions=refil", "no action 'refil' (known: services, add, status,"),
        ("missing_actions=refill,cancle", "no action 'cancle'"),
        ("missing_actions=", "quirk missing_actions needs a value"),
    ],
)
def test_simulate_refuses_missing_actions_it_would_not_miss(tmp_path, quirk, said):
    # A typo left every action there, without a word.
    assert said in _refused_at_once(tmp_path, "--quirk", quirk)


@pytest.mark.parametrize(
    ("quirk", "said"),
    [
        ("notices=xml", "--quirk: notices: 'xml' is not one of: html, plain\n"),
        ("empty_catalogue=none", "--quirk: empty_catalogue: 'none' is not one of: error, list\n"),
        ("misfiled=ture", "--quirk: misfiled: 'ture' is not one of: 1, true, yes, on, 0, false"),
        ("rate_limit=ten", "--quirk: rate_limit: 'ten' is not a whole number from 0 to 1000000\n"),
        ("rate_limit", "--quirk: quirk rate_limit needs a value: rate_limit=N\n"),
    ],
)
def test_simulate_names_the_values_a_quirk_takes_in_a_users_words(tmp_path, quirk, said):
    # It answered "notices must be None or one of ('html', 'plain')": Python's words.
    assert _refused_at_once(tmp_path, "--quirk", quirk).startswith(f"smm-tracker: {said}")


@pytest.mark.parametrize("bad", ["", "two words"])
def test_simulate_refuses_a_bad_key(bad):
    result = CliRunner().invoke(main, ["simulate", "--port", "0", "--key", bad])
    assert result.exit_code == 2 and "--key" in result.output


def test_init_says_a_path_with_control_characters_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "t\x07\x1b[2J.toml"])
    assert result.exit_code == 0 and (tmp_path / "t\x07\x1b[2J.toml").exists()
    assert result.output.startswith(f"wrote {tmp_path}/t\\x07\\x1b[2J.toml: "), result.output


def test_simulate_help_lists_balance_among_the_actions_a_script_may_lack():
    # It listed missing_actions=refill,refill_status,cancel: balance, which a
    # script may lack as well (the tracker learns it), was left to be guessed.
    result = CliRunner().invoke(main, ["simulate", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "missing_actions=refill,refill_status,cancel,balance" in result.output, result.output


def test_the_written_config_s_comments_start_in_one_column():
    # key_env's comment started a column to the right of the others'.
    from tracker.cli.simulate_config import config_text

    text = config_text("http://127.0.0.1:8484/api/v2")
    columns = {line.index(" # ") for line in text.splitlines() if " # " in line}
    assert len(columns) == 1, text


def test_simulate_serves_another_currency_and_the_tracker_keeps_it(tmp_path):
    # A reseller paying in EUR practises on a panel that answers in EUR:
    # balance and charges say it, report never adds it to USD.
    sim = Simulator(tmp_path, "--speed", "0.2", "--config-out", "tracker.toml", "--currency", "eur")
    try:
        text = "\n".join(sim.until("serving until Ctrl-C"))
        key = re.search(r"^key: (\S+)$", text, re.M).group(1)
        env = {**sim.env, "SMM_SIM_KEY": key}
        added = _cli(
            tmp_path, env, "add", "--service", "1", "--link", "https://x/y", "--quantity", "100"
        )
        assert added.returncode == 0, added.stderr
        assert _cli(tmp_path, env, "run", "--once").returncode == 0
        balance = json.loads(_cli(tmp_path, env, "balance", "--json").stdout)
        orders = json.loads(_cli(tmp_path, env, "orders", "--json").stdout)
    finally:
        sim.stop()
    assert [row["currency"] for row in balance["panels"]] == ["EUR"]
    assert [row["currency"] for row in orders] == ["EUR"]


@pytest.mark.parametrize("bad", ["EU", "TETHER", "E1R", "", " ", "x" * 41 + "$", "$\x1b"])
def test_simulate_refuses_a_currency_that_is_no_code(bad):
    result = CliRunner().invoke(main, ["simulate", "--port", "0", "--currency", bad])
    assert result.exit_code == 2
    assert result.output.startswith(
        "smm-tracker: --currency must be a code of 3 to 5 letters (USD, EUR, RUB, USDT...), or a "
        "panel's own label with a sign or a letter beyond ASCII in it ($, ₽, руб), up to 40 "
        "characters\n"
    ), result.output


@pytest.mark.parametrize("label", ["$", "₽", "руб", "US Dollar", "€UR"])
def test_simulate_answers_a_panels_own_label_as_the_cap_takes_it(label, monkeypatch):
    # automation.daily_cap_currency takes the label a panel names its
    # currency by ("$"), and the cap holds for it; --currency refused "$",
    # so that could not be practised.
    import tracker.sim.server

    asked = {}

    def no_port(**kw):
        asked.update(kw)
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(tracker.sim.server, "PanelServer", no_port)
    result = CliRunner().invoke(main, ["simulate", "--port", "0", "--currency", f" {label} "])
    assert "--currency" not in result.output and "cannot listen" in result.output
    assert asked["currency"] == label  # as written, blanks around it aside


@pytest.mark.parametrize(("code", "served"), [("usdt", "USDT"), ("Usdc", "USDC"), ("EURO", "EURO")])
def test_simulate_takes_a_currency_of_up_to_five_letters_as_the_cap_does(code, served, monkeypatch):
    # automation.daily_cap_currency takes USDT (a panel taking crypto);
    # --currency took three letters only, so such a panel could not be tried.
    import tracker.sim.server

    asked = {}

    def no_port(**kw):
        asked.update(kw)
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(tracker.sim.server, "PanelServer", no_port)
    result = CliRunner().invoke(main, ["simulate", "--port", "0", "--currency", code])
    assert "--currency" not in result.output and "cannot listen" in result.output
    assert asked["currency"] == served


def test_simulate_says_the_currency_it_answers_in_and_its_quirks(tmp_path):
    # Restarted with --currency RUB, its start-up text read as before: a user
    # could not tell which currency it answered in, nor which quirks it had.
    sim = Simulator(
        tmp_path, "--currency", "rub", "--quirk", "notices=html", "--quirk", "drops=0.2"
    )
    try:
        lines = sim.until("serving until Ctrl-C")
    finally:
        sim.stop()
    assert "currency: RUB (its balance and charges)" in lines
    assert "quirks: notices=html, drops=0.2" in lines
    plain = Simulator(tmp_path)
    try:
        lines = plain.until("serving until Ctrl-C")
    finally:
        plain.stop()
    assert "currency: USD (its balance and charges)" in lines and "quirks: none" in lines


def test_simulate_without_config_out_prints_the_panel_entry_to_paste(tmp_path):
    # A second or third simulated panel beside a config of one's own: the
    # `[[panels]]` entry was left to be written from the README's prose.
    sim = Simulator(tmp_path, "--key", "k-1")
    try:
        text = "\n".join(sim.until("serving until Ctrl-C"))
    finally:
        sim.stop()
    url = re.search(r"^simulated panel at (\S+)$", text, re.M).group(1)
    block = text.split("to track it from a config of your own, add:\n", 1)[1]
    block = block.split("\nserving until Ctrl-C", 1)[0]
    [panel] = tomllib.loads(textwrap.dedent(block))["panels"]
    assert panel == {"name": "sim", "url": url, "key_env": "SMM_SIM_KEY", "timeout": "10s"}
