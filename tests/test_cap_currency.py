"""The daily cap's currency (`automation.daily_cap_currency`).

A cap has no currency of its own: `daily_cap = 25` was 25 of whatever the
panel charged in, so a panel switching from RUB to USD (the balance job's
`balance_currency_changed`) had its cap meant in roubles count dollars, a
hundredfold. With `daily_cap_currency` set, a panel's re-orders are held
while its balance names another currency (or none); unset, they are held
for 24 h after its currency changed. Against the simulated panel on
loopback, on the test's clock, with the real jobs and CLI.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from automation_kit import cli_today, run  # noqa: F401  (fixture)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, H, World
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.errors import ConfigError, JobPaused
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES
from tracker.store import automation as automation_sql
from tracker.store.alerts import alerts_since

REORDER = "reorder = true\nreorder_services = [1]\ndaily_cap = 100\n"
HELD = "automation_currency_held"


def balance(w: World, currency: str) -> None:
    """The panel answers its balance in ``currency`` from now on; the balance job runs."""
    w.panel.currency = currency
    assert w.jobs["balance:sim"].run()


def placed(w: World) -> list[int]:
    return [a["order_id"] for a in reversed(automation_sql.actions(w.store))]


def skipped(w: World) -> dict[int, str]:
    return {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}


def kinds(w: World, kind: str) -> list[dict]:
    return [a for a in alerts_since(w.store, None, limit=100) if a["kind"] == kind]


def partial(w: World) -> int:
    """An order the tracker saw In progress and then end Partial."""
    order_id = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    return order_id


def reorder_world(world, cap_currency: str | None = None) -> World:
    extra = f'daily_cap_currency = "{cap_currency}"\n' if cap_currency is not None else ""
    w = world(automation=REORDER + extra)
    assert w.sync_services()
    return w


# --- the config -------------------------------------------------------------------


def _automation(value: object):
    data = {
        "panels": [{"name": "main", "url": "https://panel.example/api/v2", "key": "k" * 12}],
        "automation": {"reorder": True, "daily_cap": 5, "daily_cap_currency": value},
    }
    return config_from_dict(data, base_dir=Path("."), env={}).automation


def test_the_caps_currency_is_a_code_of_three_letters_in_any_case():
    assert _automation("usd").daily_cap_currency == "USD"
    assert _automation(" RUB ").daily_cap_currency == "RUB"
    assert _automation("").daily_cap_currency is None


def test_a_crypto_panels_currency_of_four_letters_is_a_cap_currency_too():
    # A panel taking crypto names its balance "USDT": a cap meant in it must
    # be writable, or its re-orders would be held for good once it was set.
    assert _automation("usdt").daily_cap_currency == "USDT"
    assert _automation("USDC").daily_cap_currency == "USDC"


@pytest.mark.parametrize(
    ("value", "kept"), [(" $ ", "$"), ("₽", "₽"), ("US Dollar", "US Dollar"), ("руб.", "руб.")]
)
def test_a_cap_currency_may_be_written_as_the_panel_labels_its_balance(value, kept):
    # A panel answering "$" could never match a code: its re-orders were held
    # for good, and "$" was a config error. It is kept as written, never
    # taken for USD.
    assert _automation(value).daily_cap_currency == kept


@pytest.mark.parametrize(
    ("value", "got"), [("$" * 41, repr("$" * 41)), ("US\x1b[2J", "'US\\x1b[2J'")]
)
def test_a_cap_currency_too_long_or_with_control_characters_is_a_config_error(value, got):
    with pytest.raises(ConfigError) as raised:
        _automation(value)
    assert raised.value.problems == [
        "at 'automation.daily_cap_currency': must be a currency code like \"USD\", or the "
        'label the panel\'s balance names its currency by ("$"), up to 40 characters '
        f"(got {got})"
    ]


LABEL = "Russian roubles, as this panel writes it"  # 40 characters, the longest allowed


def test_automation_shows_a_long_cap_currency_label_whole(world, monkeypatch):
    # The spend line cut the cap's currency at 20 characters ("of cap 100.00
    # Russian roubles, a…"), though the config takes 40.
    w = reorder_world(world, LABEL)
    balance(w, LABEL)
    piped = w.cli("automation").stdout
    assert f"sim: re-orders today: 0.00 of cap 100.00 {LABEL}\n" in piped

    import tracker.cli.screen as screen

    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    lines = w.cli("automation").stdout.splitlines()
    at = lines.index("sim: re-orders today: 0.00 of cap")  # wrapped: the label whole below
    assert lines[at + 1] == f"  100.00 {LABEL}"
    assert max(len(line) for line in lines) <= 80


def test_a_cap_currency_that_is_no_string_is_a_config_error():
    with pytest.raises(ConfigError) as raised:
        _automation(840)
    problems = str(raised.value)
    assert "automation.daily_cap_currency" in problems and "Traceback" not in problems


# --- daily_cap_currency set -------------------------------------------------------


@pytest.mark.usefixtures("fresh_logs")
def test_reorders_are_held_while_the_panels_currency_is_not_the_caps(world):
    w = reorder_world(world, "RUB")
    balance(w, "USD")  # the panel moved to dollars: a cap of 100 meant in roubles
    parent = partial(w)
    with capture_logs() as logs:
        assert run(w) and run(w)
    assert w.panel.calls["add"] == 0 and placed(w) == []
    reason = "the panel's currency is USD, not the daily cap's RUB (automation.daily_cap_currency)"
    assert skipped(w) == {parent: reason}
    [line, *_] = [e for e in logs if e["event"] == "reorders_held"]
    assert (line["orders"], line["reason"]) == (1, reason)
    [alert] = kinds(w, HELD)  # once for the hold, not at every run
    assert alert["severity"] == "warning"
    assert alert["message"] == f"sim: 1 re-order held: {reason}: #{parent}"
    assert alert["data"]["orders"] == [parent]

    shown = w.cli("automation")
    assert f"sim: re-orders today: 0.00 of cap 100.00 RUB; held: {reason}" in shown.stdout
    listed = shown.stdout.split("skipped:")[1]  # piped: the reason cut to its column
    assert "the panel's currency is USD, not the daily cap's RUB" in listed
    as_json = json.loads(w.cli("automation", "--json").stdout)
    assert as_json["settings"]["daily_cap_currency"] == "RUB"
    [spend] = as_json["spend"]
    assert (spend["currency"], spend["cap_currency"], spend["held"]) == ("USD", "RUB", reason)

    balance(w, "rub")  # back in roubles (written in lower case: the same currency)
    assert run(w)
    assert placed(w) == [parent]
    assert json.loads(w.cli("automation", "--json").stdout)["spend"][0]["held"] is None


def test_the_run_summary_says_the_reorders_are_held(world, clock, monkeypatch):
    w = reorder_world(world, "RUB")
    balance(w, "USD")
    partial(w)  # a re-order the hold keeps back
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's
    result = w.cli("run", "--once")
    assert result.exit_code == 0, result.output
    held = "re-orders held: the panel's currency is USD, not the daily cap's RUB"
    assert held in result.stdout


def test_reorders_are_held_while_the_panels_currency_is_unknown(world):
    w = reorder_world(world, "USD")  # no balance fetched yet: its currency unknown
    parent = partial(w)
    assert run(w)
    assert w.panel.calls["add"] == 0
    assert skipped(w)[parent].startswith("the panel's currency is not known")
    balance(w, "USD")
    assert run(w)
    assert placed(w) == [parent]


def test_a_hold_that_ended_is_alerted_again_when_it_begins_again(world):
    w = reorder_world(world, "USD")
    balance(w, "EUR")
    first = partial(w)
    assert run(w)
    balance(w, "USD")
    assert run(w) and placed(w) == [first]
    balance(w, "EUR")
    second = partial(w)
    assert run(w)
    assert placed(w) == [first] and second in skipped(w)
    assert [a["data"]["orders"] for a in kinds(w, HELD)] == [[first], [second]]


# --- daily_cap_currency unset -----------------------------------------------------


def test_reorders_are_held_for_a_day_after_the_panels_currency_changed(world, clock):
    w = reorder_world(world)
    balance(w, "RUB")
    clock.advance(H)
    balance(w, "USD")  # balance_currency_changed: the cap of 100 was meant in roubles?
    parent = partial(w)
    assert run(w)
    assert w.panel.calls["add"] == 0
    reason = skipped(w)[parent]
    assert reason == (
        "the panel's currency changed from RUB to USD within 24 h, and the daily cap "
        "names none: held until 2026-11-02T13:00:00+00:00 (24 h after the change), or set "
        "automation.daily_cap_currency (or daily_cap_currency_panels)"
    )
    [alert] = kinds(w, HELD)
    assert reason in alert["message"]

    clock.advance(DAY - H)  # 23 h after the change: still held
    balance(w, "USD")
    assert run(w) and w.panel.calls["add"] == 0
    clock.advance(2 * H)  # 25 h after it
    assert w.sync_services()  # the services rate is fresh (a day without: stale)
    balance(w, "USD")
    assert run(w)
    assert placed(w) == [parent]


def test_setting_the_caps_currency_ends_the_hold_after_a_change(world, clock):
    w = reorder_world(world)
    balance(w, "RUB")
    clock.advance(H)
    balance(w, "USD")
    parent = partial(w)
    assert run(w) and placed(w) == []
    # As a reload with the currency set: the jobs made again from the config.
    config = w.tracker.config
    w.tracker.config = replace(
        config, automation=config.automation._replace(daily_cap_currency="USD")
    )
    w.jobs = {job.name: job for job in w.tracker.jobs()}
    assert run(w)
    assert placed(w) == [parent]


def changed_to_dollars(world, clock) -> World:
    """A world whose panel's balance named roubles, then dollars at 13:00 UTC
    (its re-orders held until 13:00 the next day); now 15:00."""
    w = reorder_world(world)
    balance(w, "RUB")
    clock.advance(H)  # 13:00 UTC: the balance names dollars
    balance(w, "USD")
    clock.advance(2 * H)
    return w


def test_automation_says_when_a_hold_after_a_change_ends(world, clock, monkeypatch):
    # It said "held for 24 h after the change": after which balance check,
    # when exactly, the user had to work out from the logs.
    w = changed_to_dollars(world, clock)
    spend = json.loads(w.cli("automation", "--json").stdout)["spend"][0]
    assert spend["held_until"] == "2026-11-02T13:00:00+00:00"
    assert "held until 2026-11-02T13:00:00+00:00 (24 h after the change)" in spend["held"]
    piped = w.cli("automation").stdout  # as stored, for scripts
    assert "; held: the panel's currency changed from RUB to USD within 24 h" in piped
    assert "held until 2026-11-02T13:00:00+00:00 (24 h after the change)" in piped

    import tracker.cli.screen as screen

    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(screen, "utcnow", clock)
    monkeypatch.setenv("COLUMNS", "200")
    shown = w.cli("automation").stdout  # on a terminal: as the CLI says a time
    assert "held until Nov 02 13:00 UTC (24 h after the change)" in shown

    clock.advance(DAY)  # the hold is over: nothing to say
    spend = json.loads(w.cli("automation", "--json").stdout)["spend"][0]
    assert (spend["held"], spend["held_until"]) == (None, None)


def test_the_run_summary_says_a_holds_end_as_the_cli_says_a_time(world, clock, monkeypatch):
    # `automation` said "held until Nov 02 13:00 UTC" on a terminal; `run
    # --once`'s summary said "held until 2026-11-02T13:00:00+00:00" there.
    w = changed_to_dollars(world, clock)
    partial(w)  # a re-order the hold keeps back
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's
    piped = w.cli("run", "--once").stdout  # as stored, for scripts and cron
    assert "held until 2026-11-02T13:00:00+00:00 (24 h after the change)" in piped

    import tracker.cli.run_summary as run_summary
    import tracker.cli.screen as screen

    monkeypatch.setattr(run_summary, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(screen, "utcnow", clock)
    monkeypatch.setenv("COLUMNS", "400")  # the line unwrapped
    shown = w.cli("run", "--once").stdout
    assert "re-orders held: the panel's currency changed from RUB to USD" in shown
    assert "held until Nov 02 13:00 UTC (24 h after the change)" in shown
    assert "+00:00" not in shown


def test_history_says_when_a_hold_after_a_change_ends_as_automation_does(world, clock, monkeypatch):
    # On a terminal `automation` said "held until Nov 02 13:00 UTC" and
    # `history ID` of the same held order "held until 2026-11-02T13:00:00+00:00".
    w = changed_to_dollars(world, clock)
    parent = partial(w)
    assert run(w) and placed(w) == []
    piped = w.cli("history", str(parent)).stdout  # as stored, for scripts
    assert "not re-ordered by the automation: the panel's currency changed" in piped
    assert "held until 2026-11-02T13:00:00+00:00 (24 h after the change)" in piped

    import tracker.cli.screen as screen

    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(screen, "utcnow", clock)
    monkeypatch.setenv("COLUMNS", "200")
    shown = w.cli("history", str(parent)).stdout
    assert "held until Nov 02 13:00 UTC (24 h after the change)" in shown
    assert "2026-11-02T13:00:00+00:00" not in shown


def test_alerts_on_a_terminal_say_when_a_hold_ends_as_automation_does(world, clock, monkeypatch):
    # The automation_currency_held alert read "held until 2026-11-02T13:00:00+00:00"
    # on a terminal, beside its own AT column's "13:00".
    w = changed_to_dollars(world, clock)
    partial(w)
    assert run(w) and len(kinds(w, HELD)) == 1
    piped = w.cli("alerts").stdout  # as stored, for scripts
    assert "held until 2026-11-02T13:00:00+00:00 (24 h after the change)" in piped

    import tracker.cli.screen as screen

    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(screen, "utcnow", clock)
    monkeypatch.setenv("COLUMNS", "300")
    shown = w.cli("alerts").stdout
    assert "held until Nov 02 13:00 UTC (24 h after the change)" in shown
    assert "2026-11-02T13:00:00+00:00" not in shown


def test_a_hold_for_a_set_cap_currency_has_no_end_of_its_own(world):
    w = reorder_world(world, "RUB")
    balance(w, "USD")
    spend = json.loads(w.cli("automation", "--json").stdout)["spend"][0]
    assert spend["held"].startswith("the panel's currency is USD, not the daily cap's RUB")
    assert spend["held_until"] is None  # until a balance names RUB


@pytest.mark.parametrize("later", ["usd", " Usd"])
def test_a_currency_written_in_another_case_holds_nothing(world, clock, later):
    w = reorder_world(world)
    balance(w, "USD")
    clock.advance(H)
    balance(w, later)
    parent = partial(w)
    assert run(w)
    assert placed(w) == [parent]
    assert kinds(w, HELD) == []


# --- a panel labelling its balance "$" --------------------------------------------


def test_a_panel_labelling_its_balance_with_a_symbol_is_told_what_to_write(world):
    # "$" could never match a code: held for good, and "$" itself refused.
    w = reorder_world(world, "USD")
    balance(w, "$")  # never taken for USD: a guess with the user's money
    parent = partial(w)
    assert run(w)
    assert w.panel.calls["add"] == 0
    reason = (
        "the panel's currency is $, not the daily cap's USD (automation.daily_cap_currency); "
        'a cap meant in it: set automation.daily_cap_currency = "$"'
    )
    assert skipped(w)[parent] == reason
    # Named as the lines around it name it: bare, quoted only as the config writes it.
    shown = " ".join(w.cli("automation").stdout.split())
    assert f"sim: re-orders today: 0.00 of cap 100.00 USD; held: {reason}" in shown
    assert '"$"' not in reason.partition("; a cap meant in it")[0]


@pytest.mark.parametrize(("label", "written"), [("$", "$"), (" US Dollar ", "us dollar")])
def test_a_cap_currency_written_as_the_panel_labels_it_lets_its_reorders_go(world, label, written):
    w = reorder_world(world, written)
    balance(w, label)
    parent = partial(w)
    assert run(w)
    assert placed(w) == [parent]
    spend = json.loads(w.cli("automation", "--json").stdout)["spend"][0]
    assert (spend["cap_currency"], spend["held"]) == (written, None)


def test_a_panel_may_count_its_cap_in_its_own_money_beside_a_set_cap_currency(world, clock):
    # daily_cap_currency_panels = { sim = "" } was a config error: a panel
    # whose balance names no currency (or another) was held for good.
    w = world(
        automation=REORDER
        + 'daily_cap_currency = "USD"\ndaily_cap_currency_panels = { sim = "" }\n'
    )
    assert w.sync_services()
    balance(w, "RUB")
    parent = partial(w)
    assert run(w)
    assert placed(w) == [parent]
    as_json = json.loads(w.cli("automation", "--json").stdout)
    assert as_json["settings"]["daily_cap_currency_panels"] == {"sim": None}
    assert (as_json["spend"][0]["cap_currency"], as_json["spend"][0]["held"]) == (None, None)

    clock.advance(H)  # its own money: held for a day after it changes, as with none set
    balance(w, "EUR")
    assert run(w)
    second = partial(w)
    assert run(w)
    assert second in skipped(w) and placed(w) == [parent]
    assert skipped(w)[second].endswith(
        "(24 h after the change), or set automation.daily_cap_currency_panels.sim"
    )


def test_a_panel_whose_currency_is_unknown_is_told_how_to_count_in_its_own_money(world):
    w = reorder_world(world, "USD")
    parent = partial(w)
    assert run(w)
    assert skipped(w)[parent] == (
        "the panel's currency is not known (no balance naming one fetched), and the daily cap "
        "is in USD (automation.daily_cap_currency); to count its cap in its own money, set its "
        'entry in automation.daily_cap_currency_panels to ""'
    )


# --- how `automation` prints it -----------------------------------------------------


def test_piped_automation_gives_each_held_reason_whole(world):
    # The skipped table cut a reason at 60 characters: "the panel's currency
    # is "$", not the daily cap's USD (automation.daily_ca…", what to write lost.
    w = reorder_world(world, "USD")
    balance(w, "$")
    parent = partial(w)
    assert run(w)
    reason = skipped(w)[parent]
    piped = w.cli("automation").stdout.split("skipped:\n")[1]
    head, row = piped.splitlines()[:2]
    assert row.split("  ")[-1].strip() == "1" and head.endswith("TIMES")  # the columns as ever
    assert f"  {reason}  " in row


def test_automations_first_line_wraps_before_after_not_inside_it(world, monkeypatch):
    # At 80 columns it broke "(after" / "1m)" over two lines.
    w = world(automation=REORDER + 'cancel_pending = true\ncancel_pending_after = "1m"\n')
    import tracker.cli.screen as screen

    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    first, second = w.cli("automation").stdout.splitlines()[:2]
    assert first == "automation: stall alerts on, re-order Partial on, cancel stale Pending on"
    assert second == "  (after 1m)"
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: False)  # piped: one line, as ever
    assert w.cli("automation").stdout.splitlines()[0] == (
        "automation: stall alerts on, re-order Partial on, cancel stale Pending on (after 1m)"
    )


def test_automations_first_line_keeps_the_dry_run_tag_on_one_line(world, monkeypatch):
    w = world(automation="dry_run = true\ncancel_pending = true\n")
    import tracker.cli.screen as screen

    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "50")  # it broke "[DRY RUN: nothing" / "is sent]"
    lines = w.cli("automation").stdout.splitlines()[:3]
    assert any(line.endswith("[DRY RUN: nothing is sent]") for line in lines), lines
    assert max(map(len, lines)) <= 50, lines


# --- a balance the balance job let grow old, asked before re-ordering -----------------

MIN = 60
STALE = 17 * MIN  # older than the balance job's 15 min and its slack (16.5 min)


def test_a_switch_since_the_last_balance_is_seen_before_a_reorder_is_placed(world, clock):
    # The re-orders went on the last balance's currency however old it was
    # (a balance job failing or late): a cap meant in RUB counted dollars.
    w = reorder_world(world, "RUB")
    balance(w, "RUB")
    parent = partial(w)
    clock.advance(STALE)  # the balance job did not run: asked first
    w.panel.currency = "USD"  # the panel switched; the balance job has not run since
    held_on_asked_balance(w, parent)
    # The balance job's own check: stored, the change told as ever.
    assert json.loads(w.cli("automation", "--json").stdout)["spend"][0]["currency"] == "USD"


def test_a_fresh_balance_or_nothing_to_place_asks_nothing_more(world, clock):
    w = reorder_world(world, "RUB")
    balance(w, "RUB")
    asked = w.panel.calls["balance"]
    clock.advance(STALE)
    assert run(w)  # nothing to re-order: no call, however old the balance
    assert w.panel.calls["balance"] == asked
    balance(w, "RUB")  # fresh
    parent = partial(w)
    assert run(w)
    assert placed(w) == [parent] and w.panel.calls["balance"] == asked + 1  # the job's alone


def test_a_failing_balance_check_holds_the_reorders(world, clock):
    w = reorder_world(world)  # no cap currency: a change would still hold them a day
    balance(w, "RUB")
    parent = partial(w)
    clock.advance(STALE)
    w.panel.inject("json500", count=1, action="balance")
    assert run(w)
    assert w.panel.calls["add"] == 0
    assert skipped(w)[parent] == (
        "the panel's currency could not be checked before re-ordering (its balance call "
        "failed; last checked 2026-11-01T12:00:00+00:00): held until a balance check answers"
    )
    assert run(w)  # answered now: placed
    assert placed(w) == [parent]


def test_a_balance_the_balance_job_keeps_fresh_is_not_asked_again(world, clock):
    # With the defaults (a run every 10 min, the balance job every 15) a run
    # placing re-orders asked one more balance whenever the last was over 10
    # min old: a call in three the balance job made anyway minutes later.
    w = reorder_world(world, "RUB")
    balance(w, "RUB")
    parent = partial(w)
    clock.advance(16 * MIN)  # older than a run and the balance job's 15 min, in its slack
    asked = w.panel.calls["balance"]
    assert run(w)
    assert placed(w) == [parent] and w.panel.calls["balance"] == asked  # no call added


def test_a_key_refused_to_the_balance_asked_first_keeps_the_runs_skips(world, clock):
    # The refusal paused the panel before the run stored why it left the
    # orders it had judged: `automation` showed nothing of them.
    w = reorder_world(world, "RUB")
    balance(w, "RUB")
    likes = w.ended(SERVICE_LIKES)  # judged first (lower ID): not in reorder_services
    parent = partial(w)
    clock.advance(STALE)
    w.panel.key = "another-key-entirely"  # the panel refuses the tracker's key now
    with pytest.raises(JobPaused):
        run(w)
    assert w.panel.calls["add"] == 0
    assert skipped(w) == {likes: "its service is not in automation.reorder_services"}
    assert parent not in skipped(w)  # not judged to the end: the key's, not the order's


def held_on_asked_balance(w: World, parent: int) -> None:
    """Run the automation once, the panel now in USD: check it asked the
    balance first, placed nothing, and held ``parent``'s re-order for the
    cap's RUB, said in one automation_currency_held alert."""
    asked = w.panel.calls["balance"]
    assert run(w)
    assert w.panel.calls["balance"] == asked + 1 and w.panel.calls["add"] == 0
    reason = "the panel's currency is USD, not the daily cap's RUB (automation.daily_cap_currency)"
    assert skipped(w) == {parent: reason}
    [alert] = kinds(w, HELD)
    assert alert["data"]["orders"] == [parent]
