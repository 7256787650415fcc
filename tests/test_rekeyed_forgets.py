"""A panel's key changed (another account): what the old key taught is
forgotten once the new key is answered, so the new key is judged on its own.

What was learned of the panel with the old key (``panel_capabilities``) was
forgotten by the daemon and ``run --once``, but not the first refusals
waiting for a second (``<action>_refused_once@...``): a cancel refused once
with the old key made the new key's first refusal the second, learned at
once. Through the real CLI, one process per command, against the simulated
panel over loopback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

OLD = "old-account-key-Qd4Lm8Tx2Rw6"
NEW = "new-account-key-Nk7Hp3Vc5Jm1"
NO_BALANCE = ScriptQuirks(missing_actions=("balance",))
NO_CANCEL = ScriptQuirks(missing_actions=("cancel",))
FIRST = "learned missing if the next cancel call is refused so too"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield (sim, cli): the old account's panel, without balance, and the CLI."""
    sim = SimulatedPanel(key=OLD, seed=5, quirks=False)
    sim.script = NO_BALANCE
    server = PanelServer(sim).start()
    config = sim_config(
        server.url,
        panel='timeout = "5s"\nretries = 0',
        database='[refill]\nfirst_check = "0s"\ncooldown = "1s"\nunknown_service = "try"',
    )
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": OLD})
    yield sim, cli
    server.stop()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute(sql).fetchall()


def _learned(tmp_path: Path) -> list[tuple[Any, ...]]:
    return _rows(tmp_path, "SELECT action FROM panel_capabilities WHERE supported = 0")


def _waiting(tmp_path: Path) -> list[tuple[Any, ...]]:
    """The first refusals waiting for a second: their actions."""
    kinds = _rows(tmp_path, "SELECT kind FROM alert_state WHERE kind GLOB '*_refused_once*'")
    return [(kind.partition("_refused_once")[0],) for (kind,) in kinds]


def _learn_no_balance(sim: Any, cli: Any, tmp_path: Path) -> None:
    """The old key learns the panel has no balance action (a row, its mark)."""
    [order] = sim.seed_orders(1, status="In progress")
    assert cli("track", str(order)).exit_code == 0
    assert cli("run", "--once").exit_code == 1  # balance refused once
    assert cli("run", "--once").exit_code == 0
    assert _learned(tmp_path) == [("balance",)]


def _new_key(sim: Any, monkeypatch: pytest.MonkeyPatch, script: ScriptQuirks) -> None:
    """The user moves to another account: the panel takes only the new key."""
    sim.key, sim.script = NEW, script
    monkeypatch.setenv("SIM_KEY", NEW)


def _cancel_refused_once(sim: Any, cli: Any, tmp_path: Path) -> int:
    """The old key learns no balance, then has a cancel refused once in a
    missing action's words (a first refusal waiting); return the order."""
    _learn_no_balance(sim, cli, tmp_path)
    return _first_cancel_refusal(
        sim, cli, tmp_path, ScriptQuirks(missing_actions=("balance", "cancel"))
    )


def _first_cancel_refusal(sim: Any, cli: Any, tmp_path: Path, script: ScriptQuirks) -> int:
    """A Pending order tracked, its cancel refused once on ``script`` (a
    first refusal waiting); return the order."""
    [pending] = sim.seed_orders(1, status="Pending")
    assert cli("track", str(pending)).exit_code == 0
    sim.script = script
    refused = cli("cancel", "--yes", str(pending))
    assert refused.exit_code == 1 and FIRST in refused.stderr, refused.output
    assert _waiting(tmp_path) == [("cancel",)]
    return int(pending)


