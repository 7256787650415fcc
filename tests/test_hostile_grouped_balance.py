"""A balance written with the digit grouping of the panel's country, through
the real CLI and a scripted panel on loopback: India's lakh and crore
("1,23,456.78": a first group of three, then twos, as INR panels write it
with NumberFormatter('en_IN') or the usual moneyFormatIndia()), and
Switzerland's apostrophe ("1'234.56", "1’234.56": de_CH).

Neither was read: the balance check failed at every run ("failed jobs:
balance"), so no balance was ever stored, no low-balance alert could be
raised and no runway shown. Both are now read as the amount they write;
a grouping no writer uses stays unreadable, never a guess."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from hostile import json_reply
from simconfig import scripted_panel

KEY = "hostile-key-GroupedBalance5Wz"


@pytest.mark.parametrize(
    ("written", "currency", "read"),
    [
        ("1,23,456.78", "INR", 123456.78),
        ("12,34,56,789.5", "INR", 123456789.5),
        ("1'234.56", "CHF", 1234.56),
        ("1\u2019234\u2019567.05", "CHF", 1234567.05),
    ],
)
def test_a_balance_grouped_as_its_country_writes_it_is_read(
    tmp_path, monkeypatch, written, currency, read
):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["balance"] = json_reply({"balance": written, "currency": currency})
        run = cli("run", "--once")
        shown = cli("balance")
    assert "Traceback" not in run.output
    failed = run.output.partition("failed jobs:")[2].partition("\n")[0]
    assert "balance" not in failed, run.output
    assert f"balance {read:.2f} {currency}" in run.output, run.output
    assert f"{read:.2f} {currency}" in shown.output, shown.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("SELECT balance, currency FROM balances").fetchall() == [(read, currency)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,23", Decimal("1.23")),  # one decimal comma, as ever
        ("1,234", Decimal("1234")),  # thousands, as ever
        ("1,23,45", None),  # no lakh writer ends on a group of two
        ("123,45,678", None),  # nor starts with three before twos
        ("1,23,4567", None),
        ("1'23.5", None),  # an apostrophe groups threes alone
        ("1'234,56", Decimal("1234.56")),
        ("'1234", None),
    ],
)
def test_only_groupings_a_writer_uses_are_read(text, expected):
    from tracker.panel.values import to_balance

    assert to_balance(text) == expected
