"""A read command on a config that does not validate (a file a reload just
refused, while the daemon runs on the config it started with).

`orders` says the config's problem in one line and exits 2, as before; its
way on, `--database PATH`, failed too while the broken file was there to be
read. With `--database` the database is read without the config now (a note
on stderr says so).
"""

from __future__ import annotations

from simconfig import cli_in, sim_config

KEY = "broken-config-Hb4Nj6Mk8Lp2"
GOOD = sim_config("http://127.0.0.1:9/api/v2")
BROKEN = GOOD.replace('url = "', 'timeout = "10x"\nurl = "')
PROBLEM = "at 'panels[0].timeout': '10x' is not a duration like 90s, 5m, 24h, 30d"


def test_a_read_command_with_database_reads_it_past_a_broken_config(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, GOOD, env={"SIM_KEY": KEY})
    assert cli("track", "5").exit_code == 0
    (tmp_path / "tracker.toml").write_text(BROKEN)

    refused = cli("orders")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"smm-tracker: config {tmp_path / 'tracker.toml'}: {PROBLEM}"
    ]

    read = cli("orders", "--database", str(tmp_path / "t.db"))
    assert read.exit_code == 0, read.output
    (header, row) = read.stdout.splitlines()  # its one order
    assert header.split()[:2] == ["PANEL", "ORDER"] and row.split()[:2] == ["sim", "5"]
    assert read.stderr.splitlines() == [
        f"note: config {tmp_path / 'tracker.toml'} not read: {PROBLEM}; "
        f"reading {tmp_path / 't.db'} without it"
    ]


def test_a_command_without_database_says_the_problem_alone(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, BROKEN, env={"SIM_KEY": KEY})
    result = cli("run", "--once")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"smm-tracker: config {tmp_path / 'tracker.toml'}: {PROBLEM}"
    ]
