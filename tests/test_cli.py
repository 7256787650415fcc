"""The real CLI, offline: config errors, tracking, listing, bad input."""

from __future__ import annotations

import json
import sqlite3

import click
import pytest
from click.testing import CliRunner
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

from tracker.cli.main import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})


def test_track_then_list_and_history(cli):
    assert cli("track", "101", "102").exit_code == 0
    result = cli("track", "-", input="102\n103,104\n")
    assert result.exit_code == 0 and "2 new" in result.output and "1 already" in result.output
    listed = json.loads(cli("orders", "--json").output)
    assert sorted(r["order_id"] for r in listed) == [101, 102, 103, 104]
    history = cli("history", "101")
    assert history.exit_code == 0
    # Said once, not twice (issue 12).
    assert history.output.count("no status") == 1, history.output


def test_track_works_without_the_key(cli, monkeypatch):
    monkeypatch.delenv("SMM_TEST_KEY")
    assert cli("track", "5").exit_code == 0


def test_an_order_id_as_the_tracker_prints_it_is_taken(cli):
    # `history`, `cancel` and the demo print "#483001": pasted back, it was
    # "not an order ID".
    done = cli("track", "#103", "-", input="#104, 105\n")
    assert done.exit_code == 0, done.output
    listed = json.loads(cli("orders", "--json").output)
    assert sorted(r["order_id"] for r in listed) == [103, 104, 105]
    assert cli("history", "#104").exit_code == 0
    for bad in ("##106", "#"):
        refused = cli("track", bad)
        assert refused.exit_code == 2 and "not an order ID" in refused.output
        # As typed: "'#106'" named an ID `track #106` takes as not one.
        assert refused.output.rstrip().endswith(f": '{bad}'"), refused.output


def test_ids_read_from_a_terminal_say_so_first(monkeypatch, capsys):
    # `track -` typed at a terminal waited for input without a word.
    import io
    import sys

    from tracker.cli.order_args import parse_order_ids

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("7\n8\n"))
    assert parse_order_ids(("-",)) == [7, 8]
    assert "reading order IDs from the terminal (Ctrl-D when done)" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("9\n"))  # a pipe: nothing said
    assert parse_order_ids(("-",)) == [9]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", ["abc", "0", "12x", "1.5"])
def test_non_numeric_order_ids_are_refused_in_one_line(cli, bad):
    result = cli("track", bad)
    assert result.exit_code == 2
    assert "not an order ID" in result.output and "Traceback" not in result.output


def test_unknown_panel_is_one_line(cli):
    result = cli("track", "--panel", "nope", "1")
    assert result.exit_code == 2 and "no panel named 'nope'" in result.output


def test_history_of_an_untracked_order(cli):
    cli("track", "5")
    result = cli("history", "999")
    assert result.exit_code == 1 and "not tracked" in result.output
    # The next step: tracking it records its history from now on.
    assert "smm-tracker track 999" in result.output


def two_panels(tmp_path, monkeypatch, spare_at: str = "127.0.0.1:9/"):
    """The CLI on a config of panels main and spare (at ``spare_at``), order 5
    tracked on main."""
    spare = OFFLINE_CONFIG.replace('"main"', '"spare"').replace('[database]\npath = "t.db"', "")
    spare = spare.replace("127.0.0.1:9/", spare_at)
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG + spare, env={"SMM_TEST_KEY": TEST_KEY})
    assert cli("track", "--panel", "main", "5").exit_code == 0
    return cli


def test_history_of_an_untracked_order_with_several_panels_names_panel_in_the_step(
    tmp_path, monkeypatch
):
    # `smm-tracker track 999` with two panels configured is refused ("pass
    # --panel NAME"): the step said must be one that runs.
    cli = two_panels(tmp_path, monkeypatch)
    result = cli("history", "999")
    assert result.exit_code == 1
    assert result.output.endswith(
        "(smm-tracker track --panel NAME 999 records it from now on; NAME: main or spare)\n"
    )
    assert cli("history", "--panel", "spare", "999").output.endswith(
        "(smm-tracker track --panel spare 999 records it from now on)\n"
    )


