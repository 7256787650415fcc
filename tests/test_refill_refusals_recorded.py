"""`refill ID` refused by a panel lacking the refill action: every refusal is
recorded where the automatic refills' are (the ``refills`` table), and shown
by `history ID` and `refills`. The first one, the first in a row (a flaky
panel's, maybe: not learned), was "nothing recorded" where a `--force`d
second one was recorded."""

from __future__ import annotations

import sqlite3

from hostile import json_reply
from simconfig import scripted_panel

KEY = "wire-key-Refills63RecordQ"
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}


def _refills(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        sql = "SELECT order_id, refill_id, status, error, source FROM refills ORDER BY id"
        return list(db.execute(sql))


def _asked(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute("SELECT requested_at FROM refills ORDER BY id DESC LIMIT 1"))


def test_both_refusals_of_a_refill_by_hand_are_recorded_and_shown(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        assert cli("track", "5").exit_code == 0
        assert cli("run", "--once").exit_code == 0
        replies["refill"] = json_reply({"error": "Incorrect request"})
        first = cli("refill", "5")
        assert first.exit_code == 1
        assert "smm-tracker: order 5: the panel refused the refill: sim: refill: Incorrect " in (
            first.stderr
        )
        assert "nothing recorded" not in first.stderr
        assert _refills(tmp_path) == [(5, None, "Refused", "Incorrect request", "manual")]
        history = cli("history", "5")
        assert "refills: 1 requested, the newest Refused (requested " in history.stdout
        listed = cli("refills", "--order", "5").stdout.splitlines()
        assert len(listed) == 2 and listed[1].split()[:4] == ["sim", "5", "-", "Refused"]
        assert listed[1].endswith("manual  Incorrect request")
        # Recorded as every refusal is: inside refill.cooldown, asked again with --force.
        again = cli("refill", "5")
        assert again.exit_code == 1 and "inside refill.cooldown" in again.stderr
        forced = cli("refill", "--force", "5")  # refused so again: refill learned missing
        assert forced.exit_code == 1 and "sim does not support refill" in forced.stderr
        assert _refills(tmp_path) == [(5, None, "Refused", "Incorrect request", "manual")] * 2
        history = cli("history", "5")
        assert "refills: 2 requested, the newest Refused (requested " in history.stdout
        (asked,) = {row[0] for row in _asked(tmp_path)}  # refused with its words: said
        assert history.stdout.splitlines()[-1] == (
            "no automatic refill request: sim does not support refill, as learned (inside"
            f" refill.cooldown since its last request (the panel refused it {asked}: Incorrect"
            " request): smm-tracker refill 5 --force asks anyway)"
        )
        assert len(cli("refills", "--order", "5").stdout.splitlines()) == 3
