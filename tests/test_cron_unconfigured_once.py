"""A panel taken out of the config while its orders stay open, told at
warning once per episode across `run --once` runs, not once a run.

From cron (``--log-level warning run --once --due`` every minute) each run
warned ``orders_of_unconfigured_panel`` again for the same panel and the
same orders: a mail a minute until the panel was added back or its orders
untracked, which teaches the user to ignore the mails. The first run that
finds a panel left out warns (and marks it in ``alert_state``); the runs
after it say the same line at info, with ``warned_at``; once the panel is
back in the config (or has no open order left), the next time it is left
out is warned of again. The summary line on stdout says it at every run.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Cron7Left2Out9Zx"
# Another name for the same account: its url with a query the panel reads past.
SLOW = '[[panels]]\nname = "slow"\nurl = "URL?entry=slow"\nkey_env = "SIM_KEY"\n'
EVENT = "orders_of_unconfigured_panel"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """Yield (cli, with_slow, without_slow): orders tracked on "sim" and
    "slow", then "slow" taken out of the config; the two configs' texts."""
    panel = SimulatedPanel(key=KEY, seed=3, speed=600.0)
    server = PanelServer(panel).start()
    without = sim_config(server.url)
    with_slow = without + SLOW.replace("URL", server.url)
    cli = cli_in(tmp_path, monkeypatch, with_slow, env={"SIM_KEY": KEY})
    ids = panel.seed_orders(5)
    assert cli("track", "--panel", "sim", *map(str, ids[:2])).exit_code == 0
    assert cli("track", "--panel", "slow", *map(str, ids[2:])).exit_code == 0
    (tmp_path / "tracker.toml").write_text(without)  # "slow" leaves the config
    gc.collect()
    yield cli, with_slow, without
    server.stop()


def _run(cli, *options: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Run ``run --once``; return its ``orders_of_unconfigured_panel`` log
    lines and its stdout's lines."""
    result = cli("--log-format", "json", *options, "run", "--once", "--due")
    assert result.exit_code == 0, result.output
    lines = [e for e in json_entries(result.stderr) if e.get("event") == EVENT]
    return lines, result.stdout.splitlines()


def _levels(lines: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(e["panel"], e["level"], e["open_orders"]) for e in lines]


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_left_out_is_warned_of_by_the_first_run_alone(setup):
    cli, _with_slow, _without = setup
    first, out = _run(cli)
    assert _levels(first) == [("slow", "warning", 3)]
    assert "slow: 3 open orders not polled: not in the config" in out
    second, out = _run(cli)
    assert _levels(second) == [("slow", "info", 3)]  # never silent: said at info
    assert second[0]["warned_at"] and "add the panel back" in second[0]["detail"]
    assert "slow: 3 open orders not polled: not in the config" in out  # stdout: every run
    quiet, _ = _run(cli, "--log-level", "warning")
    assert quiet == []  # cron's mail: nothing of it


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_left_out_again_after_it_was_back_is_warned_of_again(setup, tmp_path):
    cli, with_slow, without = setup
    _run(cli)
    (tmp_path / "tracker.toml").write_text(with_slow)  # added back: the episode ends
    back, out = _run(cli)
    assert back == [] and not any("not in the config" in line for line in out)
    (tmp_path / "tracker.toml").write_text(without)  # left out again: a new episode
    again, _ = _run(cli)
    assert _levels(again) == [("slow", "warning", 3)]
    assert _levels(_run(cli)[0]) == [("slow", "info", 3)]


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_whose_orders_were_all_untracked_ends_its_episode(setup, tmp_path):
    cli, with_slow, without = setup
    _run(cli)
    slow = [str(order) for order in setup_ids(cli)]
    assert cli("untrack", "--panel", "slow", *slow).exit_code == 0
    assert _run(cli)[0] == []  # no open order left out: nothing to say, the episode over
    (tmp_path / "tracker.toml").write_text(with_slow)
    assert cli("track", "--panel", "slow", slow[0]).exit_code == 0  # resumed
    (tmp_path / "tracker.toml").write_text(without)
    assert _levels(_run(cli)[0]) == [("slow", "warning", 1)]  # a new episode


def setup_ids(cli) -> list[int]:
    """The IDs of the orders "slow" holds open."""
    import json

    listed = cli("orders", "--panel", "slow", "--json")
    return sorted(row["order_id"] for row in json.loads(listed.stdout))
