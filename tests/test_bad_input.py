"""Bad input through the real CLI: one line naming the problem, exit code 2,
no traceback, and nothing already stored is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from simconfig import SOURCE, cli_process

from tracker.cli.main import main

KEY = "bad-input-key-Hq4Vn8Tz"
KEY_LINE = 'key_env = "BAD_INPUT_KEY"'
CONFIG = """
[database]
path = "{db}"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
{key}
timeout = "1s"
retries = 0
"""


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("BAD_INPUT_KEY", KEY)
    write_config(tmp_path / "tracker.toml")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        # catch_exceptions=False: an exception the CLI lets through fails the test.
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    assert invoke("track", "101", "102").exit_code == 0  # already stored, must survive
    yield invoke
    listed = json.loads(invoke("orders", "--json").output)
    assert sorted(r["order_id"] for r in listed) == [101, 102]


def write_config(path, db="t.db", key=KEY_LINE):
    path.write_text(CONFIG.format(db=db, key=key))
    return str(path)


def one_line(result, *phrases: str) -> str:
    """Assert the result is a usage failure shown as one line; return the line."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("smm-tracker: ")
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    assert "Traceback" not in result.output and KEY not in result.output
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("track", "abc"),
        ("track", "12x"),
        ("track", "1.5"),
        ("track", "--", "-5"),
        ("track", "0"),
        ("track", "99999999999999999999"),
        ("history", "x1"),
    ],
)
def test_non_numeric_order_ids(cli, args):
    one_line(cli(*args), "not an order ID", repr(args[-1]))


def test_non_numeric_order_id_on_stdin_names_it(cli):
    one_line(cli("track", "-", input="103\nfoo 104\n"), "'foo'")
    # Nothing of the bad batch was tracked: the whole line is refused at once.
    assert "103" not in cli("orders").output


def test_bytes_on_stdin_that_are_not_utf8_are_named_as_the_bytes_they_are(tmp_path):
    # A list saved as Windows-1252 or UTF-16: its bytes were named as Python's
    # surrogates ('\udcff\udcfe7'), which no user recognises.
    write_config(tmp_path / "tracker.toml")
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "track", "-"],
        input=b"\xff\xfe7\n",
        capture_output=True,
        env={**os.environ, "BAD_INPUT_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.rstrip().endswith(b": '\\xff\\xfe7'"), done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "0"),
        ("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "-5"),
        ("track", "--quantity", "0", "7"),
        ("track", "--quantity", "-3", "7"),
    ],
)
def test_zero_or_negative_quantity(cli, args):
    one_line(cli(*args), "--quantity", args[args.index("--quantity") + 1])


@pytest.mark.parametrize(
    "args",
    [
        ("track", "--panel", "nope", "1"),
        ("orders", "--panel", "nope"),
        ("run", "--once", "--panel", "nope"),
        ("add", "--panel", "nope", "--service", "1", "--link", "https://x.test/p"),
    ],
)
def test_unknown_panel_name(cli, args):
    # The option's mistake, said as the option's: it began "config:", which
    # sent the user to the config file for a --panel mistyped.
    line = one_line(cli(*args), "no panel named 'nope'", "configured: main")
    assert line.startswith("smm-tracker: --panel: no panel named 'nope'"), line


PASTED = "x" * 10_000


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("orders", "--status", PASTED), "unknown status"),
        (("refills", "--status", PASTED), "unknown status"),
        (("orders", "--panel", PASTED), "no panel named"),
        (("orders", "--" + PASTED), "No such option"),
        (("orders", f"--{PASTED}={PASTED}"), "No such option"),
        (("orders", PASTED), "Got unexpected extra argument"),
        (("orders", "--json", PASTED, "5"), "Got unexpected extra arguments"),
        (("--log-level", PASTED, "orders"), "Invalid value for '--log-level'"),
        ((PASTED,), "No such command"),
        (("report", "--since", PASTED), "is not a duration"),
        (("track", "1", "--link", "ok", "--reason" + PASTED), "No such option"),
    ],
)
def test_a_pasted_value_is_said_cut(cli, args, phrase):
    line = one_line(cli(*args), phrase, "xxx…")
    assert "x" * 60 not in line and len(line) < 400, len(line)


