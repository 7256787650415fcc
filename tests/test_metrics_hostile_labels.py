"""A hostile panel cannot grow the metrics: every label value is from a bounded set.

The panel answers each of 10,000 orders with a status of its own (every
tenth with an error in words of its own), and a new currency at every
balance call. After two `run --once` runs, a scrape of the database shows
the configured panel's fixed status labels and one balance series, however
many distinct words the panel sent: 100k distinct statuses must not make
100k series (the daemon's memory, every scrape's size, Prometheus's
storage)."""

from __future__ import annotations

import itertools

import pytest
from hostile import HostileServer, json_reply
from prometheus_client.parser import text_string_to_metric_families
from simconfig import cli_in, sim_config

from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import OPEN_LABELS, Snapshot, render, take_snapshot
from tracker.store.orders import Store

KEY = "hostile-key-Labels5521"
ORDERS = 10_000  # 100 multi-status calls a poll


@pytest.fixture
def cli(tmp_path, monkeypatch):
    said = itertools.count()

    def answer(form: dict[str, str]):
        action = form.get("action")
        if action == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            items = {}
            for oid in ids:
                n = next(said)
                if n % 10 == 0:
                    items[oid] = {"error": f"Refused for reason {n}"}
                else:
                    items[oid] = {"status": f"Mystery {n}", "charge": "1", "remains": "5"}
            return json_reply(items)
        if action == "balance":
            return json_reply({"balance": "50", "currency": f"C{next(said)}"})
        return json_reply([])

    with HostileServer(answer) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        yield cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})


def test_distinct_statuses_and_currencies_make_a_bounded_number_of_series(cli, tmp_path):
    ids = "\n".join(str(1000 + i) for i in range(ORDERS))
    assert cli("track", "-", input=ids).exit_code == 0
    for _ in range(2):
        result = cli("run", "--once")
        assert result.exit_code in (0, 1), result.stdout + result.stderr
    store = Store(tmp_path / "t.db", read_only=True)
    try:
        stored = store.rows("SELECT count(DISTINCT raw_status) AS n FROM orders")[0]["n"]
        currencies = store.rows("SELECT count(DISTINCT currency) AS n FROM balances")[0]["n"]
        text = render(take_snapshot(store, CallCounters(), JobStats(), ["sim"]))
    finally:
        store.close()
    assert stored >= 9_000 and currencies == 2  # the panel's words were many, and kept
    series = {
        family.name: [s for s in family.samples if s.labels.get("panel") == "sim"]
        for family in text_string_to_metric_families(text)
    }
    open_orders = series["smm_tracker_open_orders"]
    assert {s.labels["status"] for s in open_orders} == set(OPEN_LABELS)
    assert sum(s.value for s in open_orders if s.labels["status"] == "other") > 0
    assert [s.labels["currency"] for s in series["smm_tracker_balance"]] == [
        s.labels["currency"] for s in series["smm_tracker_balance"][:1]
    ]
    assert len(text.splitlines()) < 400, len(text.splitlines())


def _balance_labels(currency: str) -> list[str]:
    snap = Snapshot(
        open_orders={}, balances=[("sim", currency, 50.0)], calls=CallCounters(), jobs=JobStats()
    )
    return [
        s.labels["currency"]
        for family in text_string_to_metric_families(render(snap))
        if family.name == "smm_tracker_balance"
        for s in family.samples
    ]


def test_a_currency_changing_at_every_check_starts_no_new_series_in_prometheus():
    # Each scrape shows one series per panel, but Prometheus keeps every
    # series it ever saw: "C1", "C2", "C3"... one new series each check.
    seen = {label for n in range(50) for label in _balance_labels(f"C{n}")}
    seen |= {
        label
        for word in ("ABCDE", "XYZ", "US.D", "Q$", "AAAAAAAA")
        for label in _balance_labels(word)
    }
    assert seen == {"other"}


@pytest.mark.parametrize(
    ("said", "label"),
    [("USD", "USD"), (" usd ", "USD"), ("EUR", "EUR"), ("RUB", "RUB"), ("inr", "INR")]
    + [("USDT", "USDT"), ("BTC", "BTC"), ("TRY", "TRY"), ("$", "$"), ("₽", "₽"), ("€", "€")]
    + [("руб", "other"), ("", "other")],
)
def test_a_real_currency_keeps_its_code_as_its_label(said, label):
    assert _balance_labels(said) == [label]