def test_refill_of_an_untracked_order_with_several_panels_names_the_panels(tmp_path, monkeypatch):
    # A reseller with several panels told `--panel NAME` is told what NAME may be.
    cli = two_panels(tmp_path, monkeypatch, "127.0.0.1:7/")  # another account: refill checks
    result = cli("refill", "999")
    assert result.exit_code == 1
    assert result.output.endswith(
        "order 999 is not tracked; run: smm-tracker track --panel NAME 999 (NAME: main or spare)\n"
    )


def test_three_config_mistakes_in_one_message(cli, tmp_path):
    (tmp_path / "bad.toml").write_text(
        """
[database]
path = "t.db"
[[panels]]
name = "main"
url = "ftp://nope"
key_env = "SMM_TEST_KEY"
max_batch = 500
[schedule]
status_every = "5 parsecs"
"""
    )
    result = cli("--config", "bad.toml", "orders")
    assert result.exit_code == 2
    for path in ("panels[0].url", "panels[0].max_batch", "schedule.status_every"):
        assert path in result.output
    assert "Traceback" not in result.output


def test_malformed_toml_is_one_line(cli, tmp_path):
    (tmp_path / "bad.toml").write_text("[database\npath = 1\n")
    result = cli("--config", "bad.toml", "orders")
    assert result.exit_code == 2 and "invalid TOML" in result.output


def test_database_in_missing_directory(cli, tmp_path):
    (tmp_path / "m.toml").write_text(OFFLINE_CONFIG.replace('"t.db"', '"missing/dir/t.db"'))
    result = cli("--config", "m.toml", "orders")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_add_rejects_zero_quantity_before_any_network(cli):
    result = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "0")
    assert result.exit_code == 2 and "quantity" in result.output.lower()


def test_every_command_is_listed_and_loads_on_demand():
    import importlib

    from tracker.cli.command_table import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"tracker.cli.{module}")
    assert set(main.commands) == set(COMMAND_MODULES)
    help_text = CliRunner().invoke(main, ["--help"]).output
    assert all(name in help_text for name in COMMAND_MODULES)


def test_the_help_listing_matches_each_commands_docstring():
    import importlib
    import inspect

    from tracker.cli.command_table import COMMAND_HELP, COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"tracker.cli.{module}")
    assert set(COMMAND_HELP) == set(COMMAND_MODULES), "add the command to COMMAND_HELP"
    for name, text in COMMAND_HELP.items():
        first = inspect.cleandoc(main.commands[name].help or "").split("\n\n")[0]
        assert text == first.replace("\n", " "), (
            f"COMMAND_HELP[{name!r}] differs from its docstring"
        )


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("orders", "Only this panel"),
        ("refills", "Only this panel"),
        ("services", "Only this panel"),
        ("history", "the one holding the order"),
        ("refill", "the one holding the order"),
        # prune prunes every panel without it; cancel and untrack find the
        # panel holding the IDs (they said "optional when one panel is configured").
        ("prune", "Only this panel (without it: every panel)"),
        ("cancel", "without it: the one holding them"),
        ("untrack", "without it: the one holding them"),
    ],
)
def test_panel_help_says_what_the_command_does_without_it(command, said):
    # "optional when one panel is configured" told a user of several panels
    # to name one: these list every panel, or find the order's, without it.
    text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
    assert said in text and "optional when one panel is configured" not in text


def test_a_database_from_a_newer_version_is_read_but_never_written(cli, tmp_path):
    import sqlite3

    assert cli("track", "101").exit_code == 0
    db = sqlite3.connect(tmp_path / "t.db")
    with db:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('smm-tracker', 'm099_future', 'x')"
        )
    db.close()
    before = (tmp_path / "t.db").read_bytes()
    for args in (("track", "102"), ("untrack", "101"), ("run", "--once")):
        result = cli(*args)
        assert result.exit_code != 0, args
        assert "migrated by a newer smm-tracker (m099_future)" in result.output, args
        assert "Traceback" not in result.output
    assert (tmp_path / "t.db").read_bytes() == before
    listed = cli("orders", "--json")
    assert listed.exit_code == 0 and [r["order_id"] for r in json.loads(listed.output)] == [101]


def test_track_says_which_details_it_filled_in(cli):
    # A detail a tracked order had none of is stored: said, as a difference is.
    cli("track", "5", "--service", "1")
    result = cli("track", "5", "--service", "1", "--quantity", "300")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "tracking 0 new orders on main, 1 already tracked",
        "order 5: quantity 300 filled in (none was stored)",
    ]
    assert json.loads(cli("orders", "--json").output)[0]["quantity"] == 300