def test_click_says_control_characters_escaped(cli):
    line = one_line(cli("orders", "a\nb", "\x1b[31mred"), "Got unexpected extra arguments")
    assert "a\\nb \\x1b[31mred" in line and "\x1b" not in line


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda p: p.mkdir(), "Is a directory"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00key"), "not UTF-8"),
        (lambda p: None, "does not exist"),
        (lambda p: p.write_text("two words\n"), "only the key"),
        # Opened without blocking and checked before reading: no hang, no 1 GB read.
        (lambda p: os.mkfifo(p), "Is a FIFO"),
        (lambda p: p.symlink_to("/dev/zero"), "Is a character device"),
        (lambda p: p.write_text("k" * 5000), "at most 4096 bytes"),
    ],
    ids=["directory", "binary", "missing", "two-words", "fifo", "dev-zero", "too-large"],
)
def test_unreadable_key_file(cli, tmp_path, make, phrase):
    make(tmp_path / "panel.key")
    config = write_config(tmp_path / "k.toml", key='key_file = "panel.key"')
    for args in (("run", "--once"), ("add", "--service", "1", "--link", "https://x.test/p")):
        one_line(cli("--config", config, *args), "panels[0].key_file", phrase)
    # Commands that need no key still work with the same config.
    assert cli("--config", config, "orders").exit_code == 0


@pytest.mark.parametrize(
    "text",
    ["[database\npath = 1\n", 'path = "unterminated\n', "[[panels]]\nname = \n", "\xff"],
)
def test_malformed_toml(cli, tmp_path, text):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(text.encode("latin-1"))
    for args in (("orders",), ("run", "--once"), ("track", "5")):
        one_line(cli("--config", str(bad), *args), "bad.toml", "invalid TOML")


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("[[panels]]\nname = main\n", "write text in double quotes"),
        (f"[[panels]]\nkey = {KEY}\n", "write text in double quotes"),
        ("[schedule]\nstatus_every = 5m\n", "write text in double quotes"),
        ('[schedule]\nstatus_every = "5m"\nstatus_every = "1m"\n', "a key set twice"),
        ("[schedule]\n[database]\n[schedule]\n", "[schedule] written twice"),
    ],
)
def test_common_toml_slips_say_their_fix(cli, tmp_path, text, fix):
    """The slips a person makes writing TOML by hand (text without quotes, a
    key or table pasted twice) say what to write, not tomllib's words alone;
    the line itself is never said back (it may be a key)."""
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    line = one_line(cli("--config", str(bad), "orders"), "bad.toml", "invalid TOML", "at line", fix)
    assert KEY not in line


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 1000 + "]" * 1000,  # tomllib's RecursionError, at any stack depth
        '[database]\npath = "t.db"\nx = ' + "{a=" * 330 + "1" + "}" * 330,
        '[database]\npath = "t.db"\nx = ' + "[" * 100 + "]" * 100,  # parsed, then refused
    ],
)
def test_deeply_nested_toml_is_one_line(cli, tmp_path, text):
    deep = tmp_path / "deep.toml"
    deep.write_text(text)
    for args in (("orders",), ("run", "--once"), ("track", "5"), ("doctor",)):
        result = cli("--config", str(deep), *args)
        if args == ("doctor",):  # doctor reports the config as a failed check
            assert result.exit_code == 1 and "Traceback" not in result.output
            assert f"FAIL config: {deep}: invalid TOML: nested too deeply" in result.output
        else:
            line = one_line(result, f"config: {deep}: invalid TOML: nested too deeply")
            assert line.endswith("nested too deeply")


