"""A SIGTERM or a Ctrl-C to a command that writes, come mid-way: what is
stored is whole, what is said is what was done, one line, 143 or 130.

Once its modules loaded, a SIGTERM (a cron job's timeout, systemd stopping
the unit) killed `prune`, `track` or `untrack` by its default action: exit
-15, no line, a prune between batches never saying what it had deleted. And
a Ctrl-C just after a prune batch committed, before it was counted, said
fewer rows deleted than were. Each stop comes from the process itself, at
the moment chosen (a patched function in a `python -c` child), no timing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from simconfig import SOURCE, sim_config
from test_prune import _many

SIGNALS = [(signal.SIGTERM, 143, "stopped by SIGTERM"), (signal.SIGINT, 130, "interrupted")]
OFFLINE = "http://127.0.0.1:9/api/v2"  # no command here calls the panel

# The real CLI, MODULE.NAME wrapped: the signal sent once its AT-th call returned.
AFTER_CALL = """
import importlib, os, sys
module = importlib.import_module({module!r})
real, calls = getattr(module, {name!r}), []
def stopping(*args, **kwargs):
    out = real(*args, **kwargs)
    calls.append(1)
    if len(calls) == {at}:
        os.kill(os.getpid(), {signum})
    return out
setattr(module, {name!r}, stopping)
from tracker.cli.main import main
main({args!r}, prog_name="smm-tracker")
"""
# The same, the signal sent as a write's second chunk of IDs is taken, mid-transaction.
IN_CHUNKS = """
import os
from tracker.store import {module} as module
real = module.chunks
def chunks(*args, **kwargs):
    for n, chunk in enumerate(real(*args, **kwargs)):
        if n == 1:
            os.kill(os.getpid(), {signum})
        yield chunk
