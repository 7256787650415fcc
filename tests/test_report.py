"""`smm-tracker report`: the scorecard in the terminal, over the simulator's story."""

from __future__ import annotations

import json
import re
import sqlite3
import statistics

import pytest
from click.testing import CliRunner
from scorecard_world import build

from tracker.cli.main import main
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_TIKTOK
from tracker.store.orders import Store

PANEL = '[[panels]]\nname = "sim"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "UNSET_KEY"\n'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    w, known = build(tmp_path_factory.mktemp("report"))
    yield w, known
    w.close()


def view_rows(path) -> list[dict]:
    """The view's rows, its spend_by_currency JSON text read (as --json prints it)."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM service_scorecard")]
    finally:
        conn.close()
    return [{**r, "spend_by_currency": json.loads(r["spend_by_currency"])} for r in rows]


def test_json_is_the_scorecard_view_for_the_default_30_days(built):
    w, _ = built
    result = w.cli("report", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["panel"] is None and data["since"] < data["until"]
    assert data["services"] == view_rows(w.store.path)
    assert [r["service"] for r in data["services"]] == [
        SERVICE_TIKTOK,
        SERVICE_FOLLOWERS,
        SERVICE_LIKES,
    ]


def test_table_sorted_by_spend_with_shares_times_and_refills(built):
    w, _ = built
    result = w.cli("report")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("orders first seen since ") and "(30d)" in lines[0]
    assert lines[1].split()[:4] == ["PANEL", "SERVICE", "NAME", "ORDERS"]
    assert [line.split()[1] for line in lines[2:]] == ["4", "1", "2"]
    followers = lines[3]
    # 8 orders, 1 open; 62.5% Completed, 12.5% Partial; median 8h, p90 9h36m; 5 asked, 5 accepted,
    # 1 completed; 1 of 5 Completed orders needed a refill; 5.85 USD
    for cell in ("8", "63%", "13%", "8h", "9h36m", "5/5/1", "20%", "5.85 USD"):
        assert f" {cell} " in f" {followers} "


def test_since_widens_the_window(built):
    w, known = built
    data = json.loads(w.cli("report", "--since", "60d", "--json").output)
    followers = next(r for r in data["services"] if r["service"] == SERVICE_FOLLOWERS)
    assert followers["orders"] == 9  # the 40-day-old order too
    data = json.loads(w.cli("report", "--since", "1d", "--json").output)
    assert [(r["service"], r["orders"]) for r in data["services"]] == [(SERVICE_FOLLOWERS, 1)]


def test_since_in_weeks_is_the_window_of_its_days(built):
    # `report --since 2w` was refused ("'2w' is not a duration").
    w, _ = built
    weeks = w.cli("report", "--since", "8w")
    assert weeks.exit_code == 0, weeks.output
    assert "(8w)" in weeks.output.splitlines()[0]
    days = json.loads(w.cli("report", "--since", "56d", "--json").output)
    weeks_json = json.loads(w.cli("report", "--since", "8w", "--json").output)
    assert weeks_json["services"] == days["services"]


def test_database_option_needs_no_config_and_panel_filters(built, tmp_path, monkeypatch):
    w, _ = built
    monkeypatch.chdir(tmp_path)  # no tracker.toml here
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--database", str(w.store.path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["services"] == view_rows(w.store.path)
    result = runner.invoke(main, ["report", "--database", str(w.store.path), "--panel", "sim"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("orders first seen since ") and " on sim, " in result.output
    result = runner.invoke(
        main, ["report", "--database", str(w.store.path), "--panel", "sim", "--since", "1s"]
    )
    assert result.exit_code == 0
    assert result.stderr == "no orders first seen in the last 1s on sim\n"


def test_database_option_with_a_panel_it_holds_no_order_of_is_exit_2(built, tmp_path):
    w, _ = built
    # Without a config there is no list of panels: the database's orders are the list.
    args = ["report", "--database", str(w.store.path), "--panel", "nope"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output == (
        f"smm-tracker: --panel: no panel named 'nope' in {w.store.path} (its orders are on: sim)\n"
    )
    empty = tmp_path / "empty.db"
    Store(empty).close()
    result = CliRunner().invoke(main, ["report", "--database", str(empty), "--panel", "sim"])
    assert result.exit_code == 2
    assert result.output.endswith(f"in {empty} (it holds no orders)\n")
    # Every panel, as without --panel: an empty database has nothing to report.
    result = CliRunner().invoke(main, ["report", "--database", str(empty)])
    assert (result.exit_code, result.stdout) == (0, "")


def test_a_missing_database_is_exit_1_like_every_read_command(built, tmp_path):
    # README "Read commands only read": without a database, one line and exit 1.
    w, _ = built
    for args in (["--database", str(tmp_path / "missing.db")], []):
        config = tmp_path / "none.toml"
        config.write_text(f'[database]\npath = "{tmp_path / "none.db"}"\n' + PANEL)
        result = CliRunner().invoke(main, ["--config", str(config), "report", *args])
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"smm-tracker: no database at {tmp_path}/")
        assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "5 parsecs"], "smm-tracker: --since: '5 parsecs' is not a duration"),
        (["--since", "0s"], "smm-tracker: --since: must be longer than 0s"),
        (["--panel", "nope"], "smm-tracker: "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(built, args, message):
    w, _ = built
    result = w.cli("report", *args)
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1


def report_of_edited_copy(built, tmp_path, *edits: tuple[str, list]) -> str:
    """Copy the built database, run ``edits`` (SQL, params) on the copy, and
    return ``report --since 3650d``'s output over it (exit 0 asserted)."""
    w, _ = built
    copy = tmp_path / "copy.db"
    source, conn = sqlite3.connect(w.store.path), sqlite3.connect(copy)
    source.backup(conn)  # the live database is in WAL mode: a file copy may miss pages
    source.close()
    with conn:
        for sql, params in edits:
            conn.execute(sql, params)
    conn.close()
    result = CliRunner().invoke(main, ["report", "--database", str(copy), "--since", "3650d"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_completion_before_first_seen_is_shown_not_a_traceback(built, tmp_path):
    # The wall clock set back between first seen and completed.
    shown = report_of_edited_copy(
        built,
        tmp_path,
        (
            "UPDATE orders SET completed_at = datetime(created_at, '-2 days') "
            "WHERE completed_at IS NOT NULL",
            [],
        ),
    )
    assert "Traceback" not in shown


def test_spend_keeps_every_decimal_as_the_dashboard_and_orders_show_it(built, tmp_path):
    # 0.075 is 0.0749... as a float: '0.07' here and '0.08' on the dashboard;
    # then both '0.08' where `orders` shows 0.075 (money63): now '0.075' everywhere.
    shown = report_of_edited_copy(
        built,
        tmp_path,
        ("UPDATE orders SET charge = 0", []),
        (
            "UPDATE orders SET charge = 0.075 WHERE rowid = "
            "(SELECT min(rowid) FROM orders WHERE service = ?)",
            [SERVICE_LIKES],
        ),
    )
    assert "0.075" in shown and "0.08" not in shown, shown


def test_times_are_a_persons_figures_not_to_the_second(built, tmp_path):
    shown = report_of_edited_copy(
        built,
        tmp_path,
        (
            "UPDATE orders SET completed_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
            "completed_at, '+19 seconds') WHERE completed_at IS NOT NULL",
            [],
        ),
    )
    assert not re.search(r"\dh\d+m\d+s|\dh\d+s", shown), shown


def test_completions_stamped_before_first_seen_are_no_time_to_deliver(built, tmp_path):
    # The clock set back between first seen and completed: such a completion
    # read as -3600 s, and the median of the service as a negative time.
    w, _ = built
    copy = tmp_path / "copy.db"
    report_of_edited_copy(
        built,
        tmp_path,
        (
            "UPDATE orders SET completed_at = datetime(created_at, '-1 hour') "
            "WHERE service = ? AND completed_at IS NOT NULL",
            [SERVICE_LIKES],
        ),
        (
            "UPDATE orders SET completed_at = datetime(created_at, '-1 hour') WHERE rowid = "
            "(SELECT min(rowid) FROM orders WHERE service = ? AND status = 'Completed')",
            [SERVICE_FOLLOWERS],
        ),
    )
    conn = sqlite3.connect(copy)
    kept = [
        seconds
        for (seconds,) in conn.execute(
            "SELECT completion_seconds FROM order_overview WHERE service = ? "
            "AND status = 'Completed' AND completion_seconds >= 0 "
            "AND first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')",
            [SERVICE_FOLLOWERS],
        )
    ]
    in_view = {
        service: (median, p90)
        for service, median, p90 in conn.execute(
            "SELECT service, median_completion_seconds, p90_completion_seconds "
            "FROM service_scorecard"
        )
    }
    conn.close()
    result = CliRunner().invoke(main, ["report", "--database", str(copy), "--json"])
    reported = {
        r["service"]: (r["median_completion_seconds"], r["p90_completion_seconds"])
        for r in json.loads(result.stdout)["services"]
    }
    assert len(kept) >= 2
    expected_median = statistics.median(kept)
    expected_p90 = statistics.quantiles(kept, n=10, method="inclusive")[-1]
    for figures in (in_view, reported):
        assert figures[SERVICE_LIKES] == (None, None)  # none Completed after first seen
        median, p90 = figures[SERVICE_FOLLOWERS]
        assert median == pytest.approx(expected_median) and p90 == pytest.approx(expected_p90)


def test_a_row_without_a_name_says_dash_piped_as_every_missing_cell(built, tmp_path):
    # The NAME of orders tracked without --service, and of a service never
    # synced, was an empty cell: the only blank in a piped table, where
    # every other missing value reads "-" (`awk '$3 == "-"'` found nothing).
    shown = report_of_edited_copy(
        built,
        tmp_path,
        ("UPDATE orders SET service = NULL WHERE service = ?", [SERVICE_LIKES]),
        ("DELETE FROM services WHERE service = ?", [SERVICE_TIKTOK]),
    )
    rows = {line.split()[1]: line.split() for line in shown.splitlines()[2:]}
    assert set(rows) == {"-", str(SERVICE_TIKTOK), str(SERVICE_FOLLOWERS)}, shown
    assert rows["-"][2] == "-" and rows[str(SERVICE_TIKTOK)][2] == "-", shown
    assert rows["-"][3].isdigit() and rows[str(SERVICE_TIKTOK)][3].isdigit()  # ORDERS next