@pytest.mark.parametrize("args", [("orders",), ("track", "5"), ("run", "--once"), ("history", "1")])
def test_database_in_a_missing_directory(cli, tmp_path, args):
    config = write_config(tmp_path / "m.toml", db="missing/dir/t.db")
    line = one_line(cli("--config", config, *args), "database.path", "does not exist")
    assert str(tmp_path / "missing" / "dir") in line
    assert not (tmp_path / "missing").exists()  # nothing created behind the user's back


@pytest.mark.parametrize(
    "args",
    [("orders",), ("track", "5"), ("run", "--once"), ("history", "1"), ("backup", "copy.db")],
)
def test_a_database_path_that_is_a_directory(cli, tmp_path, args):
    # `path = "/var/lib/smm-tracker"`: the directory named, not the file in it.
    (tmp_path / "state").mkdir()
    config = write_config(tmp_path / "d.toml", db="state")
    line = one_line(cli("--config", config, *args), "database.path", "is a directory")
    assert str(tmp_path / "state" / "tracker.db") in line  # what to write instead
    assert list((tmp_path / "state").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code"), [(("orders",), 2), (("track", "5"), 2), (("doctor",), 1)]
)
def test_a_database_path_that_is_a_fifo_is_said_not_waited_on(tmp_path, args, code):
    # SQLite opened it and waited for a writer: `orders` and `doctor` hung for
    # good, `track` said "disk I/O error".
    os.mkfifo(tmp_path / "t.db")
    config = write_config(tmp_path / "f.toml")
    env = {"BAD_INPUT_KEY": KEY}
    done = cli_process(tmp_path, ["--config", config, *args], stdout=subprocess.PIPE, env=env)
    assert done.returncode == code, done.stderr
    said = f"{tmp_path / 't.db'} is a FIFO, not a file: name the database file"
    assert said in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_config_saved_with_a_byte_order_mark_is_read(cli, tmp_path):
    # Windows editors (Notepad) save UTF-8 with a BOM; tomllib refuses it as
    # "Invalid statement (at line 1, column 1)", which names nothing.
    config = tmp_path / "bom.toml"
    config.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "tracker.toml").read_bytes())
    result = cli("--config", str(config), "orders")
    assert result.exit_code == 0, result.output
    assert "101" in result.output


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    # The real entry point, in its own process: what a shell or systemd sees.
    config = write_config(tmp_path / "m.toml", db="missing/t.db")
    env = {**os.environ, "BAD_INPUT_KEY": KEY}
    for args in (["--config", config, "run", "--once"], ["add", "--quantity", "-1"]):
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("alerts", "--since", "99999999999d"),
        ("automation", "--since", "99999999999d"),
        ("report", "--since", "999999999999999d"),
        ("report", "--since", "99999999d"),  # past year 1: no date to start from
    ],
)
def test_absurd_since_is_refused(cli, args):
    one_line(cli(*args), "--since", repr(args[-1]), "longer than 100 years")


def test_a_boolean_duration_is_named_as_toml_spells_it(cli, tmp_path):
    config = tmp_path / "b.toml"
    config.write_text(
        CONFIG.format(db="t.db", key='key_env = "BAD_INPUT_KEY"').replace('"1s"', "true")
    )
    one_line(cli("--config", str(config), "orders"), "timeout", "true is not a duration")


@pytest.mark.parametrize("args", [["unit"], ["orders"], ["orders", "--json"], ["--help"]])
def test_a_full_disk_under_the_output_is_one_line(cli, tmp_path, args):
    # A real process writing to /dev/full: every write fails with ENOSPC.
    with open("/dev/full", "w") as full:
        done = cli_process(tmp_path, args, stdout=full, env={"BAD_INPUT_KEY": KEY})
    assert done.returncode == 1
    assert done.stderr == "smm-tracker: cannot write the output: No space left on device\n"


