"""What the daily cap's currency hold says, and when `run --once` says it:
its reason for a panel with no balance action, and the summary's "re-orders
held" only when the hold kept a re-order back in that run. Against the
simulated panel on loopback, on the test's clock, with the real jobs and CLI.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from automation_kit import cli_today, run  # noqa: F401  (fixture)
from refill_world import World
from test_cap_currency import balance, kinds, partial, placed, reorder_world, skipped

from tracker.config.model import Secret
from tracker.rules.money import money
from tracker.store.capabilities import learn


def no_balance_action(w: World) -> None:
    """The tracker learned the panel's script has no ``balance`` action."""
    panel = w.config.panels[0]
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    key = Secret(panel.key.reveal())
    learn(w.store, "sim", "balance", False, "Incorrect request", now, url=panel.url, key=key)


def test_a_hold_on_a_panel_with_no_balance_action_says_so_and_the_way_out(world):
    # It said "no balance naming one fetched": as if a balance check would
    # come and tell, on a panel that has none to ask.
    w = reorder_world(world, "USD")
    no_balance_action(w)
    parent = partial(w)
    assert run(w)
    assert w.panel.calls["add"] == 0 and placed(w) == []
    reason = skipped(w)[parent]
    assert reason.startswith("the panel's currency is not known (it has no balance action)")
    assert "no balance naming one fetched" not in reason
    assert 'set its entry in automation.daily_cap_currency_panels to ""' in reason
    shown = w.cli("automation").stdout
    assert "held: the panel's currency is not known (it has no balance action)" in shown


def test_the_run_summary_says_re_orders_held_only_when_one_was_held_back(world, clock, monkeypatch):
    # Every `run --once` while the hold applied ended "; re-orders held: ...",
    # with no Partial to re-order: a line cron mailed again at every run.
    w = reorder_world(world, "RUB")
    balance(w, "USD")
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's
    quiet = w.cli("run", "--once")
    assert quiet.exit_code == 0, quiet.output
    [line] = [x for x in quiet.stdout.splitlines() if x.startswith("sim:")]
    assert "held" not in line
    partial(w)  # now one the hold keeps back
    held = w.cli("run", "--once")
    assert held.exit_code == 0, held.output
    reason = "the panel's currency is USD, not the daily cap's RUB"
    assert f"; re-orders held: {reason}" in held.stdout
    assert w.panel.calls["add"] == 0


def reordered_in_euros(world, clock, now_in: str | None = None) -> World:
    """A world whose cap is in the panel's own money, with one re-order
    placed while its balance named EUR; given ``now_in``, a minute later
    its balance names that currency."""
    w = reorder_world(world)
    balance(w, "EUR")
    clock.advance(60)
    partial(w)
    assert run(w) and len(placed(w)) == 1
    if now_in is not None:
        clock.advance(60)
        balance(w, now_in)
    return w


def test_todays_spend_after_a_change_of_currency_names_the_currency_it_was_spent_in(world, clock):
    # After the panel's currency changed from EUR to RUB, `automation` said
    # "re-orders today: 0.45 of cap 100.00 RUB": the 0.45 was spent in EUR,
    # and counts toward no cap in roubles.
    w = reordered_in_euros(world, clock, now_in="RUB")
    [spend] = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert spend["currency"] == "RUB" and spend["spent"] > 0
    assert spend["spent_in"] == [{"currency": "EUR", "spent": spend["spent"]}]
    assert spend["counted"] == 0
    shown = " ".join(w.cli("automation").stdout.split())
    spent = f"{spend['spent']:.2f}"
    assert (
        f"sim: re-orders today: 0.00 of cap 100.00 RUB "
        f"(and {spent} EUR spent in another currency, not counted)"
    ) in shown


