"""Start-up: a command imports only what it needs. Not timed (speed belongs in
bench/); the module lists catch a stray import in review, not by a stopwatch."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tracker.cli.main import main

PROBE = """
import json, sys
before = set(sys.modules)
sys.argv = ["smm-tracker", *json.loads(sys.argv[1])]
from tracker.cli.main import main
try:
    main()
except SystemExit:
    pass
new = sorted(set(sys.modules) - before)
sys.stderr.write("MODULES " + json.dumps(new) + "\\n")
"""
# Libraries only the daemon, the panel client or the write path need.
HEAVY = {
    "sqlite_utils",
    "structlog",
    "httpx",
    "httpcore",
    "apscheduler",
    "tenacity",
    "dateutil",
    "asyncio",
    "prometheus_client",
    "apprise",
    "datasette",
}


def imported(args: list[str], cwd: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))


def top_level(modules: list[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_version_imports_click_and_only_these_tracker_modules(tmp_path):
    modules = imported(["--version"], tmp_path)
    assert not top_level(modules) & HEAVY
    # HTML entities' table: loaded where the redactor meets an entity.
    assert "html" not in modules
    assert sorted(m for m in modules if m.startswith("tracker")) == [
        "tracker",
        "tracker.cli",
        "tracker.cli.command",  # the commands' class: click alone
        "tracker.cli.command_table",  # split out of main (a pure move): two dicts
        "tracker.cli.hoist",
        "tracker.cli.main",
        "tracker.errors",
        "tracker.redact",
        "tracker.redact.coded",
        "tracker.redact.forms",
        "tracker.redact.layout",
        "tracker.redact.misread",  # split out of redact.forms (a pure move)
        "tracker.redact.pieces",  # a key cut by a stray byte, blanked from every log line
        "tracker.redact.plans",  # split out of redact.forms (a pure move)
        "tracker.redact.scrub",  # the package's scrubber, out of its __init__ (a pure move)
        "tracker.redact.search",  # split out of redact (a pure move): the same code
    ]


def test_help_needs_no_heavy_library(tmp_path):
    assert not top_level(imported(["--help"], tmp_path)) & HEAVY


def test_orders_and_history_read_without_the_daemons_libraries(tmp_path):
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey = "k-123456"\n'
    )
    runner_env = {"SMM_TRACKER_CONFIG": str(tmp_path / "tracker.toml")}
    result = CliRunner().invoke(main, ["track", "5", "6"], env=runner_env)
    assert result.exit_code == 0, result.output
    for args in (
        ["orders"],
        ["orders", "--json"],
        ["orders", "--since", "24h"],  # the duration read as alerts and report read it
        ["history", "5"],
    ):
        modules = imported(args, tmp_path)
        assert not top_level(modules) & HEAVY, args
        tracker = {m for m in modules if m.startswith("tracker.")}
        # But the lock's look (os, fcntl; under 1 ms), when `orders` names orders
        # not checked yet: whether a daemon runs on the database to check them (ux163).
        looked = {"tracker.service", "tracker.service.lock_seen", "tracker.service.lock_holder"}
        looked = looked if args[0] == "orders" else set()
        assert (
            not {m for m in tracker if m.startswith(("tracker.service", "tracker.jobs"))} - looked
        )
        assert "tracker.panel.transport" not in tracker
        # Dataclass-heavy modules only `add` and the refill commands need.
        assert not tracker & {"tracker.panel.models", "tracker.rules.refills"}, args
        # A status with the panel's reason after it: read when one is met.
        assert "tracker.panel.status_hedges" not in tracker, args
        # OpenSSL's digests (a mark of an error's words): no read takes one.
        assert "hashlib" not in modules, args


def test_run_once_starts_without_the_daemons_own_libraries(tmp_path):
    # A panel that refuses the connection at once: every job runs and fails fast.
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey = "k-123456"\nretries = 0\ntimeout = "2s"\n'
    )
    runner_env = {"SMM_TRACKER_CONFIG": str(tmp_path / "tracker.toml")}
    result = CliRunner().invoke(main, ["track", "5", "6"], env=runner_env)
    assert result.exit_code == 0, result.output
    modules = top_level(imported(["--config", "tracker.toml", "run", "--once"], tmp_path))
    assert {"httpx", "structlog", "tenacity"} <= modules  # it did poll
    # The scheduler, the metrics endpoint and sqlite-utils (migrations, refill
    # bookkeeping) are not needed to poll once.
    assert not modules & {"apscheduler", "prometheus_client", "sqlite_utils"}


def _two_tracked_json_logs(tmp_path):
    """Write a config (an unreachable panel, JSON logs) in ``tmp_path`` and
    track two orders there, as the start-up tests' runs find them."""
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey = "k-123456"\nretries = 0\ntimeout = "2s"\n'
        '\n[logging]\nformat = "json"\n'
    )
    runner_env = {"SMM_TRACKER_CONFIG": str(tmp_path / "tracker.toml")}
    result = CliRunner().invoke(main, ["track", "5", "6"], env=runner_env)
    assert result.exit_code == 0, result.output


