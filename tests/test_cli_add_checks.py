"""Issue 12, point 7: `add` refuses locally (exit 2, nothing sent) what the
flags or the synced service type make a certain refusal."""

from __future__ import annotations

import json
import sqlite3

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.catalogue import SERVICE_COMMENTS, SERVICE_FOLLOWERS, SERVICE_VIEWS
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-AddCheck6Local2Q"
LINK = "https://instagram.com/p/abc"


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=4, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    cli.db = tmp_path / "t.db"
    yield panel, cli
    server.stop()


@pytest.fixture
def synced(sim):
    panel, cli = sim
    assert cli("services", "--refresh").exit_code == 0
    panel.reset_counters()
    return panel, cli


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--service", str(SERVICE_FOLLOWERS), "--quantity", "500"],
            f"service {SERVICE_FOLLOWERS} is a 'Default' service: --link required",
        ),
        (
            ["--service", str(SERVICE_FOLLOWERS), "--link", LINK],
            f"service {SERVICE_FOLLOWERS} is a 'Default' service: --quantity required",
        ),
        (
            ["--service", str(SERVICE_COMMENTS), "--link", LINK],
            f"service {SERVICE_COMMENTS} is a 'Custom Comments' service: --comments required",
        ),
        (
            ["--service", str(SERVICE_COMMENTS), "--link", LINK, "--comments", "a\nb"],
            f"number of --comments 2 is outside service {SERVICE_COMMENTS}'s range 5..1000",
        ),
        (
            ["--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", "5"],
            f"--quantity 5 is outside service {SERVICE_FOLLOWERS}'s range 100..100000",
        ),
    ],
)
def test_what_the_service_type_requires_is_checked_before_sending(synced, args, said):
    panel, cli = synced
    result = cli("add", *args)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert result.output.endswith("; add --force sends it anyway (nothing sent)\n")
    assert panel.calls["add"] == 0
    # The catalogue as last synced may be stale or wrong: never a block for good.
    forced = cli("add", *args, "--force")
    assert panel.calls["add"] == 1, forced.output


def test_expiry_must_be_d_m_y_even_for_an_unsynced_service(sim):
    panel, cli = sim
    result = cli("add", "--service", "99", "--link", LINK, "--expiry", "tomorrow")
    assert result.exit_code == 2
    assert "--expiry must be a date as d/m/Y, like 31/12/2026 (got 'tomorrow')" in result.output
    assert panel.calls["add"] == 0


def test_an_unsynced_service_is_not_judged(sim):
    panel, cli = sim
    result = cli("add", "--service", str(SERVICE_FOLLOWERS), "--quantity", "500")
    assert result.exit_code == 1
    assert "Bad Link" in result.output  # the panel's own answer
    assert panel.calls["add"] == 1


