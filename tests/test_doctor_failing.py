"""`doctor` says when a panel's status polls are failing: the panel may
answer `balance` (doctor's own call, ok) while every status call fails, and
`orders` sends the user to doctor for why. One warn line per panel quoting
the episode's alert (doctor still passes), gone once the polls answer;
through the real CLI in-process against the simulated panel on loopback."""

from __future__ import annotations

import sqlite3

from simconfig import LaterRuns, cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Failing4Doctor2Zp"
UNKNOWN_TO_THE_PANEL = ["900001", "900002"]  # tracked by mistake: no order it knows


def test_doctor_says_why_status_polls_fail(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        config = sim_config(server.url) + '[alerts]\nunreachable_after = "1s"\n'
        cli = cli_in(tmp_path, monkeypatch, config)
        later = LaterRuns(monkeypatch)
        monkeypatch.setenv("SIM_KEY", KEY)
        assert cli("track", *UNKNOWN_TO_THE_PANEL).exit_code == 0
        assert cli("run", "--once").exit_code == 1
        later.advance(1.2)  # the next run past unreachable_after: status_failing raised
        assert cli("run", "--once").exit_code == 1
        assert "smm-tracker doctor" in cli("orders").output
        doctor = cli("doctor")
        assert doctor.exit_code == 0  # a warning: the setup itself is sound
        lines = [line for line in doctor.output.splitlines() if line.startswith("warn panel sim")]
        assert len(lines) == 1, doctor.output
        assert lines[0].startswith("warn panel sim: status polls have failed since 20")
        assert "every order asked was refused: Incorrect order ID" in lines[0]

        # Polls that answer end it: no line.
        real = panel.seed_orders(1, status="In progress")
        assert cli("untrack", *UNKNOWN_TO_THE_PANEL).exit_code == 0
        assert cli("track", str(real[0])).exit_code == 0
        assert cli("run", "--once").exit_code == 0
        assert "warn panel sim" not in cli("doctor").output
    finally:
        server.stop()


def test_doctor_dates_the_alert_it_quotes(tmp_path, monkeypatch):
    """Operator's week (walkd99): 13 minutes into an outage, with the panel's
    url changed meanwhile, doctor said `warn panel slow: every call has
    failed since 22:36:08: slow: unreachable, every call has failed for
    1m56s; last error (status): 'no answer from 127.0.0.1:27312 within
    20s'`: the alert of 22:38:04 quoted as if it were now, its "for 1m56s"
    and its error (of the old url) read as the state of things. The quote
    now says when the alert said it."""
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        config = sim_config(server.url) + '[alerts]\nunreachable_after = "1s"\n'
        cli = cli_in(tmp_path, monkeypatch, config)
        later = LaterRuns(monkeypatch)
        monkeypatch.setenv("SIM_KEY", KEY)
        assert cli("track", *UNKNOWN_TO_THE_PANEL).exit_code == 0
        assert cli("run", "--once").exit_code == 1
        later.advance(1.2)
        assert cli("run", "--once").exit_code == 1
        with sqlite3.connect(tmp_path / "t.db") as db:
            (at,) = db.execute("SELECT at FROM alerts WHERE kind = 'status_failing'").fetchone()
        doctor = cli("doctor")
        (line,) = [line for line in doctor.output.splitlines() if line.startswith("warn panel sim")]
        assert f"; its alert at {at}: sim: status checks have left orders unchecked" in line
    finally:
        server.stop()
