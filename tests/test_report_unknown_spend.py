"""`report`'s text, a service whose charges are no finite number (infinity,
text or bytes a hand edit or an older version stored): `--json` says
"spend": null and `orders` shows such a charge as "-", but the table said
0.00 ("it cost nothing"). It says "-" now, as `orders` does, and a spend
partly unknown gives its known sum (what `--json` says) and how many
charges it leaves out: "2.50 USD + 1 unknown"."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from test_dashboard_cards import orders_db
from test_wide_report import run

from tracker.cli.main import main

INF = float("inf")
# (order_id, service, charge, currency)
ORDERS = [
    (1, 10, INF, "USD"),  # service 10: every charge unknown
    (2, 10, "abc", "USD"),
    (3, 10, b"\x00", "USD"),
    (4, 20, 2.5, "USD"),  # service 20: one known, one unknown
    (5, 20, "zz", "usd"),
    (6, 30, INF, None),  # service 30: unknown, no currency said
    (7, 40, 1.0, "USD"),  # service 40: known
    (8, 50, 1.25, "EUR"),  # service 50: EUR known, USD unknown
    (9, 50, INF, "USD"),
]


def _database(tmp_path: Path, orders: list[tuple[int, int, object, str | None]] = ORDERS) -> Path:
    path = orders_db(tmp_path / "t.db", [("p", o, c, cur) for o, _, c, cur in orders])  # type: ignore[misc]
    with sqlite3.connect(path) as db:
        for order_id, service, _, _ in orders:
            db.execute("UPDATE orders SET service = ? WHERE order_id = ?", [service, order_id])
    return path


def _lines(text: str) -> dict[str, str]:
    """The piped table's rows by service."""
    return {line.split()[1]: line for line in text.splitlines()[2:]}


def test_report_piped_says_an_unknown_spend_as_orders_says_a_charge(tmp_path):
    path = _database(tmp_path)
    result = CliRunner().invoke(main, ["report", "--database", str(path)])
    assert result.exit_code == 0, result.output
    rows = _lines(result.stdout)
    assert rows["10"].endswith(" - USD"), rows  # was 0.00 USD
    assert rows["20"].endswith(" 2.50 USD + 1 unknown"), rows  # was 2.50 USD
    assert rows["30"].endswith(" -"), rows  # was 0.00
    assert rows["40"].endswith(" 1.00 USD"), rows
    assert rows["50"].endswith(" 1.25 EUR, - USD"), rows  # was 1.25 EUR
    assert "0.00" not in result.stdout
    assert "inf" not in result.stdout.lower() and "nan" not in result.stdout.lower()
    shown = CliRunner().invoke(main, ["orders", "--database", str(path)]).stdout
    assert [line.split()[3] for line in shown.splitlines()[1:] if line.split()[1] == "1"] == ["-"]


def test_report_json_gives_the_known_sum_the_text_gives(tmp_path):
    path = _database(tmp_path)
    result = CliRunner().invoke(main, ["report", "--json", "--database", str(path)])
    spends = {s["service"]: s["spend"] for s in json.loads(result.stdout)["services"]}
    assert spends[10] is None and spends[30] is None
    assert spends[20] == 2.5  # the text's "2.50 USD + 1 unknown"