def test_a_difference_in_a_link_is_one_line_whatever_the_link_holds(cli, tmp_path):
    # A link holding control characters is refused by track now, as by add;
    # one stored before (an older tracker took it) is still shown escaped.
    cli("track", "5", "--link", "https://x.test/a")
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE orders SET link = ? WHERE order_id = 5", ["https://x.test/b\n\x1b[2Jc"])
    result = cli("track", "5", "--link", "https://x.test/a")
    assert result.output.splitlines()[1:] == [
        "order 5: stored link is https://x.test/b\\n\\x1b[2Jc, given https://x.test/a: "
        "kept https://x.test/b\\n\\x1b[2Jc (pass --update to overwrite)"
    ]


def test_ids_on_stdin_saved_with_a_byte_order_mark_are_read(cli):
    # Excel's "CSV UTF-8" and Notepad start the file with one: '\ufeff103' was refused.
    result = cli("track", "-", input="\ufeff103\r\n104\r\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "tracking 2 new orders on main\n"


def test_ids_on_stdin_may_carry_comments(cli):
    # A list a script keeps: a heading, a note after an ID, CRLF, blank lines.
    # "# June batch" was refused whole (exit 2): '#', 'June', 'batch'.
    ids = "# June batch, from the shop's export\r\n103\r\n\r\n#104 # pasted\r\n105,106\n#\n"
    result = cli("track", "-", input=ids)
    assert result.exit_code == 0, result.output
    listed = json.loads(cli("orders", "--json").output)
    assert sorted(r["order_id"] for r in listed) == [103, 104, 105, 106]
    # On the command line a "#" is still no ID; and a word with one inside is none either.
    assert cli("track", "#").exit_code == 2
    refused = cli("track", "-", input="107#retry\n")
    assert refused.exit_code == 2 and "'107#retry'" in refused.output


def test_refill_without_a_database_creates_none(cli, tmp_path):
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert "no database at" in result.output and "track or add an order" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracker.toml"]


def test_the_config_option_names_its_last_place_whole_at_80_columns(monkeypatch):
    # click breaks a help line at a hyphen: "/etc/smm-" over
    # "tracker/config.toml", a path no one could copy from an 80-column help.
    # Not through CliRunner, which lays the help out 80 wide: a terminal of
    # 80 columns gets it 78 wide.
    monkeypatch.setenv("COLUMNS", "80")
    with click.Context(main, info_name="smm-tracker") as ctx:
        text = main.get_help(ctx)
    assert "/etc/smm-tracker/config.toml" in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_history_help_says_all_it_shows_as_the_readme_table_does():
    # `history --help` said "Show every status change of one order." alone:
    # it also shows the charge changed since, the refills, the next automatic
    # refill and what the automation did, as README's CLI table row says.
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `history ORDER_ID"))
    said = row.split(" | ")[1].split(" ([more]")[0]
    assert said.startswith("every status change of one order, then its charge, child orders ")
    text = " ".join(CliRunner().invoke(main, ["history", "--help"]).output.split())
    assert f" Show {said}. " in text


def test_add_help_says_what_the_subscription_fields_are():
    # `--expiry TEXT  d/m/Y.` said a format and not what the date was of;
    # --posts, --old-posts and --delay said only their field's name.
    text = " ".join(CliRunner().invoke(main, ["add", "--help"]).output.split())
    assert "--expiry TEXT Subscriptions: the day it ends, as d/m/Y (31/12/2026)." in text
    for option in ("--posts", "--old-posts", "--delay"):
        assert f"{option} TEXT Subscriptions: " in text, option


@pytest.mark.parametrize(("typed", "meant"), [("order", "orders"), ("hisotry", "history")])
def test_a_mistyped_command_is_answered_with_the_one_meant(typed, meant):
    # "No such command 'order'." alone, where a mistyped option has click's
    # "Did you mean '--status'?".
    result = CliRunner().invoke(main, [typed], prog_name="smm-tracker")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"smm-tracker: No such command '{typed}'. Did you mean '{meant}'? "
        "(see 'smm-tracker --help')"
    ]


def test_a_command_like_none_is_no_guess():
    result = CliRunner().invoke(main, ["xyz"])
    assert result.exit_code == 2 and "Did you mean" not in result.output
