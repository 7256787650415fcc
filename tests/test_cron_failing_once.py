"""What fails at every `run --once` from cron while the panel answers
otherwise, told once per episode across runs, not once a run.

An outage (every call failing) is told once across runs (logs16), and so
is a refused key's pause (ops17). Lines a run judged from calls answered
meanwhile were still said by every run, a mail a minute at ``--log-level
warning``: ``status_failed`` of a panel whose status calls alone fail (the
balance answering ended the outage an earlier run told), and with it the
status call's ``panel_retry`` and ``refill_round_held``; ``balance_failed``
or ``services_failed`` of a job failing alone (a broken action; a balance
refusal whose witness got no answer, the balance call itself answered),
and its call's ``panel_retry``. Each is kept in ``alert_state``
(``status_failing``'s run of failed polls; the job's run of failures under
its line's name): a run finding it going says the lines at debug; the
first run after it ended tells the next one.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dripping import silent
from hostile import HostileServer, json_reply, text_reply
from simconfig import cli_in, sim_config

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is told, not the wait

KEY = "hostile-key-Cron5Fail8Once3"
SERVICES = [{"service": 1, "name": "Likes", "type": "Default", "rate": "0.9", "min": 10}]
PAGE_502 = "<html><head><title>502 Bad Gateway</title></head><body>502</body></html>"
Run = Callable[[], tuple[int, list[str]]]


def _runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *events: str,
    retries: int = 0,
    mode: str = "--all",
    timeout: str = "30s",
) -> Run:
    """Return run(): `run --once --all` (every job, every order; or ``mode``)
    at ``--log-level warning``, returning its exit code and which of
    ``events`` its stderr names, in order. ``timeout``, the panel's: longer
    than the panels below hold a call waiting for the run's other calls
    (their 10 s deadlines); at 1 s a loaded machine timed such a call out,
    and its retry and new words were told again (a flaky failure)."""
    panel = f'retries = {retries}\ntimeout = "{timeout}"\nretry_budget = "10s"'
    config = sim_config(url, panel=panel, key_env="PANEL_KEY")
    cli = cli_in(tmp_path, monkeypatch, config, env={"PANEL_KEY": KEY})
    assert cli("track", "101", "102").exit_code == 0

    def run() -> tuple[int, list[str]]:
        ran = cli("--log-level", "warning", "run", "--once", mode)
        assert KEY not in ran.stderr and "Traceback" not in ran.stderr
        said = [e for line in ran.stderr.splitlines() for e in events if f" {e} " in line]
        return ran.exit_code, said

    return run


@pytest.fixture
def status_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Run]]:
    """Yield (switch, run): a panel whose status calls fail (an HTML 502)
    while balance and services answer, each status call answered once the
    run's balance and services calls were (so that they do not end the
    carried outage after it: the line told at error on the code before);
    ``switch["status"] = True`` makes status answer."""
    switch = {"status": False}
    answered = {"balance": threading.Event(), "services": threading.Event()}

    def respond(form: dict[str, str]) -> Any:
        action = form.get("action")
        if action == "balance":
            answered["balance"].set()
            return json_reply({"balance": "50.00", "currency": "USD"})
        if action == "services":
            answered["services"].set()
            return json_reply(SERVICES)
        if action != "status":
            return json_reply({"error": "Incorrect request"})
        for event in answered.values():  # a deadline: never hangs the test
            event.wait(timeout=10)
        if switch["status"]:
            ids = form.get("orders", form.get("order", "")).split(",")
            return json_reply({i: {"status": "In progress", "remains": "5"} for i in ids})
        return text_reply(PAGE_502, status=502)

    with HostileServer(respond) as server:
        events = ("panel_retry", "status_failed", "refill_round_held")
        run = _runs(tmp_path, monkeypatch, server.url, *events, retries=1)

        def each_run() -> tuple[int, list[str]]:
            for event in answered.values():
                event.clear()
            return run()

        yield switch, each_run


def test_status_calls_failing_alone_are_told_by_the_first_run_of_the_episode_alone(status_alone):
    switch, run = status_alone
    code, said = run()
    # Told (the call's retries given up, the poll failed); and the refill
    # round held, when the run's last call was a failed status call (the
    # client's threads end in either order).
    assert code == 1 and said[:2] == ["panel_retry", "status_failed"]
    assert said[2:] in ([], ["refill_round_held"])
    # The same episode (status_failing's run, in alert_state): at debug.
    # Before: panel_retry and status_failed again at every run,
    # refill_round_held at each run ending on a failed status call.
    assert run() == (1, [])
    assert run() == (1, [])
    switch["status"] = True
    assert run() == (0, [])  # every order checked: the episode ends
    switch["status"] = False
    code, said = run()
    assert code == 1 and said[:2] == ["panel_retry", "status_failed"]  # a new one is told


@pytest.mark.parametrize("action", ["balance", "services"])
def test_a_job_failing_alone_is_told_by_the_first_run_of_its_failures_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    # A panel script's balance (or services) answering HTTP 502 each time
    # while the panel answers its other calls: the job failed at every run,
    # told at every run that had another call answered first.
    broken = {"now": True}
    others = {a: threading.Event() for a in ("balance", "services", "status") if a != action}

    def respond(form: dict[str, str]) -> Any:
        asked = form.get("action", "")
        if asked == action and broken["now"]:
            for event in others.values():  # answered after the others: a deadline
                event.wait(timeout=10)
            return text_reply(PAGE_502, status=502)
        if asked in others:
            others[asked].set()
        if asked == "balance":
            return json_reply({"balance": "50.00", "currency": "USD"})
        if asked == "services":
            return json_reply(SERVICES)
        if asked == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            return json_reply({i: {"status": "In progress", "remains": "5"} for i in ids})
        return json_reply({"error": "No such action"})

    with HostileServer(respond) as server:
        line = f"{action}_failed"
        run = _runs(tmp_path, monkeypatch, server.url, "panel_retry", line, retries=1)

        def each_run() -> tuple[int, list[str]]:
            for event in others.values():
                event.clear()
            return run()

        assert each_run() == (1, ["panel_retry", line])  # told
        assert each_run() == (1, [])  # before: both again, at every run
        assert each_run() == (1, [])
        broken["now"] = False
        assert each_run() == (0, [])  # the job ran: its run of failures ends
        broken["now"] = True
        assert each_run() == (1, ["panel_retry", line])  # a new one is told


def test_a_refusal_whose_witness_is_silent_is_told_by_the_first_balance_run_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # balance refused in words, the services call asked what they mean (and
    # the catalogue's) dripping past its deadline, retried once: the panel's
    # silence. Each such call ends as a drip cut at its deadline does, at
    # once (dripping.silent): 1 s deadlines waited out made it 8 s.
    works = {"now": True}

    def respond(form: dict[str, str]) -> Any:
        action = form.get("action")
        if action == "balance":
            refused = {"error": "Incorrect request"}
            return json_reply({"balance": "5", "currency": "USD"} if works["now"] else refused)
        if action == "services":
            return json_reply(SERVICES)  # while works["now"]: else cut unanswered
        if action == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            return json_reply({i: {"status": "In progress", "remains": "5"} for i in ids})
        return json_reply({"error": "No such action"})

    cut = silent(monkeypatch, "services", when=lambda: not works["now"])
    with HostileServer(respond) as server:
        events = ("panel_retry", "balance_failed", "services_failed")
        run = _runs(tmp_path, monkeypatch, server.url, *events, retries=1)
        assert run() == (0, [])
        works["now"] = False
        # Told: the panel's silence, the catalogue's failure, and a call
        # given up (the other's same error in the same process: at debug).
        silence = (1, sorted(["panel_retry", "balance_failed", "services_failed"]))
        assert sorted_run(run) == silence
        assert run() == (1, [])  # before: balance_failed at error again (and more)
        assert run() == (1, [])
        works["now"] = True
        assert run() == (0, [])  # both jobs ran: their runs of failures end
        works["now"] = False
        assert sorted_run(run) == silence  # silent again: a new run, told
    # Cut: in each of the 4 silent runs, the witness and the catalogue's call, each tried twice.
    assert len(cut) == 4 * 2 * 2


def sorted_run(run: Run) -> tuple[int, list[str]]:
    """Return ``run()`` with the events it said sorted and each said once (the
    jobs run side by side: the second of two calls given up with the same
    error a moment apart may be warned too)."""
    code, said = run()
    return code, sorted(set(said))


def test_a_catalogue_never_synced_is_told_by_the_first_refill_round_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No catalogue was ever synced and `services` fails (an HTML 502): each
    # refill round tries to sync it and says `services_unavailable`, at
    # warning by every run before (a mail a minute under cron).
    # The other calls answered once the run stored the services call's
    # failure (a deadline): a run whose last call failed holds its refill
    # round (refill_round_held), and the services call's failure could come
    # back after their answers when the machine was busy.
    broken = {"now": True}
    stored = threading.Event()  # this run's services failure seen stored

    def services_failed() -> bool:  # a run of failed calls stored (the services call's)
        with sqlite3.connect(tmp_path / "t.db", timeout=5) as db:
            row = db.execute(
                "SELECT since FROM alert_state WHERE panel = 'sim' AND kind = 'panel_unreachable'"
            ).fetchone()
        return bool(row and row[0])

    def respond(form: dict[str, str]) -> Any:
        asked = form.get("action", "")
        if asked == "services":
            return text_reply(PAGE_502, status=502) if broken["now"] else json_reply(SERVICES)
        end = time.monotonic() + 10
        while broken["now"] and not stored.is_set() and time.monotonic() < end:
            if services_failed():  # the first answer after it ends that run: latched
                stored.set()
            else:
                time.sleep(0.01)
        if asked == "balance":
            return json_reply({"balance": "50.00", "currency": "USD"})
        if asked == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            return json_reply({i: {"status": "In progress", "remains": "5"} for i in ids})
        return json_reply({"error": "No such action"})

    with HostileServer(respond) as server:
        runs = _runs(tmp_path, monkeypatch, server.url, "services_unavailable")

        def run() -> tuple[int, list[str]]:
            stored.clear()
            return runs()

        assert run() == (1, ["services_unavailable"])  # told
        assert run() == (1, [])  # before: again, at every run
        assert run() == (1, [])
        broken["now"] = False
        assert run() == (0, [])  # the catalogue synced: its run of failures ends
        with sqlite3.connect(tmp_path / "t.db") as db:  # none again, as a new panel's
            db.execute("DELETE FROM services")
        broken["now"] = True
        assert run() == (1, ["services_unavailable"])  # a new one is told
