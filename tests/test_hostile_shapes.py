"""Answers that are JSON of the wrong shape, through the real CLI on loopback:
what a user sees of them (the command's words and exit code, what stays
stored)."""

from __future__ import annotations

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

KEY = "hostile-key-Shapes8841"
LISTED = [{"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "refill": True}]
# A panel whose API names the ID "id": every item read past, none a service.
RENAMED = [{"id": 1, "name": "Followers", "type": "Default", "rate": "0.90", "refill": True}]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (set_services, cli): what `services` answers, and the CLI."""
    answers: dict[str, Reply] = {"services": json_reply(LISTED)}

    def respond(form: dict[str, str]) -> Reply:
        return answers.get(form.get("action", ""), json_reply({"error": "Incorrect request"}))

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    def set_services(reply: Reply) -> None:
        answers["services"] = reply

    yield set_services, cli
    server.stop()


def test_a_services_list_of_items_none_a_service_is_an_error_not_an_empty_catalogue(panel):
    set_services, cli = panel
    set_services(json_reply(RENAMED))
    result = cli("services", "--refresh")
    assert result.exit_code == 1 and result.stdout == ""
    assert "sim: services: listed 1 item, none a service: {'id': 1, 'name'" in result.stderr
    assert "lists none" not in result.stderr  # it listed one, unread
    set_services(json_reply([]))  # an empty list is still an empty catalogue
    empty = cli("services", "--refresh")
    assert empty.exit_code == 0 and "no services: sim lists none: its catalogue" in empty.stderr


def test_a_catalogue_stored_stays_when_the_panel_lists_no_service_it_can_read(panel):
    set_services, cli = panel
    assert cli("services", "--refresh").exit_code == 0
    set_services(json_reply(RENAMED))
    result = cli("services", "--refresh")
    assert result.exit_code == 1  # it read exit 0, the table as synced before: nothing said
    assert "none a service" in result.stderr
    shown = cli("services")
    assert shown.exit_code == 0 and "Followers" in shown.stdout


@pytest.mark.usefixtures("fresh_logs")
def test_status_words_new_at_every_poll_keep_the_log_and_memory_flat():
    # "In queue (1532)": a number in a status the tracker does not know. Every
    # new spelling was kept for the process's life and logged: a panel of 1000
    # such orders polled every 5 min grew the daemon ~45 MB and 288,000
    # `unknown_status` lines a day.
    import tracemalloc

    import httpx
    from structlog.testing import capture_logs

    from tracker.config.model import PanelConfig, Secret
    from tracker.panel.client import PanelClient

    counter = iter(range(10**9))

    def answer(request: httpx.Request) -> httpx.Response:
        ids = dict(httpx.QueryParams(request.content.decode()))["orders"].split(",")
        return httpx.Response(200, json={i: {"status": f"In queue ({next(counter)})"} for i in ids})

    panel = PanelConfig(name="evil", url="http://panel.test/api/v2", key=Secret(KEY))
    client = PanelClient(panel, transport=httpx.MockTransport(answer))
    ids = list(range(1, 101))
    with capture_logs() as logs:
        client.statuses(ids)  # the first spellings: logged, kept
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            read = client.statuses(ids)
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    assert read[1].raw_status == "In queue (10000)" and not read[1].known_status  # still read
    spellings = [e for e in logs if e["event"] == "unknown_status"]
    assert len(spellings) == 100 and spellings[0]["status"] == "In queue (0)"
    [many] = [e for e in logs if e["event"] == "unknown_status_many"]
    assert many["panel"] == "evil" and many["logged"] == 100
    assert grown < 500_000  # the 10,000 spellings kept were ~4 MB


class Counted(int):
    """An int that counts the comparisons made with it (all instances)."""

    made = 0

    def __eq__(self, other: object) -> bool:
        Counted.made += 1
        return int(self) == other

    __hash__ = int.__hash__


def test_a_key_given_many_times_costs_work_in_proportion_not_its_square():
    # {"1": {"remains": 0, "remains": 1, ... 60,000 times}} fits the 1 MB cap
    # of a status answer: each value was compared with every one before it,
    # 1.8 billion comparisons, minutes of CPU for one answer (16 MB of services:
    # hours), the daemon's other jobs starved and a stop overdue.
    from tracker.panel.body import decode_document
    from tracker.panel.json_decoder import _once_each as once_each

    Counted.made = 0
    read = once_each([("status", "Pending")] + [("remains", Counted(i)) for i in range(3000)])
    assert Counted.made < 100_000  # was 9 million: every value against every one before it
    assert read["remains"]["error"].startswith('answered "remains" twice, differently: 0 and 1')
    body = '{"1": {"status": "Pending", ' + ", ".join(f'"remains": {i}' for i in range(3)) + "}}"
    assert decode_document(body.encode()).data["1"]["remains"].said == (0, 1, 2)


def test_one_service_listed_many_times_costs_work_in_proportion_not_its_square():
    from tracker.panel.models import Service
    from tracker.rules.catalogue import sort_catalogue

    Counted.made = 0
    listed = [Service(service=7, name="x", min=Counted(i)) for i in range(3000)]
    clear, [ambiguous] = sort_catalogue(listed)
    assert Counted.made < 100_000  # was 9 million: every value against every one before it
    assert clear == [] and ambiguous.listings == 3000
    assert ambiguous.differences == {"min": ["0", "1", "2", "3", "…"]}


@pytest.mark.parametrize(
    ("written", "was"),
    [("0E-1000", "0.000000000000"), ("0E+1000", "0e+1000"), ("-0.00", "-0.00")],
)
def test_a_zero_balance_written_with_an_exponent_or_a_sign_is_shown_as_zero(
    tmp_path, monkeypatch, written, was
):
    # "0E-1000" is a zero, so no absurd number: doctor printed it with its
    # thousand zeros, the balance_low alert said "balance 0e+1000 USD" for
    # "0E+1000", and "-0.00" kept its sign.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": written, "currency": "USD"})
        return json_reply({"error": "Incorrect request"})

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        config += "[balance]\nlow = 10\n"
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        doctor = cli("doctor")
        cli("run", "--once")
    alerts = cli("alerts")
    [line] = [line for line in doctor.stdout.splitlines() if line.startswith("ok   panel sim")]
    assert line.endswith(("answers (balance 0 USD)", "answers (balance 0.00 USD)"))
    assert "balance 0.00 USD is below 10.00" in alerts.stdout
    assert was not in doctor.stdout + alerts.stdout
