"""`report`, `services` and `alerts --undelivered` on an 80-column terminal,
and the times of the lines around the tables: a service's name whole on a
line of its own, times short ("15:44 UTC"). Piped output (what scripts read)
is byte for byte as before: the name cut at 32 characters in `report`, full
ISO times, every column.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from simconfig import OFFLINE_CONFIG, TEST_KEY

from tracker.cli import screen as screen_module
from tracker.cli.main import main
from tracker.cli.report import _table
from tracker.cli.screen import Screen, on_screen
from tracker.store.orders import Store
from tracker.store.stopping import untrack

NOW = datetime(2026, 12, 4, 15, 50, 2, tzinfo=UTC)
TERMINAL = Screen(NOW, 80)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
LONG = "Instagram Followers [Real, HQ, Max 50K] | Refill 30 days | Start 0-1h | 10K/day"


def scorecard_row(service: int | None, name: str | None, **more: object) -> dict[str, object]:
    row: dict[str, object] = {
        "panel": "main",
        "service": service,
        "service_name": name,
        "orders": 1234,
        "open": 12,
        "share_completed": 0.815,
        "share_partial": 0.1,
        "share_canceled": 0.07,
        "share_refunded": 0.015,
        "median_completion_seconds": 5 * 3600 + 20 * 60,
        "p90_completion_seconds": 23 * 3600 + 59 * 60,  # "23h59m": P90 at its widest
        "refills_asked": 123,
        "refills_accepted": 120,
        "refills_completed": 118,
        "share_refilled": 0.125,
        "spend": 12345.675,
        "currency": "USD",
        "spend_by_currency": [{"currency": "USD", "spend": 12345.675}],
    }
    return {**row, **more}


def widest(text: str) -> int:
    return max(map(on_screen, text.splitlines()))


def test_the_scorecard_fits_80_columns_with_every_name_whole_and_its_figures():
    rows = [scorecard_row(1, LONG), scorecard_row(22, "Instagram Likes", open=0, orders=1)]
    text = _table(rows, TERMINAL)
    assert widest(text) <= 80, text
    lines = text.splitlines()
    assert lines[0].split()[-2:] == ["SPEND", "USD"]  # one currency: said once
    assert "main service 1: " + LONG + " (1234 orders, 12 open)" in " ".join(
        " ".join(lines[1:3]).split()
    )
    figures = lines[3].split()
    assert figures == ["82%", "10%", "7%", "2%", "5h20m", "23h59m", "123/120/118", "13%"] + [
        "12345.675"
    ]
    assert lines[4] == "main service 22: Instagram Likes (1 order)"
    assert "…" not in text


def test_the_whole_headers_when_they_fit_the_short_ones_when_not():
    short = scorecard_row(3, "YouTube Views", p90_completion_seconds=5, refills_asked=0)
    head = _table([short], TERMINAL).splitlines()[0].split()
    assert head[:4] == ["DONE", "PARTIAL", "CANCELED", "REFUNDED"]
    head = _table([scorecard_row(3, "YouTube Views")], TERMINAL).splitlines()[0].split()
    assert head[:4] == ["DONE", "PART", "CANC", "REFUND"]


def test_spend_in_two_currencies_keeps_them_in_its_column():
    two = [{"currency": "USD", "spend": 12.3}, {"currency": "EUR", "spend": 4.0}]
    rows = [scorecard_row(1, "A", spend_by_currency=two), scorecard_row(2, "B", spend=1.5)]
    text = _table(rows, TERMINAL)
    head, _, first, second, *_ = text.splitlines()
    assert first.endswith("  12.30 USD") and second.strip() == "4.00 EUR" and "1.50 USD" in text
    # No header names one currency above a cell holding another.
    assert head.split()[-1] == "SPEND" and "USD" not in head and "CUR" not in head


def test_piped_the_scorecard_is_unchanged_one_line_a_service_its_name_cut():
    piped = _table([scorecard_row(1, LONG)], None)
    head, row = piped.splitlines()
    assert head.split() == [
        *("PANEL", "SERVICE", "NAME", "ORDERS", "OPEN", "DONE", "PARTIAL", "CANCELED"),
        *("REFUNDED", "MEDIAN", "P90", "REFILLS", "REFILLED", "SPEND"),
    ]
    assert row.startswith("main   1        " + LONG[:31] + "…  1234")
    assert row.endswith("123/120/118  13%       12345.675 USD")


THREE = [
    {"currency": "USD", "spend": 12345.675},
    {"currency": "EUR", "spend": 9876.5},
    {"currency": "GBP", "spend": 4.0},
]


def test_a_spend_in_several_currencies_gives_each_a_line_of_its_own():
    rows = [scorecard_row(1, "A", spend_by_currency=THREE), scorecard_row(2, "B", spend=1.5)]
    text = _table(rows, TERMINAL)
    lines = text.splitlines()
    assert widest(text) <= 80, text
    head = lines[0]
    assert head.split()[-1] == "SPEND" and "USD" not in head  # no one currency said above all
    at = head.index("SPEND")
    assert [line[at:] for line in lines[2:5]] == ["12345.675 USD", "9876.50 EUR", "4.00 GBP"]
    assert not lines[3][:at].strip() and not lines[4][:at].strip()
    assert lines[2].split()[:4] == ["82%", "10%", "7%", "2%"]
    assert lines[6][at:] == "1.50 USD"


PIPED_REPORT = """\
PANEL  SERVICE  NAME  ORDERS  OPEN  DONE  PARTIAL  CANCELED  REFUNDED  MEDIAN  P90     REFILLS      REFILLED  SPEND
main   1        A     1234    12    82%   10%      7%        2%        5h20m   23h59m  123/120/118  13%       12345.675 USD, 9876.50 EUR, 4.00 GBP
main   2        B     1234    12    82%   10%      7%        2%        5h20m   23h59m  123/120/118  13%       1.50 USD"""  # noqa: E501


def test_piped_a_spend_in_several_currencies_is_unchanged_in_one_cell():
    rows = [scorecard_row(1, "A", spend_by_currency=THREE), scorecard_row(2, "B", spend=1.5)]
    assert _table(rows, None) == PIPED_REPORT


def seeded(directory: Path) -> Path:
    """A database with what the commands below list: two orders, one stopped
    by `untrack` at 15:44; a long-named service and a short one synced at
    15:44; an alert the webhook did not take; the key of `main` refused."""
    path = directory / "t.db"
    (directory / "tracker.toml").write_text(OFFLINE_CONFIG)
    store = Store(path)
    store.track("main", [624029, 624030], datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    untrack(store, "main", [624030], datetime(2026, 12, 4, 15, 44, 45, tzinfo=UTC), "by hand")
    store.close()
    at = "2026-12-04T15:44:45+00:00"
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET status = 'Completed', quantity = 1000, remains = 0,"
            " charge = 0.9, currency = 'USD', service = 1, last_checked_at = ?",
            (at,),
        )
        db.executemany(
            "INSERT INTO services (panel, service, name, type, rate, min, max, refill, cancel,"
            " updated_at) VALUES ('main', ?, ?, ?, 0.0801166, 100, 1000000, 1, 0, ?)",
            [(1, LONG, "Default", at), (2, "Custom Comments", "Custom Comments", at)],
        )
        db.execute(
            "INSERT INTO alerts (id, at, panel, kind, severity, message) VALUES"
            " (7, ?, 'main', 'balance_low', 'warning', ?)",
            (at, "main: balance 4.20 USD is below 10.00 " * 3),
        )
        db.execute(
            "INSERT INTO alert_deliveries VALUES (7, 'webhook', 3, ?, ?, ?, NULL)",
            (at, "2026-12-04T16:14:00+00:00", "HTTP 502 from the webhook " * 3),
        )
        db.execute(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES"
            " ('main', 'auth_failed', 1, '2026-12-03T22:17:05+00:00')"
        )
        db.execute(
            "INSERT INTO panel_capabilities (panel, action, supported, learned_at, evidence)"
            " VALUES"
            " ('main', 'refill', 0, '2026-12-03T22:17:05+00:00', 'Incorrect request')"
        )
    return path


def run(args: list[str], monkeypatch, terminal: bool) -> tuple[str, str]:
    """Run the CLI with stdout a terminal (80 columns, at NOW) or a pipe:
    its stdout and stderr."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("SMM_TEST_KEY", TEST_KEY)
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: terminal)
    monkeypatch.setattr(screen_module, "utcnow", lambda: NOW)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def terminal(tmp_path: Path, monkeypatch, args: list[str]) -> str:
    """What ``args`` print on an 80-column terminal, checked to fit it with
    every time short and nothing cut."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    seeded(tmp_path)
    shown, _ = run(args, monkeypatch, True)
    assert widest(shown) <= 80, shown
    assert "…" not in shown and not ISO.search(shown), shown
    return shown


def test_report_on_a_terminal_names_each_service_whole(tmp_path, monkeypatch):
    report = terminal(tmp_path, monkeypatch, ["report", "--since", "3650d"])
    assert LONG in " ".join(report.split()) and "(2 orders)" in report
    assert report.splitlines()[-1].split() == [
        *("100%", "0%", "0%", "0%", "0/0/0", "0%", "1.80")  # no MEDIAN, P90: no time known
    ]


def test_services_on_a_terminal_wrap_each_name_whole(tmp_path, monkeypatch):
    services = terminal(tmp_path, monkeypatch, ["services"])
    assert LONG in " ".join(services.split())
    assert "Custom Comments (type: Custom Comments)" in services
    assert services.splitlines()[1].split() == [  # REFILL: the window its orders get
        # The name's words (NAME under the row) said as where they were read:
        # "30d (Refill 30 days)" wrapped inside its cell (polish200).
        *("main", "1", "30d", "(name)", "no", "0.0801166", "100", "1000000", "15:44")
    ]


def test_undelivered_on_a_terminal_says_times_short(tmp_path, monkeypatch):
    waiting = terminal(tmp_path, monkeypatch, ["alerts", "--undelivered"])
    words = " ".join(waiting.split())
    assert "next 16:14" in words and "AT UTC" in words and "15:44" in words
    assert ("main: balance 4.20 USD is below 10.00 " * 3).strip() in words
    assert ("(last error: " + "HTTP 502 from the webhook " * 3).strip() + " )" in words


def test_report_services_and_undelivered_piped_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    seeded(tmp_path)
    report, _ = run(["report", "--since", "3650d"], monkeypatch, False)
    assert report.splitlines()[2].startswith("main   1        " + LONG[:31] + "…  2 ")
    services, _ = run(["services"], monkeypatch, False)
    assert services.splitlines()[0].split()[:4] == ["PANEL", "SERVICE", "NAME", "TYPE"]
    assert "Default" in services and "2026-12-04T15:44:45+00:00" in services
    waiting, _ = run(["alerts", "--undelivered"], monkeypatch, False)
    assert waiting.splitlines()[0].split()[5:8] == ["TRY", "LAST", "ERROR"]
    assert "2026-12-04T15:44:45+00:00  balance_low  webhook" in waiting
    assert "next 2026-12-04T16:14:00+00:00" in waiting


def test_history_says_since_when_an_order_is_not_polled_short(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    seeded(tmp_path)
    history, _ = run(["history", "624030"], monkeypatch, True)
    assert "not polled since 15:44 UTC: untracked by you (by hand)" in history
    history, _ = run(["history", "624030"], monkeypatch, False)
    assert "not polled since 2026-12-04T15:44:45+00:00: untracked" in history


def test_the_notes_of_orders_balance_and_services_say_times_short(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    seeded(tmp_path)
    _, note = run(["services"], monkeypatch, True)
    assert "does not support refill (learned Dec 03 22:17 UTC: it answers" in note
    _, note = run(["services"], monkeypatch, False)
    assert "(learned 2026-12-03T22:17:05+00:00: it answers" in note
    for command in ("orders", "balance"):
        _, note = run([command], monkeypatch, True)
        assert "the API key is refused since Dec 03 22:17 UTC" in note
        _, note = run([command], monkeypatch, False)
        assert "the API key is refused since 2026-12-03T22:17:05+00:00" in note


def test_report_on_a_terminal_of_orders_with_no_currency_shows_the_spend(tmp_path, monkeypatch):
    # A panel whose answers name no currency: CUR "-" in every row, left out,
    # and SPEND had no currency to say: a traceback instead of the scorecard.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    path = seeded(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET currency = NULL")
    shown, _ = run(["report", "--since", "3650d"], monkeypatch, True)
    assert widest(shown) <= 80 and LONG in " ".join(shown.split())
    head = shown.splitlines()[1].split()
    assert head[-1] == "SPEND" and "CUR" not in head


def test_orders_tracked_without_a_service_are_named_so_not_service_none():
    # `track ID` without --service stores no service: the terminal's line read
    # "main service None: (name not synced)"; piped, the SERVICE cell is "-".
    text = _table([scorecard_row(None, None, orders=6, open=0)], TERMINAL)
    assert text.splitlines()[1] == (
        "main, service not recorded (tracked without --service) (6 orders)"
    )
    assert "None" not in text
