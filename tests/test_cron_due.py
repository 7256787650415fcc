"""``run --once --due`` from a crontab line: each run a fresh process that
starts only the jobs whose interval has passed since their last successful
``run --once`` (``job_runs``), the poll always; plain ``run --once`` still
runs every job. Through the real CLI against the simulated panel, whose
``calls`` count what each run asked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from simconfig import cli_in, sim_config

from tracker.rules.due import is_due, not_due
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Cron11Due4Every"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """Yield (panel, cli): a running simulator and the CLI configured for it."""
    panel = SimulatedPanel(key=KEY, seed=11, speed=60.0, quirks=False)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield panel, cli
    server.stop()


def asked(panel: Any, run: Any) -> dict[str, int]:
    """Run ``run()`` and return the panel's calls it made, by action."""
    before = dict(panel.calls)
    run()
    counts = {a: n - before.get(a, 0) for a, n in panel.calls.items() if ":" not in a}
    return {action: count for action, count in counts.items() if count}


def test_a_cron_minute_asks_only_the_poll_once_the_other_jobs_ran(sim: Any) -> None:
    panel, cli = sim
    assert cli("track", *map(str, panel.seed_orders(2, status="In progress"))).exit_code == 0
    results = []

    def run(*args: str) -> Any:
        results.append(cli("run", "--once", *args))
        assert results[-1].exit_code == 0, results[-1].output
        return results[-1]

    first = asked(panel, lambda: run("--due"))  # nothing ran yet: every job
    assert {"status", "services", "balance"} <= set(first)
    again = asked(panel, lambda: run("--due", "--all"))  # a minute later, say
    # Before: --due was no option (exit 2); plain --once synced the whole
    # catalogue and asked the balance at every cron minute.
    assert set(again) == {"status"}
    last = results[-1].stdout.strip().splitlines()[-1]
    assert last.startswith("sim: 2 checked, 0 changed, 0 refills asked, balance ")
    assert last.endswith("; not due: services, refill, automation, balance")
    # Plain run --once is as documented: every job once, now.
    assert {"status", "services", "balance"} <= set(asked(panel, lambda: run("--all")))


def test_a_job_runs_again_once_its_interval_has_passed(sim: Any, tmp_path: Path) -> None:
    panel, cli = sim
    assert cli("run", "--once", "--due").exit_code == 0
    # services_every is 6h by default, balance_every 15m: the catalogue was
    # synced 7 hours ago, the balance asked a minute ago.
    with sqlite3.connect(tmp_path / "t.db") as db:
        (ran,) = db.execute("SELECT ran_at FROM job_runs WHERE kind = 'services'").fetchone()
        earlier = datetime.fromisoformat(ran) - timedelta(hours=7)
        db.execute("UPDATE job_runs SET ran_at = ? WHERE kind = 'services'", [earlier.isoformat()])
    result: list[Any] = []
    calls = asked(panel, lambda: result.append(cli("run", "--once", "--due")))
    assert result[0].exit_code == 0, result[0].output
    assert "services" in calls and "balance" not in calls
    assert result[0].stdout.strip().endswith("; not due: refill, automation, balance")


def test_a_job_that_failed_is_due_at_the_next_run(sim: Any) -> None:
    panel, cli = sim
    panel.inject("json500", count=1, action="balance")
    failed = cli("run", "--once", "--due")
    assert failed.exit_code == 1
    # (The refill round may have waited too, the panel's calls failing: held.)
    assert failed.stdout.partition("; failed jobs: ")[2].partition(";")[0].strip() == "balance"
    result: list[Any] = []
    calls = asked(panel, lambda: result.append(cli("run", "--once", "--due")))
    assert result[0].exit_code == 0, result[0].output
    assert "balance" in calls and "services" not in calls
    waiting = result[0].stdout.strip().partition("; not due: ")[2].split(", ")
    assert "services" in waiting and "balance" not in waiting


