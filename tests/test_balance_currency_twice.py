"""A balance answer giving ``currency`` twice, differently (JSON with a key
given twice, as a hand-built panel script can write): neither currency is
believed, and the panel's two ways of stating it are said.

Before, the balance was stored with no currency and nothing said why (the
automation held a cap's re-orders, "the balance names no currency")."""

from __future__ import annotations

import sqlite3

from hostile import Reply
from simconfig import scripted_panel

TWICE = b'{"balance": "5.00", "currency": "USD", "currency": "EUR"}'


def test_a_currency_given_twice_is_said_with_both_values_and_stored_as_none(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, "sim-key-Twice77") as (_, replies, cli):
        replies["balance"] = Reply(TWICE, 200)
        runs = [cli("--log-level", "debug", "run", "--once", "--all") for _ in range(2)]
    assert [run.exit_code for run in runs] == [0, 0], runs[0].output
    said = [[ln for ln in r.stderr.splitlines() if "balance_currency_twice" in ln] for r in runs]
    assert len(said[0]) == 1 and "warning" in said[0][0]
    assert "currencies=['USD', 'EUR']" in said[0][0]
    # An earlier run told it: the next says it at debug (cron mails it no more).
    assert len(said[1]) == 1 and "debug" in said[1][0]
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = list(db.execute("SELECT balance, currency FROM balances"))
    assert stored == [(5.0, None), (5.0, None)]  # neither currency believed