def test_todays_spend_in_two_other_currencies_says_other_currencies(world, clock):
    # After EUR, then USD, then RUB in one day, `automation` said "(and 0.45
    # EUR + 0.50 USD spent in another currency, not counted)": two are other
    # currencies.
    w = reordered_in_euros(world, clock, now_in="USD")
    clock.advance(60)
    w.store.track("sim", [99], w.clock())
    with w.store.write() as db:  # a re-order recorded while the balance named USD
        db.execute(
            "INSERT INTO automation_actions (panel, order_id, action, dry_run, status, "
            "quantity, estimated_cost, reason, at, updated_at) "
            "VALUES ('sim', 99, 'reorder', 0, 'Placed', 500, 0.5, 'Partial', ?, ?)",
            [w.clock().isoformat(timespec="seconds")] * 2,
        )
    clock.advance(60)
    balance(w, "RUB")
    [spend] = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert [p["currency"] for p in spend["spent_in"]] == ["EUR", "USD"]
    shown = " ".join(w.cli("automation").stdout.split())
    assert "EUR + 0.50 USD spent in other currencies, not counted)" in shown
    assert "spent in another currency" not in shown


def test_a_re_orders_cost_in_another_currency_than_the_caps_names_it(world, clock):
    # After EUR to RUB, the actions' COST read "0.45" beside a spend line in
    # roubles: euros under a cap in roubles, with no word of it.
    w = reordered_in_euros(world, clock)
    [spend] = json.loads(w.cli("automation", "--json").stdout)["spend"]
    cost = f"{spend['spent']:.2f}"
    [row] = [x for x in w.cli("automation").stdout.splitlines() if " reorder " in x]
    assert f" {cost} " in row and "EUR" not in row  # in the cap's currency: bare, as before
    clock.advance(60)
    balance(w, "RUB")
    [row] = [x for x in w.cli("automation").stdout.splitlines() if " reorder " in x]
    assert f" {cost} EUR " in row


def test_automation_json_names_each_actions_currency(world, clock):
    # `automation --json`'s actions had no currency: after EUR to RUB, a
    # script read the re-order's estimated_cost 0.45 as roubles.
    w = reordered_in_euros(world, clock, now_in="RUB")
    [action] = json.loads(w.cli("automation", "--json").stdout)["actions"]
    assert action["currency"] == "EUR" and action["estimated_cost"] > 0


def test_todays_spend_in_the_caps_currency_is_said_as_before(world, clock):
    w = reorder_world(world)
    balance(w, "EUR")
    clock.advance(60)
    partial(w)
    assert run(w) and len(placed(w)) == 1
    [spend] = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert spend["spent_in"] == [{"currency": "EUR", "spent": spend["spent"]}]
    shown = w.cli("automation").stdout
    assert f"sim: re-orders today: {spend['spent']:.2f} of cap 100.00 EUR" in shown


def test_a_panel_moved_from_a_url_without_balance_is_not_said_to_have_none(world):
    # Learned missing at its old URL, the panel's balance action was still
    # said missing at its new one: "(it has no balance action)", and the way
    # out offered was to give up the cap's currency for it.
    w = reorder_world(world, "USD")
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    key = Secret(w.config.panels[0].key.reveal())
    old = "https://old-panel.example/api/v2"
    learn(w.store, "sim", "balance", False, "Incorrect request", now, url=old, key=key)
    parent = partial(w)
    assert run(w)
    assert w.panel.calls["add"] == 0
    reason = skipped(w)[parent]
    assert reason.startswith("the panel's currency is not known (no balance naming one fetched)")
    shown = w.cli("automation").stdout
    assert "it has no balance action" not in shown
    assert "held: the panel's currency is not known (no balance naming one fetched)" in shown


def test_the_run_summary_says_a_hold_for_a_balance_check_that_failed(world, clock, monkeypatch):
    # The summary matched the hold's reason as of its end, which knew
    # nothing of the balance asked before re-ordering: a Partial held for
    # that check's failure was not in `run --once`'s line (cron mailed
    # nothing), while `automation` listed it.
    w = reorder_world(world, "RUB")
    balance(w, "RUB")
    parent = partial(w)
    clock.advance(17 * 60)  # the balance job's turn missed: asked before re-ordering
    w.panel.inject("json500", count=100, action="balance")  # the run's balance calls fail
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's
    result = w.cli("run", "--once")
    assert w.panel.calls["add"] == 0
    reason = skipped(w)[parent]
    assert reason.startswith("the panel's currency could not be checked before re-ordering")
    assert f"; re-orders held: {reason}" in " ".join(result.stdout.split())


