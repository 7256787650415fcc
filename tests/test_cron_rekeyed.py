"""A panel's key changed between two ``run --once`` (cron): what was learned
of the panel with the old key is asked again, as a daemon's reload asks it.

What is learned of a panel's script (``panel_capabilities``: no balance
action, statuses or refills one order at a time) was kept across a key
changed under cron: a run is a process of its own, and nothing told it that
the key was another. A balance learned missing with the old account's key
was not asked with the new one for a day: no balance, no low-balance alert.
Each row now keeps a slow, salted mark of the key it was learned with
(never the key, nor a quick hash of it); a run whose key has another mark
asks again, and forgets the rows once the panel answers that key (a key
mistyped forgets nothing). Through the real CLI, one process per run,
against the simulated panel."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simconfig import cli_in, cli_process, sim_config

from tracker.config.model import Secret
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.key_marks import ROUNDS, _written, key_mark, marks_key

OLD = "old-account-key-Qd4Lm8Tx2Rw6"
NEW = "Nk7Hp3Vc"  # the new account's: 8 characters, as some panels issue
PANEL = 'timeout = "5s"\nretries = 0'


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield (sim, cli): the old account's panel, without balance, and the CLI."""
    sim = SimulatedPanel(key=OLD, seed=5, quirks=False)
    sim.script = ScriptQuirks(missing_actions=("balance",))
    server = PanelServer(sim).start()
    cli = cli_in(tmp_path, monkeypatch, sim_config(server.url, panel=PANEL), env={"SIM_KEY": OLD})
    yield sim, cli
    server.stop()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute(sql).fetchall()


def _learn_no_balance(sim: Any, cli: Any, tmp_path: Path) -> None:
    [order] = sim.seed_orders(1, status="In progress")
    assert cli("track", str(order)).exit_code == 0
    assert cli("run", "--once").exit_code == 1  # balance refused once: that run's failure
    assert cli("run", "--once").exit_code == 0
    assert sim.calls["balance"] == 2
    assert _rows(tmp_path, "SELECT action, supported FROM panel_capabilities") == [("balance", 0)]


def test_a_refused_key_fixed_under_cron_asks_again_what_the_old_key_learned(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    _learn_no_balance(sim, cli, tmp_path)
    sim.key = NEW  # the account changed: the old key refused...
    assert cli("run", "--once", "--due", "--all").exit_code == 1
    # ...the user puts the new one in, for an account whose script has balance
    sim.script = ScriptQuirks()
    monkeypatch.setenv("SIM_KEY", NEW)
    calls = sim.calls["balance"]
    fixed = cli("run", "--once", "--due", "--all")
    assert fixed.exit_code == 0, fixed.output
    # Before: the panel kept "no balance action" for a day, balance unasked.
    assert sim.calls["balance"] == calls + 1
    assert "balance 100.00 USD" in fixed.stdout and "no balance action" not in fixed.stdout
    assert "capabilities_forgotten" in fixed.stderr and "key changed" in fixed.stderr
    assert _rows(tmp_path, "SELECT action FROM panel_capabilities") == []  # nothing missing
    kinds = [kind for (kind,) in _rows(tmp_path, "SELECT kind FROM alerts ORDER BY id")]
    assert kinds[-2:] == ["auth_failed", "auth_recovered"]


def test_a_key_changed_under_cron_makes_the_panels_jobs_due_at_once(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No refusal between: the user moved to another account's key. As a
    # reload runs the panel's jobs at once, the next --due run asks balance,
    # not at its turn up to balance_every (15m) on.
    sim, cli = panel
    _learn_no_balance(sim, cli, tmp_path)
    sim.key, sim.script = NEW, ScriptQuirks()
    monkeypatch.setenv("SIM_KEY", NEW)
    calls = sim.calls["balance"]
    moved = cli("run", "--once", "--due")
    assert moved.exit_code == 0, moved.output
    assert sim.calls["balance"] == calls + 1
    assert "balance 100.00 USD" in moved.stdout


def test_a_mistyped_key_forgets_nothing(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, cli = panel
    _learn_no_balance(sim, cli, tmp_path)
    monkeypatch.setenv("SIM_KEY", "old-account-key-Qd4Lm8Tx2Rw9")  # one character off
    typo = cli("run", "--once", "--all")
    assert typo.exit_code == 1 and "capabilities_forgotten" not in typo.stderr
    assert _rows(tmp_path, "SELECT action, supported FROM panel_capabilities") == [("balance", 0)]
    monkeypatch.setenv("SIM_KEY", OLD)  # put right: nothing to learn again
    back = cli("run", "--once", "--all")
    assert back.exit_code == 0, back.output
    assert "no balance action" in back.stdout and "capabilities_forgotten" not in back.stderr


def test_the_same_key_keeps_what_was_learned_and_nothing_of_the_key_is_stored(
    panel: Any, tmp_path: Path
) -> None:
    sim, cli = panel
    _learn_no_balance(sim, cli, tmp_path)
    calls = sim.calls["balance"]
    kept = cli_process(tmp_path, ["run", "--once", "--due"], stdout=-1, env={"SIM_KEY": OLD})
    assert kept.returncode == 0, kept.stderr
    assert sim.calls["balance"] == calls and "capabilities_forgotten" not in kept.stderr
    assert "no balance action" in kept.stdout
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    for secret in (OLD, OLD.lower(), OLD.encode().hex()):
        assert secret not in dump
    [(mark,)] = _rows(tmp_path, "SELECT key_mark FROM panel_capabilities")
    method, rounds, salt, digest = mark.split("$")
    assert method == "pbkdf2-sha256" and int(rounds) >= 50_000
    assert len(bytes.fromhex(salt)) == 16 and len(digest) == 8  # 32 bits: no key's name


def test_rows_from_before_the_mark_hold_then_a_key_changed_is_seen(
    panel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row written before m040 has no mark: it holds, as it did, and the
    # next run gives it its key's, so a key changed after that is seen.
    sim, cli = panel
    _learn_no_balance(sim, cli, tmp_path)
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE panel_capabilities SET key_mark = NULL")
    assert "no balance action" in cli("run", "--once").stdout
    [(mark,)] = _rows(tmp_path, "SELECT key_mark FROM panel_capabilities")
    assert mark is not None
    sim.key, sim.script = NEW, ScriptQuirks()
    monkeypatch.setenv("SIM_KEY", NEW)
    assert "balance 100.00 USD" in cli("run", "--once").stdout


def test_a_mark_tells_keys_apart_and_names_none() -> None:
    old, new = Secret(OLD), Secret(NEW)
    mark = key_mark(old)
    assert key_mark(old) == mark  # made once a process
    assert marks_key(mark, old) is True and marks_key(mark, new) is False
    assert OLD not in mark and OLD.encode().hex() not in mark
    # Another process's mark of the same key, another salt: still its.
    again = _written(OLD, bytes(16), ROUNDS)
    assert again != mark and marks_key(again, old) is True
    # Not a mark this tracker writes (a hand's, a bigger cost asked): not read.
    for junk in ("", "sha1$1$00$00", "pbkdf2-sha256$x$00$0000", f"pbkdf2-sha256$10$zz${'0' * 8}"):
        assert marks_key(junk, old) is None
    assert marks_key(f"pbkdf2-sha256$99999999${'00' * 16}${'0' * 8}", old) is None