def test_an_empty_config_option_is_an_error_not_the_default_file(cli, monkeypatch):
    one_line(cli("--config", "", "orders"), "--config is empty")
    one_line(cli("orders", "--config="), "--config is empty")
    # An empty variable counts as unset: ./tracker.toml is used.
    monkeypatch.setenv("SMM_TRACKER_CONFIG", "")
    assert cli("orders").exit_code == 0


@pytest.mark.parametrize("args", [("track", "-5"), ("history", "-1"), ("untrack", "-7")])
def test_a_negative_order_id_gets_a_hint(cli, args):
    one_line(cli(*args), f"No such option '{args[1]}'", "Order IDs are positive whole numbers")


@pytest.mark.parametrize(
    "args",
    [
        ("track", "5", "--link"),
        ("untrack", "5", "--reason"),
        ("orders", "--limit"),
        ("alerts", "--since"),
        ("refills", "--status"),
    ],
)
def test_an_option_without_its_value_points_at_its_commands_help(cli, args):
    # It pointed at the program's help, which does not list the option.
    line = one_line(cli(*args), f"Option '{args[-1]}' requires an argument.")
    assert line.endswith(f" {args[0]} --help')"), line


def test_track_names_the_largest_order_id(cli):
    one_line(cli("track", str(2**63 - 1)), "from 1 to 999999999999999999", repr(str(2**63 - 1)))


def test_init_with_an_empty_path_says_so(cli, tmp_path):
    one_line(cli("init", ""), "PATH is empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db", "tracker.toml"]


# A byte that is not UTF-8 on the command line reaches click as a lone
# surrogate (b"\xff" -> "\udcff"): SQLite, JSON and the panel's form refuse it.
NOT_UTF8 = "\udcff"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("track", "600002", "--link", NOT_UTF8), "--link"),
        (("untrack", "101", "--reason", f"bad{NOT_UTF8}"), "--reason"),
        (("add", "--service", "1", "--link", f"https://ex/{NOT_UTF8}"), "--link"),
        (("add", "--service", "1", "--link", "x", "--comments", "a", "--comments", NOT_UTF8), ""),
    ],
)
def test_text_that_is_not_utf8_is_one_line(cli, args, option):
    line = one_line(cli(*args), option or "--comments", "is not UTF-8 text")
    assert repr(args[-1]).replace("\\udcff", "\\xff") in line  # the byte it was
    assert "not polled" not in cli("history", "101").output  # untrack stopped nothing


def _text_options() -> list[tuple[str, str]]:
    found = []
    for name in main.list_commands(None):  # type: ignore[arg-type]
        command = main.get_command(None, name)  # type: ignore[arg-type]
        for param in command.params:
            if isinstance(param, click.Option) and type(param.type) is click.types.StringParamType:
                found.append((name, max(param.opts, key=len)))
    return found


# What a command needs besides the option to get as far as reading it.
NEEDS = {"add": ["--service", "1"], "history": ["1"], "refill": ["1"]}
NEEDS["prune"] = ["--older-than", "365d"]
NEEDS |= {name: ["1"] for name in ("track", "untrack", "cancel")}


@pytest.mark.parametrize(("command", "option"), _text_options())
def test_every_text_option_refuses_bytes_that_are_not_utf8(cli, command, option):
    result = cli(command, *NEEDS.get(command, []), option, f"x{NOT_UTF8}")
    one_line(result, f"{option}: 'x\\xff' is not UTF-8 text")  # the byte, not "\\udcff"


