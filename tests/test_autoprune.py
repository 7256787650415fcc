"""The daemon prunes on its own when asked to: `database.prune_older_than`.

Off by default; once a day, the first run 10 minutes after the start; the
command's code (count, batches, prune_runs); a stop honoured between
batches; a reload turning it on or off. The jobs are the daemon's own
(`Service._build`), run as the scheduler runs them (`guarded`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

from tracker.config.load import config_from_dict
from tracker.errors import ConfigError
from tracker.jobs.base import Job
from tracker.service.daemon import Generation

pytestmark = pytest.mark.usefixtures("fresh_logs")

# The job's public face (tracker/jobs/prune.py), written out: what a user sees.
NAME, EVERY, FIRST_AFTER = "prune", 86400.0, 600.0  # `job=prune`; daily; 10 min after start


def settings(tmp_path: Path, **database: Any) -> Any:
    data = {
        "database": {"path": "t.db", **database},
        "panels": [{"name": "sim", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
    }
    return config_from_dict(data, base_dir=tmp_path, env={})


def prune_runs(db: Path) -> list[dict[str, Any]]:
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in c.execute("SELECT * FROM prune_runs ORDER BY id")]
    finally:
        c.close()


def job_of(generation: Generation) -> Job | None:
    found = [job for job in generation.jobs if job.name == NAME]
    return found[0] if found else None


def told(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e["log_level"] != "debug"]


# --- the key ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kept", "seconds"),
    [
        ("365d", "365d", 365 * 86400.0),
        (" 8760h ", "8760h", 365 * 86400.0),
        ("30d", "30d", 30 * 86400.0),
        (31536000, "365d", 365 * 86400.0),  # a TOML number: seconds, as every duration
        ("", "", 0.0),
        ("0", "", 0.0),
        (0, "", 0.0),
    ],
)
def test_the_key_reads_a_duration_and_zero_or_empty_is_never(tmp_path, written, kept, seconds):
    database = settings(tmp_path, prune_older_than=written).database
    assert (database.prune_older_than, database.prune_seconds) == (kept, seconds)
    assert settings(tmp_path).database.prune_older_than == ""  # absent: never


@pytest.mark.parametrize("written", ["29d", "719h", "1x", "-5d", 86400, True])
def test_under_30_days_or_unreadable_is_one_problem_naming_the_key(tmp_path, written):
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, prune_older_than=written)
    [problem] = caught.value.problems
    assert problem.startswith("at 'database.prune_older_than': ")
    short = written in ("29d", "719h", 86400)
    assert ("must be at least 30d" if short else "is not a") in problem, problem


def test_a_bad_value_is_one_line_of_the_cli_and_nothing_runs(tmp_path, monkeypatch):
    cli = cli_in(
        tmp_path, monkeypatch, sim_config("http://127.0.0.1:9", database='prune_older_than = "7d"')
    )
    result = cli("orders")
    assert result.exit_code == 2
    assert result.output == (
        "smm-tracker: config: at 'database.prune_older_than': must be at least 30d "
        '(365d keeps a year of history) (got \'7d\'; "0" or "" never prunes)\n'
    )
    assert "Traceback" not in result.output
