"""untrack, track (resume) and cancel: the real CLI against the simulated panel."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from simconfig import PanelClock, cli_in, sim_config

from tracker.cli import cancel as cancel_module
from tracker.clock import iso, parse_iso
from tracker.sim.server import SERVICE_TIKTOK, PanelServer, SimulatedPanel

KEY = "sim-key-untrack-cancel-31"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    clock = PanelClock()
    panel = SimulatedPanel(key=KEY, clock=clock, seed=5, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(
        server.url,
        panel='timeout = "5s"\nretry_budget = "5s"',
        schedule='status_every = "1m"\nstatus_max_every = "1m"',
    )
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield panel, clock, cli, tmp_path
    server.stop()


def _orders(cli, *args: str) -> dict[int, dict]:
    return {r["order_id"]: r for r in json.loads(cli("orders", "--json", *args).output)}


# --- untrack / track ----------------------------------------------------------


def test_untrack_stops_polling_keeps_history_and_track_resumes(setup):
    panel, clock, cli, tmp_path = setup
    a, b = panel.seed_orders(2)
    assert cli("track", str(a), str(b)).exit_code == 0
    assert cli("run", "--once").exit_code == 0  # first status of both

    result = cli("untrack", str(a), "--reason", "wrong link")
    assert result.exit_code == 0, result.output
    assert f"untracked 1 order on sim: {a}" in result.output

    panel.reset_counters()
    assert cli("run", "--once", "--all").exit_code == 0
    assert panel.ids_per_call == [1]  # only b was asked about

    listed = _orders(cli)
    assert listed[a]["untracked"] is True and listed[a]["stopped_by"] == "user"
    assert listed[a]["stop_reason"] == "wrong link" and listed[a]["polling"] == 0
    assert listed[b]["untracked"] is False
    assert list(_orders(cli, "--status", "UNTRACKED")) == [a]
    table = cli("orders").output
    assert "(untracked: wrong link)" in table
    history = cli("history", str(a))
    assert history.exit_code == 0 and "Pending" in history.output  # its history is kept
    assert "untracked by you (wrong link)" in history.output

    resumed = cli("track", str(a))
    assert resumed.exit_code == 0 and "resumed 1 stopped order:" in resumed.output
    row = _orders(cli)[a]
    assert row["untracked"] is False and row["stopped_by"] is None and row["polling"] == 1
    panel.reset_counters()
    assert cli("run", "--once").exit_code == 0
    assert panel.ids_per_call == [1]  # a is due at once; b waits for its next check


def test_untrack_names_untracked_ids_and_leaves_finished_orders_alone(setup):
    panel, clock, cli, _ = setup
    done = panel.seed_orders(1, status="Completed")[0]
    open_one = panel.seed_orders(1)[0]
    assert cli("track", str(done), str(open_one)).exit_code == 0
    assert cli("run", "--once").exit_code == 0
    result = cli("untrack", str(done), str(open_one), "999")
    assert result.exit_code == 1
    assert f"#{done} already finished (Completed): nothing to stop" in result.output
    assert f"untracked 1 order on sim: {open_one}" in result.output
    assert "not tracked on sim: 999" in result.output and "Traceback" not in result.output
    again = cli("untrack", str(open_one))
    assert again.exit_code == 0 and "already untracked" in again.output
    assert _orders(cli)[done]["untracked"] is False


def test_untrack_bad_id_is_a_usage_error(setup):
    _panel, _clock, cli, _ = setup
    result = cli("untrack", "12x")
    assert result.exit_code == 2 and "not an order ID" in result.output


# --- cancel ---------------------------------------------------------------------


def _cancels(tmp_path) -> list[tuple]:
    db = sqlite3.connect(tmp_path / "t.db")
    return db.execute("SELECT order_id, result, error FROM cancels ORDER BY id").fetchall()


def test_cancel_prints_and_stores_each_answer_and_exits_1_on_a_refusal(setup):
    panel, clock, cli, tmp_path = setup
    pending = panel.seed_orders(1)[0]
    done = panel.seed_orders(1, status="Completed")[0]
    no_cancel = panel.seed_orders(1, service=SERVICE_TIKTOK)[0]
    assert cli("track", str(pending)).exit_code == 0
    assert cli("run", "--once").exit_code == 0

    result = cli("cancel", "--yes", str(pending), str(done), str(no_cancel), "424242")
    assert result.exit_code == 1, result.output
    assert f"#{pending}  canceled" in result.output
    assert f"#{done}  refused: This order cannot be canceled" in result.output
    assert f"#{no_cancel}  refused: Cancel is disabled for this service" in result.output
    assert "#424242  refused: Incorrect order ID" in result.output
    assert "3 of 4 cancels not accepted" in result.output
    assert panel.calls["cancel"] == 1
    assert _cancels(tmp_path) == [
        (pending, "Accepted", None),
        (done, "Refused", "This order cannot be canceled"),
        (no_cancel, "Refused", "Cancel is disabled for this service"),
        (424242, "Refused", "Incorrect order ID"),
    ]
    # The accepted one is checked at the next run, whatever its schedule.
    assert cli("run", "--once").exit_code == 0
    assert _orders(cli)[pending]["status"] == "Canceled"


def test_a_second_cancel_refused_says_the_first_was_accepted(setup):
    # Walk: a reseller unsure the first cancel went through runs it again; the
    # panel refuses ("cannot be canceled"), which read as if none had worked.
    panel, clock, cli, tmp_path = setup
    pending = panel.seed_orders(1)[0]
    done = panel.seed_orders(1, status="Completed")[0]
    assert cli("track", str(pending)).exit_code == 0
    assert cli("run", "--once").exit_code == 0
    assert cli("cancel", "--yes", str(pending)).exit_code == 0
    accepted_at = _cancel_times(tmp_path)[pending]
    again = cli("cancel", "--yes", str(pending), str(done))
    assert again.exit_code == 1
    assert (
        f"#{pending}  refused: This order cannot be canceled "
        f"(a cancel of it was accepted earlier, at {accepted_at})\n"
    ) in again.output
    assert f"#{done}  refused: This order cannot be canceled\n" in again.output  # never accepted


def _cancel_times(tmp_path) -> dict[int, str]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, requested_at FROM cancels WHERE result = 'Accepted'")
        return dict(rows.fetchall())


def test_an_accepted_cancel_of_an_order_not_polled_says_no_status_follows(setup):
    # Walk: "status follows on its next check" was said of an order the tracker
    # does not poll (untracked, or never tracked): no check came, and the
    # Canceled status and its refund were never seen.
    panel, _clock, cli, _tmp_path = setup
    polled, stopped, never = panel.seed_orders(3)
    assert cli("track", str(polled), str(stopped)).exit_code == 0
    assert cli("untrack", str(stopped), "--reason", "mine").exit_code == 0

    result = cli("cancel", "--yes", str(polled), str(stopped), str(never))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"#{polled}  canceled (the panel accepted; status follows on its next check)",
        f"#{stopped}  canceled (the panel accepted; untracked, so no status follows: "
        f"smm-tracker track {stopped} resumes it)",
        f"#{never}  canceled (the panel accepted; not tracked, so no status follows: "
        f"smm-tracker track {never} follows it)",
    ]
    assert cli("track", str(stopped), str(never)).exit_code == 0  # as the lines say
    assert cli("run", "--once").exit_code == 0
    assert {o: r["status"] for o, r in _orders(cli).items()} == dict.fromkeys(
        (polled, stopped, never), "Canceled"
    )


def test_an_accepted_cancel_of_a_lost_or_ended_order_says_no_status_follows(setup, tmp_path):
    panel, _clock, cli, _ = setup
    lost, ended = panel.seed_orders(2)
    assert cli("track", str(lost), str(ended)).exit_code == 0
    with sqlite3.connect(tmp_path / "t.db") as db:  # as a poll leaves them
        db.execute("UPDATE orders SET polling = 0, stopped_by = 'panel' WHERE order_id = ?", [lost])
        db.execute("UPDATE orders SET polling = 0, status = 'Partial' WHERE order_id = ?", [ended])
    result = cli("cancel", "--yes", "--force", str(lost), str(ended))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"#{lost}  canceled (the panel accepted; stopped as lost, so no status follows: "
        f"smm-tracker track {lost} resumes it)",
        f"#{ended}  canceled (the panel accepted; stored as Partial, so no status follows)",
    ]


def test_cancel_all_accepted_exits_0_and_sends_100_ids_per_call(setup):
    panel, _clock, cli, tmp_path = setup
    ids = panel.seed_orders(150)
    result = cli("cancel", "--yes", "-", input="\n".join(map(str, ids)))
    assert result.exit_code == 0, result.output
    assert panel.calls["cancel"] == 2
    assert {r[1] for r in _cancels(tmp_path)} == {"Accepted"} and len(_cancels(tmp_path)) == 150


def test_ctrl_d_at_the_question_ends_its_line(setup, monkeypatch):
    # The question's line went on with what came next: "Cancel 1 order on
    # sim: 5? [y/N]: smm-tracker: nothing canceled".
    panel, _clock, cli, _tmp_path = setup
    order = panel.seed_orders(1)[0]
    monkeypatch.setattr(cancel_module, "interactive", lambda: True)
    result = cli("cancel", str(order), input="")  # Ctrl-D: no answer, end of input
    assert result.exit_code == 1 and panel.calls["cancel"] == 0
    assert result.stdout.endswith("? [y/N]: \n"), result.stdout
    assert "smm-tracker: nothing canceled" in result.output.splitlines()


def test_an_answer_neither_yes_nor_no_says_what_to_answer_and_asks_again(setup, monkeypatch):
    # Walk: "maybe" at the question got click's "Error: invalid input", in
    # no words of the tool's, saying nothing of what it wanted.
    panel, _clock, cli, _tmp_path = setup
    order = panel.seed_orders(1)[0]
    monkeypatch.setattr(cancel_module, "interactive", lambda: True)
    hint = "smm-tracker: answer y (yes) or n (no; Enter alone is no)"
    result = cli("cancel", str(order), input="maybe\nok\n YES \n")
    assert result.exit_code == 0 and panel.calls["cancel"] == 1, result.output
    assert "invalid input" not in result.output and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if "answer y" in line] == [hint, hint]
    assert result.stdout.count("Cancel 1 order on sim") == 3  # asked again each time
    assert f"#{order}  canceled" in result.output
    # The input ends after a wrong answer (Ctrl-D, or no more lines): a no.
    other = panel.seed_orders(1)[0]
    ended = cli("cancel", str(other), input="maybe\n")
    assert ended.exit_code == 1 and panel.calls["cancel"] == 1, ended.output
    assert hint in ended.output.splitlines()
    assert "smm-tracker: nothing canceled" in ended.output.splitlines()
    assert "Traceback" not in ended.output and "Aborted" not in ended.output


def test_cancel_asks_on_a_terminal_unless_yes(setup, monkeypatch):
    panel, _clock, cli, tmp_path = setup
    order = panel.seed_orders(1)[0]
    monkeypatch.setattr(cancel_module, "interactive", lambda: True)

    declined = cli("cancel", str(order), input="n\n")
    assert declined.exit_code == 1 and "Cancel 1 order on sim" in declined.output
    assert "nothing canceled" in declined.output
    assert panel.calls["cancel"] == 0

    accepted = cli("cancel", str(order), input="y\n")
    assert accepted.exit_code == 0 and f"#{order}  canceled" in accepted.output

    other = panel.seed_orders(1)[0]
    asked_not = cli("cancel", "--yes", str(other))
    assert asked_not.exit_code == 0 and "Cancel 1 order on" not in asked_not.output
    assert panel.calls["cancel"] == 2


def test_cancel_help_says_without_a_terminal_it_does_not_ask(setup):
    # Walk: the help said only "Asks first on a terminal unless --yes"; a
    # script (`echo n | smm-tracker cancel 5`) sent the cancel unasked.
    _panel, _clock, cli, _tmp_path = setup
    said = " ".join(cli("cancel", "--help").output.split())
    assert "without one (a script, a pipe) it asks nothing and sends" in said


def test_cancel_when_the_panel_is_down_is_not_sent_and_not_stored(setup, monkeypatch, tmp_path):
    # Connection refused: the request certainly never reached the panel, so
    # nothing was canceled and nothing goes into the cancels history.
    panel, _clock, cli, _ = setup
    (tmp_path / "tracker.toml").write_text(
        sim_config("http://127.0.0.1:9/api/v2", panel='timeout = "2s"\nretries = 0')
    )
    result = cli("cancel", "--yes", "77")
    assert result.exit_code == 1 and "#77  not sent:" in result.output
    fix = "is the panel up, and the port in panels[0].url right?"  # no wait cures a wrong port
    assert result.output.startswith(
        f"#77  not sent: sim: cancel: connection refused by 127.0.0.1:9 - {fix}\n"
    )
    assert "Traceback" not in result.output
    assert _cancels(tmp_path) == []


def test_a_poll_in_flight_does_not_revive_an_untracked_order(tmp_path):
    from datetime import UTC, datetime

    from tracker.panel.models import OrderStatus
    from tracker.rules.transitions import Cadence
    from tracker.store.orders import Store
    from tracker.store.stopping import untrack

    now = datetime(2026, 12, 1, tzinfo=UTC)
    store = Store(tmp_path / "t.db")
    store.track("p", [1, 2], now)
    untrack(store, "p", [1], now, reason="typo")  # between the poll's ask and its answer
    reports = {
        i: OrderStatus(order_id=i, status="In progress", raw_status="In progress") for i in (1, 2)
    }
    recorded = store.apply_reports("p", [1, 2], reports, now, Cadence(every=60, max_every=60))
    assert [t["order_id"] for t in recorded] == [2]
    stopped = store.order("p", 1)
    assert stopped["polling"] == 0 and stopped["status"] is None and stopped["stopped_by"] == "user"


# --- two panels: the panel found by the IDs, as history and refill find it ------


@pytest.fixture
def two_panels(tmp_path, monkeypatch):
    """Yield (panels a and b, cli, (only on a, only on b, on both)): two
    simulated panels in one config, each with an order of the same number."""
    a = SimulatedPanel(key=KEY, seed=7, speed=60.0)
    b = SimulatedPanel(key=KEY, seed=8, speed=60.0)
    servers = [PanelServer(a).start(), PanelServer(b).start()]
    config = '[database]\npath = "t.db"\n' + "".join(
        f'[[panels]]\nname = "{name}"\nurl = "{server.url}"\nkey_env = "SIM_KEY"\n'
        for name, server in zip("ab", servers, strict=True)
    )
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    both, on_a = a.seed_orders(2)
    assert b.seed_orders(3)[0] == both  # two orders, one number
    on_b = b.seed_orders(1)[0]
    assert cli("track", "--panel", "a", str(both), str(on_a)).exit_code == 0
    assert cli("track", "--panel", "b", str(both), str(on_b)).exit_code == 0
    yield (a, b), cli, (on_a, on_b, both)
    for server in servers:
        server.stop()


def test_untrack_finds_the_panel_holding_the_ids(two_panels):
    _panels, cli, (on_a, on_b, both) = two_panels
    result = cli("untrack", str(on_b))
    assert result.exit_code == 0, result.output
    assert result.output == f"untracked 1 order on b: {on_b}\n"
    assert _orders(cli, "--panel", "b")[on_b]["untracked"] is True
    assert _orders(cli, "--panel", "a")[on_a]["untracked"] is False

    several = cli("untrack", str(both))
    assert several.exit_code == 2
    assert several.output == (
        f"smm-tracker: order {both} is tracked on several panels (a, b): pass --panel NAME\n"
    )
    apart = cli("untrack", str(on_a), str(on_b))
    assert apart.exit_code == 2
    assert f"on different panels (a: {on_a}; b: {on_b})" in apart.output
    nowhere = cli("untrack", "424242")
    assert nowhere.exit_code == 1
    assert nowhere.output == "smm-tracker: not tracked on any panel: 424242\n"
    assert not any(r["untracked"] for r in _orders(cli, "--panel", "a").values())


def test_cancel_is_sent_only_to_the_panel_holding_the_ids(two_panels):
    (a, b), cli, (on_a, on_b, both) = two_panels
    for ids in ([both], [on_a, on_b], [on_b, 424242]):
        refused = cli("cancel", "--yes", *map(str, ids))
        assert refused.exit_code in (1, 2), refused.output
        assert refused.output.count("\n") == 1 and "canceled" not in refused.output
    assert "not tracked on any configured panel: 424242; nothing sent" in refused.output
    assert a.calls["cancel"] == b.calls["cancel"] == 0  # `both` is an order on each

    result = cli("cancel", "--yes", str(on_b))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"#{on_b}  canceled (the panel accepted; status follows on its next check)\n"
    )
    assert (a.calls["cancel"], b.calls["cancel"]) == (0, 1)


def test_cancel_refuses_ids_tracked_only_on_a_panel_left_out_of_the_config(two_panels, tmp_path):
    # Panel b removed from the config: its order numbers mean nothing on a.
    # A cancel of b's order sent to a (the one panel left) could cancel a
    # different order of the same number there.
    (a, b), cli, (on_a, on_b, both) = two_panels
    config = (tmp_path / "tracker.toml").read_text()
    (tmp_path / "tracker.toml").write_text(config[: config.index('[[panels]]\nname = "b"')])
    refused = cli("cancel", "--yes", str(on_b), "424242")
    assert refused.exit_code == 1, refused.output
    assert refused.output == (
        f"smm-tracker: order {on_b} is tracked on b, which is not in the config; nothing sent "
        "(pass --panel a to send the cancel to a anyway)\n"
    )
    assert a.calls["cancel"] == b.calls["cancel"] == 0

    # Held on a as well as on b, or on no panel at all: a's to cancel.
    sent = cli("cancel", "--yes", str(both), "424242")
    assert f"#{both}  canceled" in sent.output, sent.output
    assert (a.calls["cancel"], b.calls["cancel"]) == (1, 0)
    forced = cli("cancel", "--yes", "--panel", "a", str(on_b))
    assert forced.exit_code in (0, 1), forced.output
    assert a.calls["cancel"] == 2


def test_an_untracked_order_keeps_its_delivered_figure(setup):
    # The table's status reads "In progress (untracked: ...)": DELIVERED was
    # worked out from that text, which no delivery rule knows, and read "-".
    panel, _clock, cli, _ = setup
    (a,) = panel.seed_orders(1, status="In progress")
    assert cli("track", str(a), "--quantity", "1000").exit_code == 0
    assert cli("run", "--once").exit_code == 0
    remains, quantity = _orders(cli)[a]["remains"], 1000
    assert 0 < remains < quantity
    assert cli("untrack", str(a), "--reason", "moved").exit_code == 0
    header, row = cli("orders").stdout.splitlines()[:2]
    cell = row[header.index("DELIVERED") :].split()[0]
    assert cell == f"{quantity - remains}/{quantity}", (header, row)
    assert "(untracked: moved)" in row


def test_an_untrack_without_a_reason_is_not_given_the_panels_error_as_one(setup):
    # The panel's last error ("Incorrect order ID") was shown by `track` as
    # the user's reason for untracking: it is the panel's, said apart.
    panel, _clock, cli, _ = setup
    (known,) = panel.seed_orders(1)
    assert cli("track", str(known), "882099").exit_code == 0
    assert cli("run", "--once").exit_code == 0  # the panel: "Incorrect order ID"
    assert cli("untrack", "882099", str(known)).exit_code == 0  # no --reason
    row = _orders(cli)[882099]
    assert row["stop_reason"] is None and row["error"] == "Incorrect order ID"
    assert "(untracked)" in cli("orders").output
    history = cli("history", "882099").output
    assert "untracked by you;" in history and "untracked by you (" not in history

    resumed = cli("track", "882099", str(known))
    assert resumed.exit_code == 0, resumed.output
    lines = resumed.output.splitlines()
    assert (
        "  #882099: had stopped (untracked by you, no reason given; "
        "the panel's last error: Incorrect order ID)"
    ) in lines, lines
    assert f"  #{known}: had stopped (untracked by you, no reason given)" in lines, lines


def _ended_with_late_checks(tmp_path, order_id: int, ago: str, checks: int) -> str:
    """Store ``order_id`` as a poll leaves an order that ended Partial ``ago``
    (an SQLite modifier, "-30 minutes") with ``checks`` late checks made; return
    when it ended, as stored."""
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "UPDATE orders SET polling = 0, status = 'Partial' WHERE order_id = ?", [order_id]
        )
        ended = db.execute(
            "SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', ?)", [ago]
        ).fetchone()[0]
        db.execute(
            "INSERT INTO late_checks (panel, order_id, ended_at, checks) VALUES ('sim', ?, ?, ?)",
            [order_id, ended, checks],
        )
    return ended


def test_an_accepted_cancel_of_an_ended_order_says_when_its_late_check_asks_again(setup):
    # Walk: "stored as Partial, so no status follows" was said of an order
    # whose late checks (schedule.late_checks, 1h 6h 24h by default) were
    # still to come: the next one reads the status the cancel brings.
    panel, _clock, cli, tmp_path = setup
    waiting, overdue, done, completed, spare = panel.seed_orders(5)
    assert cli("track", *map(str, (waiting, overdue, done, completed, spare))).exit_code == 0
    ended = _ended_with_late_checks(tmp_path, waiting, "-30 minutes", 0)
    _ended_with_late_checks(tmp_path, overdue, "-2 hours", 0)  # its 1h check due now
    _ended_with_late_checks(tmp_path, done, "-3 days", 3)  # its last one made
    _ended_with_late_checks(tmp_path, spare, "-30 minutes", 0)
    with sqlite3.connect(tmp_path / "t.db") as db:  # no late check: a Completed order
        db.execute(
            "UPDATE orders SET polling = 0, status = 'Completed' WHERE order_id = ?", [completed]
        )
    result = cli("cancel", "--yes", "--force", *map(str, (waiting, overdue, done, completed)))
    assert result.exit_code == 0, result.output
    at = iso(parse_iso(ended) + timedelta(hours=1))
    assert result.stdout.splitlines() == [
        f"#{waiting}  canceled (the panel accepted; stored as Partial, so its status follows "
        f"at its late check at {at} (schedule.late_checks))",
        f"#{overdue}  canceled (the panel accepted; stored as Partial, so its status follows "
        "at its late check, due at the next poll (schedule.late_checks))",
        f"#{done}  canceled (the panel accepted; stored as Partial, so no status follows)",
        f"#{completed}  canceled (the panel accepted; stored as Completed, so no status follows)",
    ]
    # Late checks turned off: none follows.
    config = tmp_path / "tracker.toml"
    config.write_text(config.read_text() + "late_checks = []\n")  # [schedule] is its last table
    off = cli("cancel", "--yes", "--force", str(spare))
    assert off.exit_code == 0, off.output
    assert off.stdout.splitlines() == [
        f"#{spare}  canceled (the panel accepted; stored as Partial, so no status follows)"
    ]