module.chunks = chunks
from tracker.cli.main import main
main({args!r}, prog_name="smm-tracker")
"""


def _child(
    tmp_path, script: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=120,
    )


def _count(db, sql: str) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute(sql).fetchone()[0])


@pytest.mark.parametrize(("signum", "code", "said"), SIGNALS)
def test_prune_stopped_between_batches_says_what_it_deleted(tmp_path, signum, code, said):
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    db = tmp_path / "t.db"
    _many(db, 2500)  # three batches of whole orders
    script = AFTER_CALL.format(
        module="tracker.store.prune",
        name="_orders_batch",
        at=1,
        signum=int(signum),
        args=["prune", "--older-than", "365d", "--yes"],
    )
    done = _child(tmp_path, script)
    assert done.returncode == code, done.stderr
    assert done.stderr == f"smm-tracker: {said}\n"
    assert "deleted before stopping (whole orders; the rest is kept):" in done.stdout
    shown = {
        line.split()[0]: int(line.split()[1])
        for line in done.stdout.split("deleted before stopping")[1].splitlines()[1:]
    }
    left = _count(db, "SELECT count(*) FROM orders")
    # What it says it deleted is what went: one batch, no more (the stop kept
    # the next from starting), none of it left uncounted.
    assert 0 < shown["orders"] == 2500 - left < 2500
    assert shown["transitions"] == 2500 - _count(db, "SELECT count(*) FROM transitions")
    with sqlite3.connect(db) as c:
        [recorded] = c.execute("SELECT deleted FROM prune_runs").fetchall()
    assert json.loads(recorded[0])["orders"] == shown["orders"]


@pytest.mark.parametrize(("signum", "code", "said"), SIGNALS)
def test_prune_stopped_while_counting_says_nothing_was_deleted(tmp_path, signum, code, said):
    # It said only `stopped by SIGTERM` (`interrupted`): whether any row went, not.
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    db = tmp_path / "t.db"
    _many(db, 50)
    script = AFTER_CALL.format(
        module="tracker.store.prune",
        name="plan",  # the first panel's batches chosen, the rows not yet counted
        at=1,
        signum=int(signum),
        args=["prune", "--older-than", "365d", "--yes"],
    )
    done = _child(tmp_path, script)
    assert done.returncode == code, done.stderr
    assert done.stderr == f"smm-tracker: {said}: nothing deleted\n"
    assert "deleted" not in done.stdout
    assert _count(db, "SELECT count(*) FROM orders") == 50


@pytest.mark.parametrize(("signum", "code", "said"), SIGNALS)
def test_track_of_ids_piped_in_stopped_mid_write_tracks_them_all_and_says_so(
    tmp_path, signum, code, said
):
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    ids = "\n".join(str(i) for i in range(1, 3001)) + "\n"  # several chunks of one transaction
    script = IN_CHUNKS.format(module="tracking", signum=int(signum), args=["track", "-"])
    done = _child(tmp_path, script, stdin=ids)
    assert done.returncode == code, done.stderr
    assert done.stderr == f"smm-tracker: {said}\n"
    assert done.stdout == "tracking 3000 new orders on sim\n"
    assert _count(tmp_path / "t.db", "SELECT count(*) FROM orders") == 3000


def test_untrack_stopped_by_sigterm_mid_write_stops_them_all_and_says_so(tmp_path):
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    db = tmp_path / "t.db"
    _many(db, 1500)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE orders SET status = 'In progress', polling = 1, completed_at = NULL")
    c.close()
    args = ["untrack", *(str(i) for i in range(1, 1501))]
    script = IN_CHUNKS.format(module="stopping", signum=int(signal.SIGTERM), args=args)
    done = _child(tmp_path, script)
    assert done.returncode == 143, done.stderr
    assert done.stderr == "smm-tracker: stopped by SIGTERM\n"
    assert done.stdout.startswith("untracked 1500 orders on sim: ")
    assert _count(db, "SELECT count(*) FROM orders WHERE polling = 1") == 0


@pytest.mark.parametrize(("signum", "code", "said"), SIGNALS)
def test_init_stopped_as_it_writes_leaves_the_whole_config(tmp_path, signum, code, said):
    # Stopped between creating the file and writing it, init left an empty
    # (or cut) tracker.toml, and `init` run again refused to overwrite it.
    script = AFTER_CALL.format(
        module="tracker.cli.init", name="example_config", at=1, signum=int(signum), args=["init"]
    )
    done = _child(tmp_path, script)
    assert done.returncode == code, done.stderr
    assert done.stderr == f"smm-tracker: {said}\n"
    assert done.stdout.startswith(f"wrote {tmp_path / 'tracker.toml'}: ")  # absolute
    from tracker.cli.init import example_config

    assert (tmp_path / "tracker.toml").read_text() == example_config()


@pytest.mark.parametrize(("signum", "code", "said"), SIGNALS)
def test_services_refresh_stopped_at_its_second_panel_says_which_was_refreshed(
    tmp_path, signum, code, said
):
    from tracker.sim.server import PanelServer, SimulatedPanel

    server = PanelServer(SimulatedPanel(key="sim-key-stop30", seed=3)).start()
    try:
        config = sim_config(server.url)
        two = server.url.replace("127.0.0.1", "localhost")  # not the same account twice
        config += f'[[panels]]\nname = "two"\nurl = "{two}"\nkey_env = "SIM_KEY"\n'
        (tmp_path / "tracker.toml").write_text(config)
        # Stopped once the second panel's catalogue is in, before it is stored.
        script = AFTER_CALL.format(
            module="tracker.jobs.services",
            name="sort_catalogue",
            at=2,
            signum=int(signum),
            args=["services", "--refresh"],
        )
        done = _child(tmp_path, script, env={"SIM_KEY": "sim-key-stop30"})
    finally:
        server.stop()
    assert done.returncode == code, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"smm-tracker: {said}: services refreshed on sim, not refreshed on two"
    )
    assert "Traceback" not in done.stderr
    stored = tmp_path / "t.db"
    assert _count(stored, "SELECT count(*) FROM services WHERE panel = 'sim'") > 0
    assert _count(stored, "SELECT count(*) FROM services WHERE panel = 'two'") == 0


# `demo --keep DIR`, the SIGNUM sent as its second order is placed.
DEMO_STOPPED = """
import os
from tracker.panel import client
real, calls = client.PanelClient.add, []
def add(self, *args, **kwargs):
    out = real(self, *args, **kwargs)
    calls.append(1)
    if len(calls) == 2:
        os.kill(os.getpid(), {signum})
    return out
