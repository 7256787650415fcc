"""Two accounts on one panel (one url, two keys), as resellers hold them, and
the config mistakes made by hand: the keys swapped between them, one's key
pasted under the other. Through the real CLI in-process against simulated
accounts on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from simconfig import LaterRuns, cli_in

from tracker.sim.faults import Reply
from tracker.sim.server import PanelServer, SimulatedPanel

KEY_A, KEY_B = "acct-a-Key7Qm2Zp9Lw4", "acct-b-Key3Xr8Vn1Ty6"
HINT = "(is the key another account's, or the url another panel's?)"


class TwoAccounts:
    """One panel, two accounts: each key sees its own orders (IDs apart, as
    one panel numbers every account's orders); any other key is refused."""

    latency = 0.0

    def __init__(self) -> None:
        self.a = SimulatedPanel(key=KEY_A, seed=3, speed=600.0, first_order_id=100001)
        self.b = SimulatedPanel(key=KEY_B, seed=4, speed=600.0, first_order_id=200001)

    def answer(self, form: dict[str, str]) -> Reply:
        return (self.b if form.get("key") == KEY_B else self.a).answer(form)


def config(url: str) -> str:
    panels = [
        f'[[panels]]\nname = "{name}"\nurl = "{url}"\nkey_env = "{name.upper()}_KEY"\n'
        for name in ("alpha", "beta")
    ]
    return (
        '[database]\npath = "t.db"\n'
        + "".join(panels)
        + '[schedule]\nunknown_give_up = "0s"\n[alerts]\nunreachable_after = "1s"\n'
    )


def tracked(tmp_path, monkeypatch, url, accounts):
    """Return the CLI with each account's two orders tracked on its panel, and the IDs."""
    cli = cli_in(tmp_path, monkeypatch, config(url))
    monkeypatch.setenv("ALPHA_KEY", KEY_A)
    monkeypatch.setenv("BETA_KEY", KEY_B)
    a = [str(i) for i in accounts.a.seed_orders(2, status="In progress")]
    b = [str(i) for i in accounts.b.seed_orders(2, status="In progress")]
    assert cli("track", "--panel", "alpha", *a).exit_code == 0
    assert cli("track", "--panel", "beta", *b).exit_code == 0
    return cli, a + b


def swap(monkeypatch):
    monkeypatch.setenv("ALPHA_KEY", KEY_B)
    monkeypatch.setenv("BETA_KEY", KEY_A)


@pytest.fixture
def served() -> Iterator[tuple[PanelServer, TwoAccounts]]:
    """Yield (server, panel): the two accounts' panel served on loopback."""
    accounts = TwoAccounts()
    server = PanelServer(accounts)  # type: ignore[arg-type]
    server.start()
    yield server, accounts
    server.stop()


def test_swapped_keys_give_nothing_up_and_the_keys_put_back_poll_all(tmp_path, monkeypatch, served):
    server, accounts = served
    cli, ids = tracked(tmp_path, monkeypatch, server.url, accounts)
    assert cli("run", "--once").exit_code == 0

    # The keys swapped: every order is "Incorrect order ID" to the other account.
    swap(monkeypatch)
    failed = cli("run", "--once", "--all")
    assert failed.exit_code == 1
    assert f"every order asked was refused: Incorrect order ID {HINT}" in failed.output
    # Nothing given up (unknown_give_up is 0s), nothing marked unknown.
    lost = cli("orders", "--status", "lost", "--json")
    assert lost.exit_code == 0 and lost.stdout.strip() == "[]"
    assert "Incorrect order ID" not in cli("orders").stdout

    # The keys put back: every order polled again, no track needed.
    monkeypatch.setenv("ALPHA_KEY", KEY_A)
    monkeypatch.setenv("BETA_KEY", KEY_B)
    assert cli("run", "--once", "--all").exit_code == 0
    listed = json.loads(cli("orders", "--json").stdout)
    assert sorted(str(x["order_id"]) for x in listed) == sorted(ids)
    assert {(x["status"], x["error"], x["lost"]) for x in listed} == {("In progress", None, False)}

    # One account's key pasted under the other: refused before anything is asked.
    monkeypatch.setenv("ALPHA_KEY", KEY_B)
    pasted = cli("run", "--once")
    assert pasted.exit_code == 2
    assert "at 'panels[1]': 'beta' has the url and key of panels[0] ('alpha')" in pasted.output
    assert KEY_B not in pasted.output


def test_swapped_keys_one_alert_per_panel_and_doctor_says_why(tmp_path, monkeypatch, served):
    server, accounts = served
    cli, _ = tracked(tmp_path, monkeypatch, server.url, accounts)
    later = LaterRuns(monkeypatch)
    swap(monkeypatch)
    assert cli("run", "--once").exit_code == 1
    later.advance(1.05)  # the next run past unreachable_after
    assert cli("run", "--once").exit_code == 1
    alerts = json.loads(cli("alerts", "--json").stdout)["alerts"]
    assert sorted((x["panel"], x["kind"]) for x in alerts) == [
        ("alpha", "status_failing"),
        ("beta", "status_failing"),
    ]
    doctor = cli("doctor")
    assert doctor.exit_code == 0, doctor.output  # each key is accepted: a warning
    for name in ("alpha", "beta"):
        line = next(x for x in doctor.output.splitlines() if x.startswith(f"warn panel {name}:"))
        assert f"Incorrect order ID {HINT}" in line, line