def test_a_complete_request_is_placed(synced):
    panel, cli = synced
    result = cli(
        "add",
        "--service",
        str(SERVICE_COMMENTS),
        "--link",
        LINK,
        "--comments",
        "nice\nwow\ngreat\ncool",
        "--comments",
        "love it",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().isdigit()
    assert panel.calls["add"] == 1
    # The panel counts the comments: five of them are the order's quantity, so
    # DELIVERED and the report read it (it was stored as none: DELIVERED "-").
    (order,) = json.loads(cli("orders", "--json").stdout)
    assert order["order_id"] == int(result.stdout) and order["quantity"] == 5


@pytest.mark.parametrize(
    "link",
    [
        LINK + "\x1b[2J",
        LINK + "\n",
        "\t" + LINK,
        LINK + "\x7f",
        # A bidirectional control (RFC 3987: in no IRI): shown, the link reads
        # as another; sent, it was placed on a link no one can open.
        LINK + "\u202e",
        "\u200f" + LINK,
        LINK.replace("//", "//\u2066"),
    ],
)
def test_a_link_with_a_control_character_is_refused_even_for_an_unsynced_service(sim, link):
    # A terminal's escape, a line break or a tab pasted with the link: the
    # panel took it, and the order (paid) went to a link no one can open.
    panel, cli = sim
    result = cli("add", "--service", str(SERVICE_FOLLOWERS), "--link", link, "--quantity", "500")
    assert result.exit_code == 2, result.output
    assert "--link holds a control character (\\" in result.output
    assert result.output.endswith(": no link has one (nothing sent)\n")
    assert "\x1b" not in result.output and panel.calls["add"] == 0


def test_a_link_with_an_emoji_joiner_is_placed(sim):
    panel, cli = sim
    result = cli(
        "add",
        "--service",
        str(SERVICE_FOLLOWERS),
        "--link",
        LINK + "/👨\u200d👩\u200d👧",
        "--quantity",
        "500",
    )
    assert result.exit_code == 0, result.output
    assert panel.calls["add"] == 1


def test_a_refused_key_says_where_the_config_sets_it(sim, monkeypatch):
    """'sim: add: Invalid API key; no order placed' left a new user to guess
    which key: the line names where the config sets it, never the key."""
    panel, cli = sim
    monkeypatch.setenv("SIM_KEY", "wrong-key-Pq7Lm3Xc")
    result = cli("add", "--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", "500")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("smm-tracker: sim: add: Invalid API key; no order placed; ")
    assert "check that panels[0].key_env (environment variable SIM_KEY) holds" in line
    assert "wrong-key-Pq7Lm3Xc" not in result.output and panel.calls["add"] == 1


@pytest.mark.parametrize(
    "twice",
    [
        ("--quantity", "500", "--quantity", "5000"),
        ("--quantity=500", "--quantity", "500"),
        ("--service", str(SERVICE_FOLLOWERS)),
    ],
)
def test_an_option_given_twice_is_refused_before_sending(sim, twice):
    """`add --quantity 500 ... --quantity 5000` (a line edited in haste) placed
    an order of 5000, the last one given, without a word: money spent on a
    guess. Now one line naming the option, exit 2, nothing sent."""
    panel, cli = sim
    args = ["add", "--service", str(SERVICE_FOLLOWERS), "--link", LINK, *twice]
    if "--quantity" not in " ".join(twice):
        args += ["--quantity", "500"]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    [line] = result.output.splitlines()
    option = twice[0].split("=")[0]
    assert line.startswith(f"smm-tracker: {option} given twice: give it once (nothing sent)")
    assert panel.calls["add"] == 0


def test_a_repeatable_option_is_still_taken_many_times(sim):
    panel, cli = sim
    comments = [a for word in ("nice", "great", "wow", "top", "ok") for a in ("--comments", word)]
    args = ("--link", LINK, *comments)
    result = cli("add", "--service", str(SERVICE_COMMENTS), *args)
    assert result.exit_code == 0, result.output
    assert panel.calls["add"] == 1


@pytest.mark.parametrize("command", [("cancel", "5", "--yes"), ("refill", "5")])
def test_cancel_and_refill_refuse_an_option_given_twice_too(sim, command):
    """`--panel main ... --panel other` sent to the last panel named, where an
    order of the same number may be another account's: refused, nothing sent."""
    panel, cli = sim
    assert cli("track", "5").exit_code == 0
    result = cli(*command, "--panel", "sim", "--panel", "sim")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("smm-tracker: --panel given twice: give it once (nothing sent)")
    assert panel.calls[command[0]] == 0


def test_help_given_twice_is_still_help(sim):
    panel, cli = sim
    result = cli("add", "-h", "--help")
    assert result.exit_code == 0 and "Place an order" in result.output


DRIP = ["--runs", "3", "--interval", "10"]
FOLLOWERS = ["--service", str(SERVICE_FOLLOWERS), "--link", LINK, "--quantity", "500"]
COMMENTS = ["--service", str(SERVICE_COMMENTS), "--link", LINK, "--comments", "a\nb\nc\nd\ne"]
_TAIL = ": smm-tracker services --refresh updates it; add --force sends them anyway (nothing sent)"


def _stored(cli) -> list[tuple]:
    with sqlite3.connect(cli.db) as db:
        orders = db.execute("SELECT order_id FROM orders").fetchall()
        return orders + db.execute("SELECT * FROM idempotency_keys").fetchall()


@pytest.mark.parametrize(
    ("args", "takes"),
    [
        (
            [*FOLLOWERS, *DRIP],
            "takes no drip-feed (--runs, --interval: its dripfeed flag is off)",
        ),
        (
            [*FOLLOWERS, "--comments", "nice"],
            "takes no --comments (a 'Default' service)",
        ),
        (
            [*COMMENTS, "--usernames", "bob", "--answer-number", "2"],
            "takes no --usernames or --answer-number (a 'Custom Comments' service)",
        ),
        (
            [*FOLLOWERS, *DRIP, "--hashtag", "x"],
            "takes no drip-feed (--runs, --interval: its dripfeed flag is off) "
            "and no --hashtag (a 'Default' service)",
        ),
    ],
)
def test_an_option_the_synced_catalogue_says_the_service_does_not_take_is_not_sent(
    synced, args, takes
):
    # Walk: `add --runs/--interval` on a service without drip-feed, or
    # `--comments` on a Default one, went to the panel, which refused it
    # after a round trip (or took the order and ignored them).
    panel, cli = synced
    service = args[args.index("--service") + 1]
    result = cli("add", *args, "--idempotency-key", "row-7")
    assert result.exit_code == 2, result.output
    listed = json.loads(cli("services", "--json").stdout)
    (synced_at,) = {item["updated_at"] for item in listed if str(item["service"]) == service}
    assert result.output == (
        f"smm-tracker: service {service} {takes} as sim's catalogue was last synced "
        f"({synced_at}){_TAIL}\n"
    )
    assert panel.calls["add"] == 0 and _stored(cli) == []  # the key untouched too
    forced = cli("add", *args, "--force")  # a catalogue stale or wrong: the user's call
    assert panel.calls["add"] == 1, forced.output


def test_a_drip_feed_service_takes_runs_and_a_type_its_fields(synced):
    panel, cli = synced
    views = ["--service", str(SERVICE_VIEWS), "--link", LINK, "--quantity", "600"]
    assert cli("add", *views, *DRIP).exit_code == 0
    assert cli("add", *COMMENTS).exit_code == 0
    assert panel.calls["add"] == 2


def test_an_unsynced_service_or_a_catalogue_without_the_flag_is_sent_as_before(sim):
    panel, cli = sim
    result = cli("add", *FOLLOWERS, *DRIP, "--comments", "nice")  # never synced
    assert result.exit_code == 1 and panel.calls["add"] == 1, result.output  # the panel's word
    assert cli("services", "--refresh").exit_code == 0
    with sqlite3.connect(cli.db) as db:  # listed twice, with different terms, now
        db.execute(
            "INSERT INTO service_conflicts (panel, service, listings, differences, "
            "first_seen_at, last_seen_at) VALUES ('sim', 1, 2, '{}', '2026-01', '2026-01')"
        )
    result = cli("add", *FOLLOWERS, *DRIP, "--comments", "nice")
    assert panel.calls["add"] == 2, result.output
    with sqlite3.connect(cli.db) as db:
        db.execute("DELETE FROM service_conflicts")
    with sqlite3.connect(cli.db) as db:  # a panel that lists no dripfeed flag at all
        db.execute("UPDATE services SET dripfeed = 0")
        db.execute("UPDATE services SET type = 'Drip Special' WHERE service = ?", [1])
    result = cli("add", *FOLLOWERS, *DRIP, "--comments", "nice")  # an unknown type too
    assert panel.calls["add"] == 3, result.output