def test_a_key_refused_under_cron_is_one_alert_saying_the_next_run_tries_it(
    sim: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    # The soak (cron16): a wrong key for a few cron runs. auth_failed told the
    # cron user "A balance check every 15m resumes them; ... reload the tracker
    # (SIGHUP, systemctl reload) or restart it": no daemon runs to reload, and
    # each run (not a check every 15m) tries the key again.
    panel, cli = sim
    monkeypatch.setenv("SIM_KEY", "sim-key-WrongOne000000")
    refused = [cli("run", "--once", "--due") for _ in range(3)]
    assert [r.exit_code for r in refused] == [1, 1, 1]
    assert all("paused (key refused)" in r.stdout or "failed jobs" in r.stdout for r in refused)
    monkeypatch.setenv("SIM_KEY", KEY)  # fixed: the next run reads it
    assert cli("run", "--once", "--due").exit_code == 0
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT kind, message FROM alerts ORDER BY id").fetchall()
    assert [kind for kind, _ in rows] == ["auth_failed", "auth_recovered"]  # once, then once
    message = rows[0][1]
    assert message.startswith("sim: the panel refused the API key (")
    assert "The next run tries the key again" in message
    assert "the next run reads it" in message
    assert "SIGHUP" not in message and "reload" not in message and "every 15m" not in message


def test_a_key_fixed_under_cron_ends_auth_failed_at_the_next_run(
    sim: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    # A key refused to the poll by one cron run, fixed before the next: that
    # run's poll was answered, but auth_failed stayed open (doctor: the key
    # refused; the stall watch held) until the balance job came due, 15m on by
    # default: the process that knew which action refused was gone.
    panel, cli = sim
    ids = panel.seed_orders(2, status="In progress")
    assert cli("track", *map(str, ids)).exit_code == 0
    assert cli("run", "--once", "--due").exit_code == 0  # every job ran: balance not due
    monkeypatch.setenv("SIM_KEY", "sim-key-WrongOne000000")
    assert cli("run", "--once", "--due", "--all").exit_code == 1
    monkeypatch.setenv("SIM_KEY", KEY)
    fixed = cli("run", "--once", "--due", "--all")
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stdout.startswith("sim: 2 checked, ")
    with sqlite3.connect(tmp_path / "t.db") as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM alerts ORDER BY id")]
        (active,) = db.execute(
            "SELECT active FROM alert_state WHERE panel = 'sim' AND kind = 'auth_failed'"
        ).fetchone()
    assert kinds == ["auth_failed", "auth_recovered"] and active == 0


def test_on_a_terminal_the_summary_wraps_at_its_words(sim: Any, monkeypatch: Any) -> None:
    # With --due the line grew to ~110 columns; a terminal of 60 broke it
    # inside a word and went on at column 0. Piped: one line, as scripts read.
    _panel, cli = sim
    assert cli("run", "--once").exit_code == 0
    monkeypatch.setenv("COLUMNS", "60")
    piped = cli("run", "--once", "--due").stdout.strip().splitlines()
    # `run` asks before it loads the screen's module (a pipe needs none of it).
    monkeypatch.setattr("tracker.cli.run_summary.stdout_is_terminal", lambda: True)
    shown = cli("run", "--once", "--due").stdout.strip().splitlines()
    assert len(piped) == 1 and len(piped[0]) > 60
    assert len(shown) > 1 and max(map(len, shown)) <= 60
    assert all(line.startswith("  ") for line in shown[1:])
    assert " ".join(line.strip() for line in shown) == piped[0]


def test_due_goes_with_once(sim: Any) -> None:
    _panel, cli = sim
    result = cli("run", "--due")
    assert result.exit_code == 2
    assert "--due goes with --once" in result.output


# --- the rule, on an injected clock ---------------------------------------------


def test_a_job_is_due_when_its_interval_has_passed_give_or_take_a_cron_start() -> None:
    hour = 3600.0
    assert is_due("services", hour, None, T0)  # never succeeded
    assert not is_due("services", hour, T0, T0 + timedelta(minutes=30))
    # Started at 12:00:00.6, the next run's start 13:00:00.4: due, not at 13:01.
    assert is_due("services", hour, T0, T0 + timedelta(seconds=hour - 0.2))
    assert not is_due("services", hour, T0, T0 + timedelta(seconds=hour - 31))
    assert is_due("status", hour, T0, T0)  # the poll always
    # A run stamped after now: the clock was set back since; due.
    assert is_due("balance", hour, T0 + timedelta(hours=1), T0)
    # A short interval falls short by a tenth at most.
    assert not is_due("balance", 60.0, T0, T0 + timedelta(seconds=53))
    assert is_due("balance", 60.0, T0, T0 + timedelta(seconds=54))


def test_not_due_names_the_jobs_in_their_order() -> None:
    every = {"status:a": 300.0, "services:a": 21600.0, "balance:a": 900.0, "balance:b": 900.0}
    last = {"status:a": T0, "services:a": T0, "balance:a": T0 - timedelta(hours=1)}
    assert not_due(every, last, T0 + timedelta(minutes=1)) == ["services:a"]