client.PanelClient.add = add
from tracker.cli.main import main
main(["demo", "--keep", "kept", "--orders", "5"], prog_name="smm-tracker")
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_demo_keep_stopped_while_placing_places_no_more_and_says_so_once(tmp_path, signum):
    # Each order left was tried and printed `could not place order N: demo:
    # add: stopping: request not sent`: three lines for one stop.
    done = _child(tmp_path, DEMO_STOPPED.format(signum=int(signum)))
    assert "Traceback" not in done.stderr
    assert "could not place" not in done.stdout
    assert "stopped: 3 of 5 orders not placed\n" in done.stdout
    placed = _count(tmp_path / "kept" / "demo.db", "SELECT count(*) FROM orders")
    assert placed == 2  # each placed order tracked, whole
    assert "placed 2 orders: " in done.stdout


def _two_alerts(tmp_path) -> None:
    """A config with a webhook, and a database holding alerts 1 and 2."""
    config = sim_config(OFFLINE) + '[alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    (tmp_path / "tracker.toml").write_text(config)
    from tracker.store.orders import Store

    Store(tmp_path / "t.db").close()
    with sqlite3.connect(tmp_path / "t.db") as c:
        c.executemany(
            "INSERT INTO alerts (at, panel, kind, severity, message) "
            "VALUES ('2026-12-01T00:00:00Z', 'sim', 'x', 'warning', ?)",
            [("one",), ("two",)],
        )
    c.close()


def test_alerts_resend_stopped_by_sigterm_ends_with_one_line_143(tmp_path):
    # It was killed by the signal: -15, no line.
    _two_alerts(tmp_path)
    script = AFTER_CALL.format(
        module="tracker.store.outbox",
        name="resend",
        at=1,
        signum=int(signal.SIGTERM),
        args=["alerts", "--resend", "1", "--resend", "2"],
    ).replace(
        "from tracker.cli.main",
        "import tracker.cli.alerts as cli\ncli.resend = stopping\nfrom tracker.cli.main",
    )
    done = _child(tmp_path, script)
    assert done.returncode == 143, done.stderr
    assert done.stderr.startswith("smm-tracker: stopped by SIGTERM")
    assert "Traceback" not in done.stderr
    # Each alert's reset is one write: the first whole, the second not begun.
    assert _count(tmp_path / "t.db", "SELECT count(*) FROM alert_deliveries") == 1


@pytest.mark.parametrize(("signum", "code", "said"), SIGNALS)
def test_alerts_resend_stopped_after_the_first_says_the_first_is_sent_again(
    tmp_path, signum, code, said
):
    # The lines came after the loop: stopped after the first reset, alert 1
    # was set to go again with nothing said of it.
    _two_alerts(tmp_path)
    script = AFTER_CALL.format(
        module="tracker.store.outbox",
        name="resend",
        at=1,
        signum=int(signum),
        args=["alerts", "--resend", "1", "--resend", "2"],
    ).replace(
        "from tracker.cli.main",
        "import tracker.cli.alerts as cli\ncli.resend = stopping\nfrom tracker.cli.main",
    )
    done = _child(tmp_path, script)
    assert done.returncode == code, done.stderr
    assert done.stderr == f"smm-tracker: {said}\n"
    when = "sent again by the next run (no daemon runs now: start it, or run --once)"
    assert done.stdout == f"alert 1: {when}\n"  # what was reset, and no more
    with sqlite3.connect(tmp_path / "t.db") as c:
        reset = [r[0] for r in c.execute("SELECT DISTINCT alert_id FROM alert_deliveries")]
    c.close()
    assert reset == [1]


