"""A notify URL Apprise does not understand (a typo in ``[alerts] notify``),
told at error once per episode across `run --once` runs, not once a run.

The run goes on without that target (doctor fails it). From cron
(``--log-level warning run --once --due`` every minute) each run logged the
same ``notify_target_invalid`` error: a mail a minute until the config was
fixed. The first run that finds the place's URL refused says it at error
(marked in ``alert_state``); the runs after it say it at info, with
``warned_at``; once the place's URL is understood (or gone), refusing it
again is told at error again. The alerts themselves are untouched.
"""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")

KEY = "sim-key-Cron5Notify1Typo"
TYPO = '[alerts]\nnotify = ["tgrm://123456:ABCdefGHI/987654"]\n'  # tgram://, mistyped
FIXED = '[alerts]\nnotify = ["json://127.0.0.1:9/hook"]\n'
EVENT = "notify_target_invalid"


@pytest.fixture
def cron(tmp_path, monkeypatch):
    """Yield (write, run): write(alerts) puts the config with that [alerts]
    table in place; run(level) runs ``run --once --due`` and returns its
    ``notify_target_invalid`` lines."""
    panel = SimulatedPanel(key=KEY, seed=2, quirks=False)
    with PanelServer(panel) as server:
        base = sim_config(server.url)
        cli = cli_in(tmp_path, monkeypatch, base + TYPO, env={"SIM_KEY": KEY})

        def write(alerts: str) -> None:
            (tmp_path / "tracker.toml").write_text(base + alerts)

        def run(level: str = "info") -> list[dict[str, Any]]:
            ran = cli("--log-format", "json", "--log-level", level, "run", "--once", "--due")
            assert ran.exit_code == 0, ran.output
            assert "ABCdefGHI" not in ran.output  # the URL's token: never logged
            return [e for e in json_entries(ran.stderr) if e.get("event") == EVENT]

        yield write, run


def _said(lines: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["level"], e["error"].split(":")[0]) for e in lines]


@pytest.mark.usefixtures("fresh_logs")
def test_a_notify_url_not_understood_is_told_at_error_by_the_first_run_alone(cron):
    write, run = cron
    assert _said(run()) == [("error", "alerts.notify[0] (tgrm)")]
    again = run()
    assert _said(again) == [("info", "alerts.notify[0] (tgrm)")]  # never silent
    assert again[0]["warned_at"]
    assert run("warning") == []  # cron's mail: nothing of it


@pytest.mark.usefixtures("fresh_logs")
def test_a_notify_url_refused_again_after_it_was_fixed_is_told_again(cron):
    write, run = cron
    run()
    write(FIXED)  # understood: the episode ends
    assert run() == []
    write(TYPO)  # mistyped again: a new episode
    assert _said(run()) == [("error", "alerts.notify[0] (tgrm)")]
    write("")  # no notify at all: the episode ends too
    assert run() == []
    write(TYPO)
    assert _said(run()) == [("error", "alerts.notify[0] (tgrm)")]
