"""`smm-tracker balance` and `smm-tracker alerts`, offline, on a prepared database."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from key_fixes import install_units
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter, raise_alert
from tracker.clock import utcnow
from tracker.rules.episodes import Alert, Episode
from tracker.store.alerts import record_balance
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

CONFIG = """
[database]
path = "t.db"
[balance]
low = 10
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
[[panels]]
name = "spare"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
"""


@pytest.fixture
def cli(tmp_path, monkeypatch):
    # Reading needs no key.
    return cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.db")
    yield store
    store.close()


def test_balance_shows_current_state_history_and_runway(cli, store) -> None:
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(hours=3)
    for i in range(13):  # 3 hours, 1.00 spent per 15 minutes: 96 per day
        record_balance(store, "main", start + timedelta(minutes=15 * i), Decimal(21 - i), "USD")
    with capture_logs():
        Alerter(store, clock=lambda: now - timedelta(hours=1)).update(
            "main",
            "balance_low",
            lambda ep: (Episode(True, now - timedelta(hours=1), now), Alert("balance_low", "low")),
        )
    result = cli("balance")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"main: 9.00 USD  (checked {now.isoformat()})"
    assert lines[1].startswith("  state:  LOW since ") and "recovers above 10.50 USD" in lines[1]
    assert lines[2] == "  runway: about 2h15m left at 96 USD/day"
    assert lines[3].split() == ["CHECKED", "BALANCE"]
    assert len(lines[4:-1]) == 8 and lines[-2].split()[-1] == "9.00"
    assert lines[-1] == (  # no daemon runs: what fetches it (polish200)
        "spare: no balance fetched yet (smm-tracker run --once fetches it now; the daemon "
        "(smm-tracker run) within schedule.balance_every (15m))"
    )

    data = json.loads(cli("balance", "--json", "--panel", "main").output)
    (info,) = data["panels"]
    # Every money field is a number (issue 10), as balance always was.
    assert info["balance"] == 9.0 and info["low"] == 10 and info["recover_above"] == 10.5
    assert info["runway"]["seconds_left"] == 2.25 * 3600
    assert len(info["history"]) == 13
    listed = cli("alerts").output.splitlines()
    assert listed[-1] == f"open: main balance_low since {(now - timedelta(hours=1)).isoformat()}"


def test_balance_below_a_threshold_set_since_its_check_is_not_ok(cli, store) -> None:
    # balance.low raised to 10 (a reload) over a 9.00 checked before: `balance`
    # said "state:  ok (alert below 10.00)" until the next check raised balance_low.
    record_balance(store, "main", utcnow(), Decimal("9"), "USD")
    lines = cli("balance", "--panel", "main").output.splitlines()
    assert lines[1] == (
        "  state:  below 10.00 USD, no alert yet: balance_low comes at the next balance check"
    )
    record_balance(store, "main", utcnow(), Decimal("10"), "USD")  # not below: ok
    assert cli("balance", "--panel", "main").output.splitlines()[1] == (
        "  state:  ok (alert below 10.00 USD)"
    )


def test_a_panel_without_a_low_balance_alert_names_the_setting_that_turned_it_off(
    tmp_path, monkeypatch, store
) -> None:
    # Walk: with balance.low = 10 and the panel's own balance_low = 0 the line
    # said "no low-balance alert (balance.low = 0)": the wrong setting, and
    # not what to do.
    own_zero = CONFIG.replace('name = "spare"', 'name = "spare"\nbalance_low = 0')
    cli = cli_in(tmp_path, monkeypatch, own_zero, env={"SMM_TEST_KEY": None})
    record_balance(store, "spare", utcnow(), Decimal("5"), "USD")
    state = cli("balance", "--panel", "spare").stdout.splitlines()[1]
    assert state == (
        "  state:  no low-balance alert (panels[1].balance_low = 0: set it above 0 to be "
        "alerted below it)"
    )
    everywhere = CONFIG.replace("low = 10", "low = 0")
    cli = cli_in(tmp_path, monkeypatch, everywhere, env={"SMM_TEST_KEY": None})
    state = cli("balance", "--panel", "spare").stdout.splitlines()[1]
    assert state == (
        "  state:  no low-balance alert (balance.low = 0: set it above 0 to be alerted below it)"
    )


def test_a_low_episode_above_its_recovery_level_says_it_ends_at_the_next_check(cli, store):
    # balance.low lowered to 10 while an episode opened under a higher one is
    # open, the last check 50.00: "LOW ... (recovers above 10.50)" read as still low.
    now = utcnow().replace(microsecond=0)
    record_balance(store, "main", now, Decimal("50"), "USD")
    with capture_logs():
        Alerter(store, clock=lambda: now).update(
            "main",
            "balance_low",
            lambda ep: (Episode(True, now, now), Alert("balance_low", "low")),
        )
    state = cli("balance", "--panel", "main").output.splitlines()[1]
    assert state.startswith("  state:  LOW since ")
    assert state.endswith("(above 10.50 USD now: recovers at the next balance check)")


def test_alerts_since_and_json(cli, store) -> None:
    now = utcnow()
    with capture_logs():
        raise_alert(
            Alert("order_canceled", "main: old news", panel="main"),
            store=store,
            clock=lambda: now - timedelta(hours=3),
        )
        raise_alert(
            Alert("panel_unreachable", "main: unreachable", panel="main", data={"n": 1}),
            store=store,
            clock=lambda: now - timedelta(minutes=10),
        )
    recent = cli("alerts", "--since", "1h")
    assert recent.exit_code == 0
    (header, line) = recent.output.splitlines()
    assert line.endswith("error     panel_unreachable     main: unreachable")
    every = json.loads(cli("alerts", "--json").output)
    assert [a["kind"] for a in every["alerts"]] == ["order_canceled", "panel_unreachable"]
    assert every["alerts"][1]["data"] == {"n": 1}
    assert cli("alerts", "--panel", "spare").output == "no alerts\n"


@pytest.mark.parametrize("bad", ["soon", "90", "-5m"])
def test_a_bad_duration_is_one_line(cli, bad) -> None:
    result = cli("alerts", "--since", bad)
    assert result.exit_code == 2
    assert result.output.startswith("smm-tracker: --since: ")
    assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output


def test_alerts_json_too_holds_the_newest_100_unless_limit(cli, store) -> None:
    # README's CLI table: "only the newest 100 unless --limit N, in --json too".
    start = utcnow() - timedelta(hours=2)
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO alerts (at, panel, kind, severity, message, data) "
            "VALUES (?, 'main', 'order_canceled', 'warning', ?, '{}')",
            [((start + timedelta(seconds=i)).isoformat(), f"n{i}") for i in range(105)],
        )
    listed = cli("alerts", "--json")
    capped = json.loads(listed.stdout)["alerts"]
    assert [a["message"] for a in capped] == [f"n{i}" for i in range(5, 105)]  # oldest first
    every = cli("alerts", "--json", "--limit", "200")
    assert len(json.loads(every.stdout)["alerts"]) == 105
    # The cut said, as orders and refills say theirs: a script counting the
    # day's alerts (`alerts --since 24h | wc -l`) read 100 of 105 unsaid.
    assert listed.stderr == "(the newest 100 shown; --limit N for more)\n"
    table = cli("alerts")
    assert len(table.stdout.splitlines()) == 101  # the header, the newest 100
    assert table.stderr == "(the newest 100 shown; --limit N for more)\n"
    assert every.stderr == cli("alerts", "--limit", "100").stderr == ""  # a limit asked for


def test_alerts_listing_has_a_header_over_its_columns(cli, store) -> None:
    now = utcnow().replace(microsecond=0)
    with capture_logs():
        for kind, message in (("balance_low", "main: balance low"), ("panel_unreachable", "x")):
            raise_alert(Alert(kind, message, "main"), store=store, clock=lambda: now)
    lines = cli("alerts").output.splitlines()
    assert lines[0].split() == ["AT", "SEVERITY", "KIND", "MESSAGE"]
    # Each column starts where its header does.
    for name, value in (("SEVERITY", "warning"), ("KIND", "balance_low"), ("MESSAGE", "main: ")):
        assert lines[1].index(value) == lines[0].index(name)
    assert lines[2].index("panel_unreachable") == lines[0].index("KIND")
    # Nothing listed: no header, only the note on stderr.
    assert cli("alerts", "--panel", "spare").stdout == ""


def test_a_kind_longer_than_twenty_characters_keeps_the_messages_in_their_column(cli, store):
    # Piped, KIND was padded to 20: `automation_currency_held` (24) pushed
    # its MESSAGE 4 columns right of its header and of the other rows'.
    now = utcnow().replace(microsecond=0)
    with capture_logs():
        for kind, message in (
            ("balance_low", "main: low"),
            ("automation_currency_held", "main: held"),
        ):
            raise_alert(Alert(kind, message, "main"), store=store, clock=lambda: now)
    lines = cli("alerts").output.splitlines()
    column = lines[0].index("MESSAGE")
    assert [line.index("main: ") for line in lines[1:3]] == [column, column]
    assert lines[2].index("automation_currency_held") == lines[0].index("KIND")


def test_an_open_episode_of_a_panel_left_out_of_the_config_says_so(cli, store) -> None:
    # A panel renamed (or removed) in the config leaves its open episodes
    # under the old name: nothing runs for it to end them, and `alerts`
    # must not list them as if they were being watched.
    now = utcnow().replace(microsecond=0)
    with capture_logs():
        for panel in ("main", "old"):
            Alerter(store, clock=lambda: now).update(
                panel,
                "balance_low",
                lambda ep: (Episode(True, now, now), Alert("balance_low", "low")),
            )
    listed = cli("alerts").output.splitlines()
    assert listed[-1] == (
        f"open: main balance_low since {now.isoformat()}, old balance_low since "
        f"{now.isoformat()} (old: not in the config; ends only with the panel back under that name)"
    )
    opened = json.loads(cli("alerts", "--json").output)["open"]
    assert [(e["panel"], e["configured"]) for e in opened] == [("main", True), ("old", False)]


def test_alerts_of_a_database_read_with_no_config_say_no_panel_is_left_out(
    store, tmp_path, monkeypatch
) -> None:
    # `alerts --database COPY` where no config is found (a backup read on
    # another machine, a kept demo): there is no config to leave a panel out
    # of, and the daemon's own config may well end the episode.
    now = utcnow().replace(microsecond=0)
    with capture_logs():
        Alerter(store, clock=lambda: now).update(
            "main", "auth_failed", lambda ep: (Episode(True, now, now), None)
        )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cli = cli_in(elsewhere, monkeypatch, None)
    listed = cli("alerts", "--database", str(tmp_path / "t.db"))
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[-1] == f"open: main auth_failed since {now.isoformat()}"


def test_balance_notes_every_panel_not_answering_not_only_the_last_listed(
    cli, store, tmp_path, monkeypatch
) -> None:
    # The note was looked up for the last panel listed alone: main's refused
    # key went unsaid beside spare's balance.
    install_units(tmp_path, monkeypatch, "system")  # its fix names systemctl
    now = utcnow().replace(microsecond=0)
    for panel in ("main", "spare"):
        record_balance(store, panel, now - timedelta(minutes=5), Decimal(50), "USD")
    since = now - timedelta(hours=2)
    with capture_logs():
        Alerter(store, clock=lambda: now).update(
            "main", "auth_failed", lambda ep: (Episode(True, since, now), None)
        )
    result = cli("balance")
    assert result.exit_code == 0, result.output
    # what fixes it, as orders and doctor say (ops28)
    assert result.stderr.splitlines() == [
        f"(main: the API key is refused since {since.isoformat()}: its balance is the last "
        "it gave; fix the key in panels[0].key_env (environment variable SMM_TEST_KEY), "
        "then `systemctl restart smm-tracker` (its environment, the unit's or its "
        "EnvironmentFile's, is read at its start only); from cron, the next run reads it)"
    ]