def test_alerts_resend_stopped_still_says_an_unknown_id_it_met_before(tmp_path):
    # `--resend 99 --resend 1` stopped after alert 1 said alert 1 and the
    # stop: that there is no alert 99 went unsaid.
    _two_alerts(tmp_path)
    script = AFTER_CALL.format(
        module="tracker.store.outbox",
        name="resend",
        at=2,
        signum=int(signal.SIGTERM),
        args=["alerts", "--resend", "99", "--resend", "1", "--resend", "2"],
    ).replace(
        "from tracker.cli.main",
        "import tracker.cli.alerts as cli\ncli.resend = stopping\nfrom tracker.cli.main",
    )
    done = _child(tmp_path, script)
    assert done.returncode == 143, done.stderr
    assert done.stderr.splitlines() == [
        f"smm-tracker: no alert 99 in {tmp_path / 't.db'}",
        "smm-tracker: stopped by SIGTERM",
    ]
    assert done.stdout.startswith("alert 1: ") and "alert 2" not in done.stdout


# The real CLI as at a terminal, the signal sent as the prompt reads the
# answer (click's confirm turns whatever a read raises there into its Abort).
AT_THE_QUESTION = """
import os
import click.termui
def answering(prompt):
    os.kill(os.getpid(), {signum})
    return "n"
click.termui.visible_prompt_func = answering
import {module} as asking  # asked as at a terminal
asking.interactive = lambda: True
from tracker.cli.main import main
main({args!r}, prog_name="smm-tracker")
"""


def _stopped_at_the_question(
    tmp_path, args: list[str], signum: int, code: int, said: str, env: dict[str, str] | None = None
) -> None:
    """Run ``args`` (``prune`` or ``cancel``) as at a terminal, ``signum``
    sent at its question; check it ends with ``code`` and ``said`` last."""
    module = f"tracker.cli.{args[0]}"
    script = AT_THE_QUESTION.format(signum=int(signum), args=args, module=module)
    done = _child(tmp_path, script, env=env)
    assert done.returncode == code, done.stderr
    assert done.stderr.strip().splitlines()[-1] == said
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 143, "smm-tracker: stopped by SIGTERM: nothing deleted"),
        (signal.SIGINT, 1, "smm-tracker: nothing deleted"),
    ],  # fmt: skip
)
def test_prune_stopped_at_its_question_deletes_nothing_and_ends_as_its_stop(
    tmp_path, signum, code, said
):
    # A SIGTERM at the question read as a No: exit 1, where every other
    # moment of prune exits 143; a Ctrl-C there is a No, as README says.
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    db = tmp_path / "t.db"
    _many(db, 20)
    _stopped_at_the_question(tmp_path, ["prune", "--older-than", "365d"], signum, code, said)
    assert _count(db, "SELECT count(*) FROM orders") == 20


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 143, "smm-tracker: stopped by SIGTERM: nothing canceled"),
        (signal.SIGINT, 1, "smm-tracker: nothing canceled"),
    ],  # fmt: skip
)
def test_cancel_stopped_at_its_question_sends_nothing_and_ends_as_its_stop(
    tmp_path, signum, code, said
):
    # A SIGTERM at cancel's question killed it by the signal's default
    # action (-15, no line); a Ctrl-C there is a No, as for prune.
    (tmp_path / "tracker.toml").write_text(sim_config(OFFLINE))
    db = tmp_path / "t.db"
    _many(db, 2)
    args = ["cancel", "--force", "1", "2"]
    _stopped_at_the_question(tmp_path, args, signum, code, said, {"SIM_KEY": "never-sent-key"})
    assert _count(db, "SELECT count(*) FROM cancels") == 0