@pytest.mark.usefixtures("fresh_logs")
def test_a_first_refusal_of_the_old_key_is_forgotten_with_what_it_learned(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    pending = _cancel_refused_once(sim, cli, tmp_path)
    _new_key(sim, monkeypatch, NO_CANCEL)
    run = cli("run", "--once", "--all")  # its balance answers the new key: forgotten
    assert run.exit_code == 0, run.output
    waiting = _waiting(tmp_path)
    again = cli("cancel", "--yes", str(pending))
    assert again.exit_code == 1
    # Before: "note: sim has no cancel action", the old key's refusal the first.
    assert FIRST in again.stderr and "has no cancel action" not in again.stderr, again.output
    assert _learned(tmp_path) == [] and _waiting(tmp_path) == [("cancel",)]
    assert waiting == [] and "first_refusals_forgotten" in run.stderr


@pytest.mark.usefixtures("fresh_logs")
def test_a_mistyped_key_forgets_no_first_refusal(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    _cancel_refused_once(sim, cli, tmp_path)
    monkeypatch.setenv("SIM_KEY", OLD[:-1] + "9")  # one character off: refused
    typo = cli("run", "--once", "--all")
    assert typo.exit_code == 1 and "first_refusals_forgotten" not in typo.stderr
    assert _learned(tmp_path) == [("balance",)] and _waiting(tmp_path) == [("cancel",)]


# --- the one-shot commands: refill, cancel, services --refresh -------------------
#
# Each noticed the key changed and kept the old key's rows: its new key was
# judged by them (a refusal in "Incorrect request" the second, learned at
# once). Each now forgets them once its own call is answered with the key.

NO_REFILL = ScriptQuirks(missing_actions=("refill",))


def test_refill_by_hand_forgets_what_the_old_key_learned_once_answered(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    [order] = sim.seed_orders(1, status="Completed")
    assert cli("track", str(order), "--service", "1").exit_code == 0
    sim.script = NO_REFILL
    assert cli("refill", str(order)).exit_code == 1  # refused once
    learned = cli("refill", "--force", str(order))  # --force: the first refusal was recorded
    assert "does not support refill" in learned.output, learned.output
    assert _learned(tmp_path) == [("refill",)]
    _new_key(sim, monkeypatch, NO_REFILL)  # the new account's panel refuses it once
    first = cli("refill", "--force", str(order))  # --force: the refusal was recorded
    assert first.exit_code == 1
    # Before: "sim does not support refill", learned with the old key.
    assert "the panel refused the refill: " in first.output, first.output
    assert "does not support refill" not in first.output
    assert _learned(tmp_path) == [] and _waiting(tmp_path) == [("refill",)]
    sim.script = ScriptQuirks()
    accepted = cli("refill", "--force", str(order))
    assert accepted.exit_code == 0 and "note:" not in accepted.output, accepted.output


def test_cancel_forgets_what_the_old_key_learned_once_answered(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    first, second = sim.seed_orders(2, status="Pending")
    assert cli("track", str(first), str(second)).exit_code == 0
    sim.script = NO_CANCEL
    assert FIRST in cli("cancel", "--yes", str(first)).stderr
    assert "has no cancel action" in cli("cancel", "--yes", str(first)).stderr
    assert _learned(tmp_path) == [("cancel",)]
    _new_key(sim, monkeypatch, NO_CANCEL)
    again = cli("cancel", "--yes", str(second))
    assert again.exit_code == 1
    # Before: "note: sim has no cancel action", learned with the old key.
    assert FIRST in again.stderr and "has no cancel action" not in again.stderr, again.output
    assert _learned(tmp_path) == [] and _waiting(tmp_path) == [("cancel",)]


def test_services_refresh_forgets_what_the_old_key_learned_once_answered(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    _learn_no_balance(sim, cli, tmp_path)
    assert "no balance action" in cli("services").stderr  # a note of what was learned
    monkeypatch.setenv("SIM_KEY", "old-account-key-Qd4Lm8Tx2Rw9")  # mistyped: refused
    typo = cli("services", "--refresh")
    assert typo.exit_code == 1 and _learned(tmp_path) == [("balance",)], typo.output
    _new_key(sim, monkeypatch, ScriptQuirks())
    refreshed = cli("services", "--refresh")
    assert refreshed.exit_code == 0, refreshed.output
    # Before: "note: sim has no balance action ...", learned with the old key.
    assert "no balance action" not in refreshed.stderr, refreshed.output
    assert _learned(tmp_path) == []


# --- a first refusal with nothing learned: no key mark but its own ---------------
#
# A key change was seen only through what was learned (its rows' key marks):
# a panel with a first refusal waiting and nothing learned (one refusal seen)
# never noticed it, and the new key's first refusal was taken as the second.

LEARNED = "has no cancel action"


def _refused_once_with_nothing_learned(sim: Any, cli: Any, tmp_path: Path) -> int:
    """The old key has a cancel refused once, nothing learned; return the order."""
    pending = _first_cancel_refusal(sim, cli, tmp_path, NO_CANCEL)
    assert _learned(tmp_path) == []
    return pending


@pytest.mark.usefixtures("fresh_logs")
def test_the_new_keys_first_refusal_is_a_first_one_with_nothing_learned(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    pending = _refused_once_with_nothing_learned(sim, cli, tmp_path)
    _new_key(sim, monkeypatch, NO_CANCEL)
    first = cli("cancel", "--yes", str(pending))
    assert first.exit_code == 1
    # Before: "note: sim has no cancel action", the old key's refusal the first.
    assert FIRST in first.stderr and LEARNED not in first.stderr, first.output
    assert "first_refusals_forgotten" in first.stderr and "action=cancel" in first.stderr
    assert _learned(tmp_path) == [] and _waiting(tmp_path) == [("cancel",)]
    second = cli("cancel", "--yes", str(pending))  # the new key's own second: learned
    assert LEARNED in second.stderr and _learned(tmp_path) == [("cancel",)], second.output


def test_the_same_keys_second_refusal_still_learns(panel: Any, tmp_path: Path) -> None:
    sim, cli = panel
    pending = _refused_once_with_nothing_learned(sim, cli, tmp_path)
    second = cli("cancel", "--yes", str(pending))
    assert LEARNED in second.stderr and _learned(tmp_path) == [("cancel",)], second.output
    assert _waiting(tmp_path) == []


def test_a_first_refusal_kept_before_key_marks_counts_as_it_did(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    pending = _refused_once_with_nothing_learned(sim, cli, tmp_path)
    [(kind,)] = _rows(tmp_path, "SELECT kind FROM alert_state WHERE kind GLOB 'cancel_*'")
    with sqlite3.connect(tmp_path / "t.db") as db:  # as the version before wrote it: no mark
        db.execute("UPDATE alert_state SET kind = ? WHERE kind = ?", [kind.partition("#")[0], kind])
    _new_key(sim, monkeypatch, NO_CANCEL)  # of which key: unknown, counted as before
    second = cli("cancel", "--yes", str(pending))
    assert LEARNED in second.stderr and _learned(tmp_path) == [("cancel",)], second.output