def euros_then_a_cap_in_roubles(world, clock) -> tuple[World, int]:
    """A world with a daily cap of 0.50 and one re-order (its ID returned)
    placed while the balance named EUR; then the balance names RUB and the
    cap's currency is set to RUB."""
    w = world(automation="reorder = true\nreorder_services = [1]\ndaily_cap = 0.5\n")
    assert w.sync_services()
    balance(w, "EUR")
    clock.advance(60)
    first = partial(w)
    assert run(w) and placed(w) == [first]  # spent in euros
    clock.advance(60)
    balance(w, "RUB")
    config = w.tracker.config  # as a reload with the cap's currency set: jobs made again
    auto = config.automation._replace(daily_cap_currency="RUB")
    w.tracker.config = replace(config, automation=auto)
    w.jobs = {job.name: job for job in w.tracker.jobs()}
    return w, first


def test_a_cap_in_roubles_does_not_count_euros_spent_before_the_change(world, clock):
    # After EUR to RUB, with the cap's currency then set to RUB, the euros
    # spent earlier that day counted as roubles: 0.45 EUR + 0.45 RUB passed
    # a cap of 0.50 RUB, and the Partial was not re-ordered.
    w, first = euros_then_a_cap_in_roubles(world, clock)
    second = partial(w)
    assert run(w)
    assert placed(w) == [first, second] and second not in skipped(w)
    [spend] = json.loads(w.cli("automation", "--json").stdout)["spend"]
    [euros, roubles] = spend["spent_in"]
    assert (euros["currency"], roubles["currency"]) == ("EUR", "RUB")
    assert spend["counted"] == roubles["spent"] <= 0.5 < euros["spent"] + roubles["spent"]


def test_the_cap_alert_says_what_was_spent_in_another_currency_as_automation_does(world, clock):
    # After EUR to RUB, the cap's alert read "daily cap 0.50 reached (0.45
    # spent today)", where `automation` said the euros spent apart "(and 0.45
    # EUR spent in another currency, not counted)": the alert did not.
    w, first = euros_then_a_cap_in_roubles(world, clock)
    second, third = partial(w), partial(w)
    assert run(w) and placed(w) == [first, second]  # the third would pass the cap
    [spend] = json.loads(w.cli("automation", "--json").stdout)["spend"]
    [euros, roubles] = spend["spent_in"]
    [capped] = kinds(w, "automation_capped")
    assert capped["message"].startswith(
        f"sim: daily cap 0.50 RUB would be passed ({money(roubles['spent'])} spent today,"
        f" and {money(euros['spent'])} EUR spent in another currency, not counted): 1 re-order"
    )
    assert capped["message"].endswith(f"#{third}")
    data = json.loads(capped["data"]) if isinstance(capped["data"], str) else capped["data"]
    assert data["not_counted"] == [{"currency": "EUR", "spent": euros["spent"]}]
    assert data["currency"] == "RUB" and data["spent"] == roubles["spent"]


def test_a_rouble_panels_cap_alert_names_its_currency_as_balance_low_does(world, clock):
    # A panel answering in roubles, its currency never changed: the cap's alert
    # read "daily cap 0.50 would be passed (0.45 spent today)", 0.50 roubles
    # like dollars, where balance_low says "below 990.00 RUB" and automation
    # "of cap 0.50 RUB".
    w = world(automation="reorder = true\nreorder_services = [1]\ndaily_cap = 0.5\n")
    assert w.sync_services()
    balance(w, "RUB")
    clock.advance(60)
    first, second = partial(w), partial(w)
    assert run(w) and placed(w) == [first]
    [capped] = kinds(w, "automation_capped")
    assert capped["message"].startswith("sim: daily cap 0.50 RUB would be passed (")
    assert "another currency" not in capped["message"]
    assert capped["message"].endswith(f"#{second}")
    data = json.loads(capped["data"]) if isinstance(capped["data"], str) else capped["data"]
    assert data["currency"] == "RUB" and "not_counted" not in data
