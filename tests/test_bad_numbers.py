"""Numbers too large for the database, through the real CLI: refused before
anything is sent or written (one line, exit 2), never a traceback after a paid
order was placed; and the store's own refusal when one reaches it anyway."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from simconfig import cli_in, sim_config

from tracker.errors import StoreError
from tracker.sim.catalogue import SERVICE_FOLLOWERS, SERVICE_VIEWS
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store
from tracker.store.tracking import track_orders

KEY = "sim-key-BigNum5Tq8Wz3Lp"
HUGE = "99999999999999999999999"  # past SQLite's 2**63 - 1
LINK = "https://instagram.com/p/abc"


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=6, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    assert cli("track", "101", "102").exit_code == 0  # already stored, must survive
    yield panel, cli
    server.stop()
    listed = json.loads(cli("orders", "--json").output)
    assert sorted(r["order_id"] for r in listed) == [101, 102]


def one_line(result, *phrases: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("smm-tracker: ") and "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", HUGE], "--quantity"),
        (
            ["--service", str(SERVICE_VIEWS), "--link", LINK, "--quantity", "100"]
            + ["--runs", HUGE, "--interval", "5"],
            "--runs",
        ),
        (
            ["--service", str(SERVICE_VIEWS), "--link", LINK, "--quantity", "100"]
            + ["--runs", "2", "--interval", HUGE],
            "--interval",
        ),
        (["--service", HUGE, "--link", LINK, "--quantity", "100"], "--service"),
    ],
)
def test_add_refuses_a_number_the_database_cannot_hold_before_sending(sim, args, option):
    panel, cli = sim
    one_line(cli("add", *args), option, HUGE, str(2**63 - 1))
    assert panel.calls["add"] == 0  # no paid order the tracker could not then store


@pytest.mark.parametrize("option", ["--quantity", "--interval", "--runs", "--service"])
def test_track_refuses_a_number_the_database_cannot_hold(sim, option):
    panel, cli = sim
    one_line(cli("track", "7777", option, HUGE), option, HUGE)
    assert "7777" not in cli("orders").output


@pytest.mark.parametrize(
    "args",
    [
        ("refills", "--order", "99999999999999999999"),
        ("refills", "--limit", "99999999999999999999"),
        ("alerts", "--limit", "99999999999999999999"),
        ("automation", "--limit", "99999999999999999999"),
        ("orders", "--limit", "99999999999999999999"),
    ],
)
def test_listing_options_are_bounded(sim, args):
    _, cli = sim
    line = one_line(cli(*args), args[1], args[2])
    assert "database" not in line  # the number is wrong, not the database


def test_the_store_refuses_a_number_it_cannot_hold_and_keeps_what_it_has(tmp_path):
    store = Store(tmp_path / "t.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    track_orders(store, "main", [5], now)
    with pytest.raises(StoreError, match="larger than SQLite's largest integer"):
        track_orders(store, "main", [6], now, details={"quantity": 10**30})
    with pytest.raises(StoreError, match="larger than SQLite's largest integer"):
        track_orders(store, "main", [10**30], now)
    assert [row["order_id"] for row in store.rows("SELECT order_id FROM orders")] == [5]
    store.close()


# int() and float() read any script's digits ("١٢٣" is 123), "1_000" and "１２"
# (fullwidth): the CLI takes ASCII 0-9 only, as in order IDs and durations.
FOREIGN = ["\u0661", "\u0661\u0660\u0660", "1_000", "\uff15", "\u00b2"]  # ١ ١٠٠ 1_000 ５ ²
PLACE = ["--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", "100"]


@pytest.mark.parametrize("digits", FOREIGN)
@pytest.mark.parametrize(
    "args",
    [
        ["add", "--service", "{}", "--link", LINK, "--quantity", "100"],
        ["add", "--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", "{}"],
        ["add", *PLACE, "--runs", "{}", "--interval", "5"],
        ["add", *PLACE, "--runs", "2", "--interval", "{}"],
        ["track", "7777", "--quantity", "{}"],
        ["orders", "--limit", "{}"],
        ["refills", "--limit", "{}"],
        ["alerts", "--limit", "{}"],
        ["automation", "--limit", "{}"],
        ["simulate", "--port", "{}"],
        ["dashboard", "--port", "{}"],
        ["demo", "--orders", "{}"],
    ],
)
def test_number_options_take_ascii_digits_only(sim, args, digits):
    panel, cli = sim
    argv = [digits if a == "{}" else a for a in args]
    option = args[args.index("{}") - 1]
    one_line(cli(*argv), option, repr(digits), "digits 0-9 only")
    assert panel.calls["add"] == 0  # `add --service ١ --quantity ١٠٠` placed an order
    assert "7777" not in cli("orders").output


@pytest.mark.parametrize("digits", FOREIGN)
@pytest.mark.parametrize("flag", ["--min", "--max", "--posts", "--delay"])
def test_add_number_fields_take_ascii_digits_only(sim, flag, digits):
    # "²".isdigit() is true and int("²") fails: a traceback; "١" was sent as is.
    panel, cli = sim
    line = one_line(cli("add", *PLACE, flag, digits), flag, repr(digits), "nothing sent")
    assert "whole number" in line
    assert panel.calls["add"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--speed", "nan"],
        ["demo", "--speed", "nan"],
        ["demo", "--every", "nan"],
        ["demo", "--duration", "nan"],  # ended the demo at once, without a reason
        ["demo", "--duration", "inf"],  # a thread's traceback, and the demo went on
        ["demo", "--duration", "1e12"],
        ["simulate", "--speed", "\u0661.\u0665"],
        ["demo", "--speed", "1_0"],
    ],
)
def test_seconds_options_take_finite_ascii_numbers(sim, args):
    _, cli = sim
    line = one_line(cli(*args), args[1])
    assert "is not in the range" in line or "digits 0-9 only" in line


LONG = "9" * 5000


@pytest.mark.parametrize(
    ("args", "input"),
    [
        (["history", LONG], None),
        (["track", "1", "x" + LONG, "2"], None),
        (["track", "-"], "\0" * 1_000_000),  # one 1 MB token, said escaped: 4 MB
        (["orders", "--limit", LONG], None),
        (["orders", "--limit", "-" + LONG], None),
        (["orders", "--limit", "x" * 5000], None),
        (["add", *PLACE, "--min", LONG], None),
        (["demo", "--speed", LONG], None),
    ],
)
def test_a_long_bad_value_is_said_cut(sim, args, input):
    _, cli = sim
    line = one_line(cli(*args, input=input))
    assert "…" in line and len(line) < 400, len(line)  # a NUL is said in 4 characters


def test_leading_zeros_are_no_long_number(sim):
    _, cli = sim
    result = cli("orders", "--limit", "0" * 100 + "1")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2  # header, one row


@pytest.mark.parametrize("flag", ["--posts", "--old-posts", "--delay"])
def test_a_negative_count_field_says_it_must_be_0_or_more(sim, flag):
    # "-3" is a whole number: "must be a whole number" named the wrong rule.
    panel, cli = sim
    line = one_line(cli("add", *PLACE, flag, "-3"), flag, "'-3'", "nothing sent")
    assert f"{flag} must be a whole number, 0 or more (got '-3')" in line
    assert panel.calls["add"] == 0


def test_a_number_option_says_its_range_as_a_person_would(sim):
    # click said "is not in the range 1<=x<=9223372036854775807" and showed
    # that range on every number option's help: the top is the database's.
    _, cli = sim
    assert "0 is not in the range x>=1." in one_line(cli("orders", "--limit", "0"), "--limit")
    huge = one_line(cli("orders", "--limit", "99999999999999999999"), "--limit")
    assert "is too large (the largest is 9223372036854775807)" in huge
    assert "1<=x<=" not in cli("track", "--help").output
    assert "[x>=1]" in cli("track", "--help").output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["orders", "--limit", "abc"], "'abc' is not a whole number."),
        (["add", "--service", "1", "--link", LINK, "--quantity", "500x"], "'500x' is not a whole"),
        (["track", "7777", "--service", "x"], "'x' is not a whole number."),
        (["demo", "--speed", "fast"], "'fast' is not a number."),
    ],
)
def test_a_word_for_a_number_is_said_to_be_no_number(sim, args, said):
    # click said "'abc' is not a valid integer range", as if a range were asked.
    panel, cli = sim
    line = one_line(cli(*args), said)
    assert "range" not in line
    assert panel.calls["add"] == 0 and "7777" not in cli("orders").output