def test_report_on_a_terminal_says_an_unknown_spend(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    path = _database(tmp_path, ORDERS[:-2])  # one currency a service: SPEND and CUR apart
    shown, _ = run(["report", "--database", str(path)], monkeypatch, True)
    lines = shown.splitlines()
    figures = {
        line.split()[2].rstrip(":"): lines[at + 1].split()
        for at, line in enumerate(lines)
        if " service " in line
    }
    # Service 30's currency unknown: no "SPEND USD" over it, each spend its own (ux163).
    assert lines[1].split()[-1] == "SPEND", shown
    assert figures["10"][-2:] == ["-", "USD"], shown  # was 0.00
    assert figures["20"][-5:] == ["2.50", "USD", "+", "1", "unknown"], shown  # was 2.50
    assert figures["40"][-2:] == ["1.00", "USD"], shown
    assert figures["30"][-2:] == ["0%", "-"], shown  # no currency: none said
    assert "0.00" not in shown and "inf" not in shown.lower()


def _terminal(tmp_path, monkeypatch, orders) -> tuple[list[str], dict[str, list[str]]]:
    """`report` on an 80-column terminal: its lines, and each service's figures."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    shown, _ = run(["report", "--database", str(_database(tmp_path, orders))], monkeypatch, True)
    lines = shown.splitlines()
    return lines, {
        line.split()[2].rstrip(":"): lines[at + 1].split()
        for at, line in enumerate(lines)
        if " service " in line
    }


def test_report_names_no_currency_in_its_header_over_a_spend_whose_currency_is_unknown(
    tmp_path, monkeypatch
):
    # Service 60's charge came with no currency: "SPEND USD" over its 2.00 read as dollars.
    orders = [(7, 40, 1.0, "USD"), (10, 60, 2.0, None)]
    lines, figures = _terminal(tmp_path, monkeypatch, orders)
    head = next(line for line in lines if line.startswith("  DONE "))  # under the ranking's words
    assert head.split()[-1] == "SPEND", lines  # was SPEND USD
    assert figures["40"][-2:] == ["1.00", "USD"], lines  # its currency in its cell
    assert figures["60"][-2:] == ["0%", "2.00"], lines  # none said: none written
    piped, _ = run(["report", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert _lines(piped)["60"].endswith(" 2.00") and _lines(piped)["40"].endswith(" 1.00 USD")
    told = json.loads(
        CliRunner().invoke(main, ["report", "--json", "--database", str(tmp_path / "t.db")]).stdout
    )["services"]
    assert {(s["service"], s["spend"], s["currency"]) for s in told} == {
        (40, 1.0, "USD"),
        (60, 2.0, None),
    }


def test_report_keeps_one_currency_in_its_header_over_nothing_spent(tmp_path, monkeypatch):
    # A service charged nothing (no currency given either) spent 0.00 in any
    # currency; one no charge is said of yet, "-" (ux187: was 0.00), in none.
    orders = [(7, 40, 1.0, "USD"), (11, 70, None, None), (12, 90, 0.0, None)]
    lines, figures = _terminal(tmp_path, monkeypatch, orders)
    assert lines[1].split()[-2:] == ["SPEND", "USD"], lines
    assert figures["40"][-1] == "1.00" and figures["70"][-1] == "-", lines
    assert figures["90"][-1] == "0.00", lines


def test_report_ranks_spends_in_no_currency_after_those_in_the_one_known(tmp_path, monkeypatch):
    # One currency known beside spends in none: 2.00 (unsaid) ranked above
    # 1.00 USD by the bare number; now the USD ones first, highest first,
    # then those in no currency said, then those that spent nothing.
    orders = [(7, 40, 1.0, "USD"), (10, 60, 2.0, None), (12, 80, 0.5, "USD"), (11, 70, None, None)]
    lines, figures = _terminal(tmp_path, monkeypatch, orders)
    assert list(figures) == ["40", "80", "60", "70"], lines  # was 60, 40, 80, 70
    said = " ".join(" ".join(lines[:2]).split())  # wrapped at 80 columns
    assert said.endswith("highest spend first in USD, then those in no currency said"), lines
    piped, _ = run(["report", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert list(_lines(piped)) == ["40", "80", "60", "70"], piped
    assert piped.splitlines()[0].endswith(
        "highest spend first in USD, then those in no currency said"
    )
    one, _ = run(
        ["report", "--panel", "p", "--database", str(tmp_path / "t.db")], monkeypatch, False
    )
    assert one.splitlines()[0].endswith(
        ", highest spend first in USD, then those in no currency said"
    )


def test_report_in_two_currencies_names_the_spends_in_none_on_its_first_line(tmp_path, monkeypatch):
    # RUB and USD services beside one whose charges came with no currency:
    # ranked after both, but the first line named RUB and USD alone (ux173).
    orders = [(7, 40, 1.0, "USD"), (10, 60, 2.0, None), (12, 80, 5.0, "RUB")]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    path = _database(tmp_path, orders)
    piped, _ = run(["report", "--database", str(path)], monkeypatch, False)
    assert list(_lines(piped)) == ["80", "40", "60"], piped
    assert piped.splitlines()[0].endswith(
        ", highest spend first in each currency: RUB, then USD, then those in no currency said"
    ), piped
    shown, _ = run(["report", "--database", str(path)], monkeypatch, True)
    said = " ".join(" ".join(shown.splitlines()[:2]).split())  # wrapped at 80 columns
    assert "RUB, then USD, then those in no currency said" in said, shown