def test_bytes_that_are_not_utf8_from_a_shell(tmp_path):
    # The real entry point, with the raw byte in argv as a shell passes it.
    write_config(tmp_path / "tracker.toml")
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "track", "600002", "--link", b"https://ex/\xff"],
        capture_output=True,
        env={**os.environ, "BAD_INPUT_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(b"smm-tracker: --link: 'https://ex/\\xff' is not UTF-8 text")
    assert done.stdout == b"" and done.stderr.count(b"\n") == 1


@pytest.mark.parametrize(
    "args",
    [("history", "101 102"), ("history", "101,102"), ("refill", "101 102"), ("refill", "101,102")],
)
def test_a_command_of_one_order_refuses_an_argument_naming_several(cli, args):
    # `refill "101 102"` asked for a refill of 101 alone, and said nothing of 102.
    one_line(cli(*args), "one order ID expected, got 2: 101, 102")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("history", ""), "smm-tracker: no order ID given"),
        (("history", " , "), "smm-tracker: no order ID given"),
        (("refill", ""), "smm-tracker: no order ID given"),
        (("refills", "--order", ""), "smm-tracker: --order: no order ID given"),
    ],
)
def test_a_command_of_one_order_given_none_says_one(cli, args, said):
    # Walk: `history ''` said "no order IDs given", as if it took several.
    assert one_line(cli(*args)) == said


def test_history_on_stdin_takes_one_order(cli):
    one_line(cli("history", "-", input="101\n102\n"), "one order ID expected, got 2")
    assert cli("history", "-", input="101\n").output.startswith("main #101:")


@pytest.mark.parametrize("value", ["+101", "1_01", "101.0", " +101", "101 102", ""])
def test_refills_order_reads_an_id_as_every_order_argument_does(cli, value):
    # click's int took "+101" and "1_01" (as 101) where history refuses them.
    one_line(cli("refills", "--order", value), "--order: ")
    assert cli("refills", "--order", "101").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("orders",),
        ("history", "101"),
        ("refills",),
        ("balance",),
        ("alerts",),
        ("automation",),
        ("services",),
        ("refill", "101"),
        ("track", "103"),
        ("report",),
    ],
)
def test_an_empty_panel_is_refused_by_every_command(cli, args):
    # `--panel "$UNSET"` listed every panel (and `refill` sent) where track refused it.
    one_line(cli(*args, "--panel", ""), "--panel is empty")


@pytest.mark.parametrize("command", ["alerts", "automation", "report"])
@pytest.mark.parametrize("since", ["0d", "0s", "0h0m"])
def test_an_empty_since_window_is_refused_alike(cli, command, since):
    # alerts and automation answered "no alerts in the last 0d", where report refused it.
    one_line(cli(command, "--since", since), "--since: must be longer than 0s")


@pytest.mark.parametrize("command", ["alerts", "automation", "report"])
def test_since_reads_weeks_and_says_how_to_write_a_year(cli, command):
    # `--since 2w` was refused as not a duration; `--since 1y` too, without
    # saying what to write instead.
    assert cli(command, "--since", "2w").exit_code == 0
    one_line(
        cli(command, "--since", "1y"),
        "--since: '1y' is not a duration",
        'a year has no fixed length, so write days ("365d")',
    )
    one_line(cli(command, "--since", "3mo"), 'a month has no fixed length, so write days ("90d")')


@pytest.mark.parametrize("link", ["", "   "])
def test_track_refuses_an_empty_link(cli, link):
    # Stored as the link, it then kept the real one out ("stored link is , given ...").
    one_line(cli("track", "101", "--link", link), "--link is empty")
    one_line(cli("track", "103", "--link", link), "--link is empty")
    assert "103" not in cli("orders").output
    result = cli("track", "101", "--link", "https://x.test/p")
    assert "link https://x.test/p filled in" in result.output


@pytest.mark.parametrize(
    "link",
    ["https://x.test/p\nhttps://x.test/q", "https://x.test/\x1b[2~p", "https://x.test/\u202ep"],
)
def test_track_refuses_a_link_holding_a_control_character_as_add_does(cli, link):
    # Stored, the re-order of a Partial (automation.reorder) sent it: an order
    # paid for a link no one can open, which `add` refuses to send.
    one_line(cli("track", "103", "--link", link), "--link holds a control character (\\")
    assert "103" not in cli("orders").output
    one_line(cli("track", "101", "--link", link, "--update"), "--link holds a control character")
    stored = {r["order_id"]: r["link"] for r in json.loads(cli("orders", "--json").output)}
    assert stored[101] is None  # nothing stored