def test_run_once_loads_no_module_for_what_it_does_not_meet(tmp_path):
    # What a `run --once` with no alert target, a config without mistakes and
    # no completed order to time leaves unloaded: each is imported where it
    # is first needed (the alert sender, doctor's verdicts, the tables' layout
    # for a terminal, "did you mean" suggestions, shell quoting, the stall
    # watch's medians).
    _two_tracked_json_logs(tmp_path)
    modules = set(imported(["--config", "tracker.toml", "run", "--once", "--all"], tmp_path))
    assert "tracker.jobs.watch" in modules  # it did run its jobs
    assert not modules & {
        "tracker.alerts.webhook",
        "tracker.alerts.retries",
        "tracker.rules.doctor",
        "tracker.rules.failing_doctor",
        # A status with the panel's reason after it ("Completed: not yet"):
        # its words and patterns loaded when a poll meets one.
        "tracker.panel.status_hedges",
        # Piped: the summary a line each, as scripts read it (with logging's
        # format "auto", the check for a person's log lines loads the screen).
        "tracker.cli.screen",
        "tracker.cli.render",
        "difflib",
        "shlex",
        "statistics",
        "fractions",
    }


# The console script's start, as a user runs it (tracker.cli.entry): the
# collector's state when the command itself begins.
GC_PROBE = """
import gc, json, sys
import click
seen = {}
invoke = click.Command.invoke
def recording(self, ctx):
    passes = [s["collections"] - b for s, b in zip(gc.get_stats(), before)]
    seen[ctx.info_name] = [gc.isenabled(), gc.get_freeze_count(), passes]
    return invoke(self, ctx)
click.Command.invoke = recording
sys.argv = ["smm-tracker", *json.loads(sys.argv[1])]
before = [s["collections"] for s in gc.get_stats()]
from tracker.cli.entry import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("GC " + json.dumps(seen) + "\\n")
"""


def test_what_a_command_loads_is_kept_out_of_the_collectors_passes(tmp_path):
    # Loading the commands (~58k objects for `run`) made 60-80 collector passes,
    # ~10 ms of `run --once`'s start, which found next to nothing to free:
    # the collector is off while they load, then what loaded is frozen out of
    # its passes and it is on again for the command's own work.
    _two_tracked_json_logs(tmp_path)
    assert gc.isenabled() and not gc.get_freeze_count()  # in-process: left as it was
    for args in (["run", "--once", "--all"], ["orders"]):
        done = subprocess.run(
            [sys.executable, "-c", GC_PROBE, json.dumps(["--config", "tracker.toml", *args])],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(x for x in done.stderr.splitlines() if x.startswith("GC "))
        enabled, frozen, (young, middle, old) = json.loads(line.removeprefix("GC "))[args[0]]
        assert enabled, args  # the command's own garbage is collected
        assert frozen > 10_000, args  # what loaded: out of every pass
        assert middle == old == 0, args  # no pass but the youngest's before the command ran
