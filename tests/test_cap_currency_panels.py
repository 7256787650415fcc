"""A currency per panel for the daily cap (`automation.daily_cap_currency_panels`).

`daily_cap_currency` names one currency for every panel's cap: a user with a
RUB panel and a USD panel could not set it (one of the two always held) and
had only the unset mode's 24-h hold after a change. Each panel's entry in
`daily_cap_currency_panels` takes its place for that panel. Against two
simulated panels on loopback, on the test's clock, with the real jobs and CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from automation_kit import cli_today  # noqa: F401  (fixture)
from refill_world import KEY, World
from simconfig import TEST_KEY, cli_in

from tracker.config.load import config_from_dict, load_config
from tracker.errors import ConfigError
from tracker.jobs.tracker import Tracker
from tracker.sim.server import SERVICE_FOLLOWERS, PanelServer, SimulatedPanel
from tracker.store import automation as automation_sql

# --- the config -------------------------------------------------------------------

PANELS = [
    {"name": "main", "url": "https://panel.example/api/v2", "key": "k" * 12},
    {"name": "other", "url": "https://other.example/api/v2", "key": "o" * 12},
]


def _automation(**values: object):
    data = {"panels": PANELS, "automation": {"reorder": True, "daily_cap": 5, **values}}
    return config_from_dict(data, base_dir=Path("."), env={}).automation


def _problems(**values: object) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        _automation(**values)
    return raised.value.problems


def test_each_panels_cap_currency_is_a_code_in_any_case_in_place_of_the_one_for_all():
    auto = _automation(daily_cap_currency_panels={"main": "rub", "other": " Usd "})
    assert auto.daily_cap_currency_panels == (("main", "RUB"), ("other", "USD"))
    assert auto.cap_currency("main") == ("RUB", "automation.daily_cap_currency_panels.main")
    assert auto.cap_currency("other") == ("USD", "automation.daily_cap_currency_panels.other")
    # A panel without an entry keeps daily_cap_currency (or none).
    auto = _automation(daily_cap_currency="USD", daily_cap_currency_panels={"main": "RUB"})
    assert auto.cap_currency("main") == ("RUB", "automation.daily_cap_currency_panels.main")
    assert auto.cap_currency("other") == ("USD", "automation.daily_cap_currency")
    assert _automation(daily_cap_currency_panels={"main": "RUB"}).cap_currency("other") == (
        None,
        "automation.daily_cap_currency",
    )


LABEL = (
    'must be a currency code like "USD", or the label the panel\'s balance names its '
    'currency by ("$"), up to 40 characters'
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("r" * 41, f"{LABEL} (got {'r' * 41!r})"),
        ("\x1b[2J", f"{LABEL} (got '\\x1b[2J')"),
        (840, "must be a string, not an integer"),
    ],
)
def test_a_panels_cap_currency_that_is_no_currency_is_a_config_error(value, problem):
    problems = _problems(daily_cap_currency_panels={"main": value})
    assert problems == [f"at 'automation.daily_cap_currency_panels.main': {problem}"]


def test_a_panels_cap_currency_is_a_code_or_the_panels_label_or_blank_for_its_own():
    auto = _automation(
        daily_cap_currency="USD", daily_cap_currency_panels={"main": " $ ", "other": ""}
    )
    assert auto.cap_currency("main") == ("$", "automation.daily_cap_currency_panels.main")
    # "" (an error before): the panel's own money, whatever daily_cap_currency says
    assert auto.cap_currency("other") == (None, "automation.daily_cap_currency_panels.other")


def test_a_cap_currency_for_a_panel_not_configured_is_a_config_error():
    assert _problems(daily_cap_currency_panels={"mian": "USD"}) == [
        "at 'automation.daily_cap_currency_panels.mian': is not a configured panel name "
        "(did you mean 'main'?)"
    ]
    assert _problems(daily_cap_currency_panels="RUB") == [
        "at 'automation.daily_cap_currency_panels': must be a table like "
        '{ main = "RUB" }, not a string'
    ]


def test_a_wrong_panels_cap_currency_ends_a_command_in_one_line(tmp_path, monkeypatch):
    config = (
        '[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "K"\n'
        '[automation]\ndaily_cap_currency_panels = { main = "rubles\\u001b[2J" }\n'
    )
    result = cli_in(tmp_path, monkeypatch, config, env={"K": TEST_KEY})("orders")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"smm-tracker: config {tmp_path / 'tracker.toml'}: at "
        f"'automation.daily_cap_currency_panels.main': {LABEL} (got 'rubles\\x1b[2J')"
    ]


# --- a RUB panel and a USD panel ----------------------------------------------------

AUTOMATION = (
    "reorder = true\nreorder_services = [1]\ndaily_cap = 100\n"
    'daily_cap_currency_panels = { sim = "rub", usd = "USD" }\n'
)


@pytest.fixture
def two(world, clock):
    """Make a World whose config holds a second simulated panel, "usd",
    besides "sim" (made in the test: on the code before, a config error)."""
    servers: list[PanelServer] = []

    def make() -> World:
        w = world(automation="")
        usd = SimulatedPanel(key=KEY, clock=lambda: clock().timestamp(), seed=8, speed=60.0)
        servers.append(PanelServer(usd).start())
        text = w.path.read_text().replace(
            "[refill]",
            f'[[panels]]\nname = "usd"\nurl = "{servers[-1].url}"\nkey = "{KEY}"\n'
            f'timeout = "5s"\nretries = 0\n[refill]',
            1,
        )
        w.path.write_text(text.replace("[automation]\n", f"[automation]\n{AUTOMATION}", 1))
        w.tracker.close()
        w.config = load_config(str(w.path), env={})
        w.tracker = Tracker(w.config, clock=clock)
        w.tracker.everything = True
        w.jobs = {job.name: job for job in w.tracker.jobs()}
        w.usd = usd  # type: ignore[attr-defined]
        return w

    yield make
    for server in servers:
        server.stop()


def _balance(w: World, panel: str, currency: str) -> None:
    (w.panel if panel == "sim" else w.usd).currency = currency  # type: ignore[attr-defined]
    assert w.jobs[f"balance:{panel}"].run()


def _partial(w: World, panel: str) -> int:
    """An order of ``panel`` the tracker saw In progress and then end Partial."""
    sim = w.panel if panel == "sim" else w.usd  # type: ignore[attr-defined]
    [order_id] = sim.seed_orders(1, status="In progress", service=SERVICE_FOLLOWERS, quantity=1000)
    link = f"https://instagram.com/{panel}{order_id}"
    w.store.track(panel, [order_id], w.clock(), service=SERVICE_FOLLOWERS, link=link, quantity=1000)
    assert w.tracker.poll(panel)
    sim.pin(order_id, "Partial")
    assert w.tracker.poll(panel)
    return order_id


def _placed(w: World, panel: str) -> list[int]:
    return [a["order_id"] for a in automation_sql.actions(w.store, panel=panel)]


def test_a_rub_panel_and_a_usd_panel_each_reorder_in_their_own_currency(two):
    w = two()
    for panel, currency in (("sim", "RUB"), ("usd", "USD")):
        assert w.jobs[f"services:{panel}"].run()
        _balance(w, panel, currency)
    rub, usd = _partial(w, "sim"), _partial(w, "usd")
    assert w.jobs["automation:sim"].run() and w.jobs["automation:usd"].run()
    assert _placed(w, "sim") == [rub] and _placed(w, "usd") == [usd]

    shown = w.cli("automation").stdout
    assert "sim: re-orders today: " in shown and " of cap 100.00 RUB\n" in shown
    assert "usd: re-orders today: " in shown and " of cap 100.00 USD\n" in shown
    as_json = json.loads(w.cli("automation", "--json").stdout)
    assert as_json["settings"]["daily_cap_currency_panels"] == {"sim": "RUB", "usd": "USD"}
    assert as_json["settings"]["daily_cap_currency"] is None
    spend = {s["panel"]: (s["cap_currency"], s["held"]) for s in as_json["spend"]}
    assert spend == {"sim": ("RUB", None), "usd": ("USD", None)}


def test_the_panel_whose_balance_names_another_currency_is_held_the_other_not(
    two, clock, monkeypatch
):
    w = two()
    for panel, currency in (("sim", "USD"), ("usd", "USD")):  # sim: dollars, its cap roubles
        assert w.jobs[f"services:{panel}"].run()
        _balance(w, panel, currency)
    rub, usd = _partial(w, "sim"), _partial(w, "usd")
    assert w.jobs["automation:sim"].run() and w.jobs["automation:usd"].run()
    assert _placed(w, "sim") == [] and _placed(w, "usd") == [usd]
    reason = (
        "the panel's currency is USD, not the daily cap's RUB "
        "(automation.daily_cap_currency_panels.sim)"
    )
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {rub: reason}

    shown = w.cli("automation").stdout
    assert f" of cap 100.00 RUB; held: {reason}\n" in shown
    assert " of cap 100.00 USD\n" in shown  # usd: not held
    spend = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert {s["panel"]: s["held"] for s in spend} == {"sim": reason, "usd": None}
    monkeypatch.setattr("tracker.cli.run.utcnow", clock)  # the run's "now": the world's
    summary = w.cli("run", "--once")  # the hold keeps the Partial back again
    assert summary.exit_code == 0, summary.output
    [sim_line] = [line for line in summary.stdout.splitlines() if line.startswith("sim:")]
    [usd_line] = [line for line in summary.stdout.splitlines() if line.startswith("usd:")]
    assert f"re-orders held: {reason}" in sim_line and "held" not in usd_line
