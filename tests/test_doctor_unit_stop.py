"""doctor's stop-budget line reads the stop timeout the installed unit has:
``TimeoutStopSec=`` in /etc/systemd/system/smm-tracker.service or a drop-in
(a temporary directory stands in for /etc/systemd/system), else the shipped
unit's 90 s."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tracker.rules.unit_stop import stop_timeout, timespan
from tracker.service.doctor import run_checks

# A bound of 30 + 10 = 40 s: under the shipped unit's 90 s.
CONFIG = """
[database]
path = "t.db"
busy_timeout = "10s"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "UNIT_STOP_KEY"
timeout = "30s"
"""


def stop_lines(tmp_path: Path, units: Path, timeout: str = "30s") -> list[str]:
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG.replace('timeout = "30s"', f'timeout = "{timeout}"'))
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=units)
    return [f"{c.state} {c.name}: {c.detail}" for c in checks if c.name == "stop timeout"]


def test_a_drop_in_that_shortens_the_stop_timeout_is_named(tmp_path):
    # doctor compared with a fixed TimeoutStopSec=90s: a drop-in setting 30s
    # (systemd then kills the daemon mid-commit) and doctor said nothing.
    units = tmp_path / "etc-systemd-system"
    (units / "smm-tracker.service.d").mkdir(parents=True)
    (units / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=90s\n")
    drop_in = units / "smm-tracker.service.d" / "stop.conf"
    drop_in.write_text("[Service]\nTimeoutStopSec=30s\n")
    assert stop_lines(tmp_path, units) == [
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s), not under the unit's TimeoutStopSec=30s "
        f"(TimeoutStopSec= in {drop_in}): systemd may kill it mid-commit; lower the "
        "timeouts or raise TimeoutStopSec"
    ]


def test_a_longer_stop_timeout_in_the_installed_unit_silences_the_warning(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    assert stop_lines(tmp_path, units, "2m") != []  # none installed: the shipped 90 s
    (units / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=5min\n")
    assert stop_lines(tmp_path, units, "2m") == []


def test_without_an_installed_unit_the_shipped_90s_is_said(tmp_path):
    lines = stop_lines(tmp_path, tmp_path / "no-such-dir", "2m")
    assert len(lines) == 1
    assert "not under the unit's TimeoutStopSec=90s: systemd may kill it" in lines[0]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], (90.0, None)),
        ([("u", "[Service]\nTimeoutStopSec=2min 30s\n")], (150.0, "TimeoutStopSec= in u")),
        ([("u", "[Service]\nTimeoutSec=45\n")], (45.0, "TimeoutSec= in u")),
        (  # the last file read wins; an empty assignment puts back the default
            [("u", "[Service]\nTimeoutStopSec=2min\n"), ("a.conf", "[Service]\nTimeoutStopSec=\n")],
            (90.0, None),
        ),
        (
            [("u", "[Service]\nTimeoutStopSec=2min\n"), ("a.conf", "[Service]\nTimeoutSec=1min\n")],
            (60.0, "TimeoutSec= in a.conf"),
        ),
        ([("u", "[Unit]\nTimeoutStopSec=2min\n")], (90.0, None)),  # not the service's
        ([("u", "[Service]\n# TimeoutStopSec=2min\n")], (90.0, None)),
        ([("u", "[Service]\nTimeoutStopSec=soon\n")], (90.0, None)),  # systemd ignores it
        ([("u", "[Service]\nTimeoutStopSec=infinity\n")], (math.inf, "TimeoutStopSec= in u")),
    ],
)
def test_the_stop_timeout_is_read_as_systemd_reads_it(files, expected):
    assert stop_timeout(files) == expected


def test_time_spans_as_systemd_writes_them():
    assert [timespan(t) for t in ("90", "90s", "1min 30s", "1m30s", "5 min", "1h")] == [
        90.0,
        90.0,
        90.0,
        90.0,
        300.0,
        3600.0,
    ]
    assert timespan("0") == math.inf  # 0 turns the stop timeout off, as infinity
    assert timespan("") is None and timespan("ninety") is None