@pytest.mark.parametrize("given", [("--runs", "3"), ("--interval", "10")])
def test_track_takes_runs_and_interval_together_as_add_does(cli, given):
    one_line(cli("track", "101", *given), "--runs and --interval go together")
    one_line(cli("track", "103", *given), "--runs and --interval go together")
    assert "103" not in cli("orders").output
    result = cli("track", "101", "--runs", "3", "--interval", "10")
    assert result.exit_code == 0 and "runs 3 filled in" in result.output


@pytest.mark.parametrize("command", ["alerts", "automation", "report"])
def test_a_since_read_past_its_spaces_is_said_without_them(cli, command):
    # Read as 7d, it was said back as "in the last  7d ", as order " 5" is said 5.
    result = cli(command, "--since", " 7d ")
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "7d" in line]
    assert said and all("last 7d" in line or "(7d)" in line for line in said), result.output


@pytest.mark.parametrize("command", ["report", "dashboard"])
def test_an_empty_database_option_is_refused(cli, command):
    # `--database "$UNSET"` said "no database at ." (exit 1): Path("") is ".".
    one_line(cli(command, "--database", ""), "--database is empty")


@pytest.mark.parametrize("digits", ["\u0663", "\uff13", "1\u0660"])  # Arabic-Indic, fullwidth
def test_durations_take_ascii_digits_only_as_order_ids_do(cli, tmp_path, digits):
    # "٣d" was read as 3 days, on the command line and in the config alike.
    one_line(cli("alerts", "--since", f"{digits}d"), f"'{digits}d' is not a duration", "0-9")
    other = tmp_path / "other.toml"
    other.write_text(CONFIG.format(db="t.db", key=KEY_LINE).replace('"1s"', f'"{digits}s"'))
    line = one_line(cli("orders", "--config", str(other)), "panels[0].timeout", f"'{digits}s'")
    assert "digits 0-9 only" in line


def test_an_sqlite_too_old_for_the_status_writes_is_one_line(cli, tmp_path, monkeypatch):
    # Python built against SQLite 3.31 (Ubuntu 20.04's): the first status
    # answer stored failed with "near FROM: syntax error" (UPDATE ... FROM).
    monkeypatch.setattr("sqlite3.sqlite_version_info", (3, 31, 1))
    result = cli("track", "5")
    assert result.exit_code == 1
    said = result.output.strip().splitlines()
    assert said == [
        "smm-tracker: SQLite 3.31.1 is too old: smm-tracker needs 3.33.0 or newer"
        " (the one this Python was built with)"
    ], said
    # The orders tracked before (101, 102: the fixture checks them) are all.
    import sqlite3

    with sqlite3.connect(tmp_path / "t.db") as db:
        assert [r[0] for r in db.execute("SELECT order_id FROM orders")] == [101, 102]


@pytest.mark.parametrize("host", ["x\u202ey.example", "a" * 64 + ".example", "xn--zz.example"])
@pytest.mark.parametrize(
    "args", [("services", "--refresh"), ("add", "--service", "1", "--link", "https://x.test/p")]
)
def test_a_panel_url_whose_host_no_lookup_can_take_is_a_config_line(tmp_path, host, args):
    # It was "valid"; then `services --refresh` and `add` died on a traceback
    # (httpx's InvalidURL, idna's IDNAError, the resolver thread's UnicodeError).
    config = tmp_path / "idna.toml"
    config.write_text(CONFIG.format(db="i.db", key=KEY_LINE).replace("127.0.0.1:9", host))
    env = {"BAD_INPUT_KEY": KEY, "SMM_TRACKER_CONFIG": str(config)}
    result = CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)
    line = one_line(result, "at 'panels[0].url'", "cannot be looked up")
    assert line.startswith(f"smm-tracker: config {config}: at 'panels[0].url': "), line
