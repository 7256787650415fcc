"""When an order's next automatic refill request will be, or why none will:
`history ID`'s line and `refills --order ID`'s, asked of the refill round's
own rule with the test's clock. Nothing said it before: a user could not
tell a guarantee expired from a round not yet due. Each moment said is
checked against the round itself: a second before it, no request; at it, one."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, probe_files
from structlog.testing import capture_logs

from tracker.clock import iso, parse_iso
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES

NEXT = "next automatic refill request: "
ROUNDS = "the refill rounds run every 30m"


@pytest.fixture
def clocked(monkeypatch, clock):
    """The commands' now is the test's clock (the round's too)."""
    monkeypatch.setattr("tracker.cli.history_notes.utcnow", clock, raising=False)
    monkeypatch.setattr("tracker.cli.refills.utcnow", clock, raising=False)
    return clock


def _said(w, order_id: int) -> list[str]:
    out = w.cli("history", str(order_id))
    assert out.exit_code == 0, out.output
    return [line for line in out.stdout.splitlines() if "automatic refill request" in line]


def _refill_missing(world, clocked, monkeypatch, **settings):
    """A panel without the refill action (refused at the first request, not
    yet learned missing), `refill ID` on the test's clock: the world and a
    Completed order of it, polled."""
    from tracker.sim.scripts import ScriptQuirks

    monkeypatch.setattr("tracker.cli.refill.utcnow", clocked)
    w = world(script=ScriptQuirks(missing_actions=("refill",)), **settings)
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    return w, order


def test_history_says_when_the_next_automatic_request_goes_and_the_round_agrees(world, clocked):
    w = world(refill='max_requests = 1\nwindow = "3d"')
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()  # Completed now
    first = iso(clocked() + timedelta(days=1))
    assert _said(w, order) == [
        f"{NEXT}from {first} (refill.first_check after it completed), at the first refill"
        f" round after ({ROUNDS}); the panel judges whether it dropped"
    ]
    clocked.advance(DAY - 1)  # a second before it: the round asks nothing
    assert w.round() and w.requests(order) == []
    clocked.advance(1)
    assert _said(w, order) == [
        f"{NEXT}at the next refill round ({ROUNDS}); the panel judges whether it dropped"
    ]
    assert w.round() and len(w.requests(order)) == 1  # at it: asked
    assert _said(w, order) == [f"{NEXT}once its open refill ends (followed each refill round)"]
    clocked.advance(300)  # nothing dropped: the panel ends it Rejected
    assert w.round() and w.requests(order)[0]["status"] == "Rejected"
    asked = w.requests(order)[0]["requested_at"]
    again = iso(parse_iso(asked) + timedelta(days=1))
    assert _said(w, order)[0] == (
        f"{NEXT}from {again} (refill.cooldown since its last request), at the first refill"
        f" round after ({ROUNDS}); the panel judges whether it dropped"
    )
    listed = w.cli("refills", "--order", str(order))
    assert listed.stderr.splitlines()[-1] == f"order {order}: " + _said(w, order)[0]
    w.panel.drop(order, 30)
    clocked.advance(DAY)
    assert w.round() and len(w.requests(order)) == 2  # at the moment said: asked again
    clocked.advance(300)
    assert w.round() and w.requests(order)[-1]["status"] == "Completed"
    assert _said(w, order) == [
        "no automatic refill request: refill.max_requests (1) reached: as many refills of it"
        " were accepted, or may have been"
    ]


def _three(world):
    """A world with a 3-day refill.window and three orders polled: a Completed
    one with no refill (likes), one with refill (followers), one running."""
    w = world(refill='window = "3d"\nwindow_from_name = false')
    w.sync_services()
    likes, followers = w.order(SERVICE_LIKES), w.order(SERVICE_FOLLOWERS)
    running = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    return w, likes, followers, running


def test_history_says_why_no_automatic_request_will_go(world, clocked):
    w, likes, followers, running = _three(world)
    ends = iso(clocked() + timedelta(days=3))
    assert _said(w, likes) == [
        "no automatic refill request: its service has no refill"
        f" (smm-tracker refill {likes} asks anyway)"
    ]
    assert _said(w, running) == []  # still running: not one the refills are about
    clocked.advance(2.5 * DAY)
    assert w.round() and len(w.requests(followers)) == 1
    clocked.advance(300)  # Rejected: the next once refill.cooldown has passed, past the window
    assert w.round() and w.requests(followers)[0]["status"] == "Rejected"
    assert _said(w, followers) == [
        f"no automatic refill request: its guarantee (refill.window, 3d) ends {ends},"
        " before refill.cooldown since its last request does"
    ]
    clocked.advance(DAY)
    assert _said(w, followers) == [
        f"no automatic refill request: its guarantee (refill.window, 3d) ended {ends}"
    ]
    assert w.round() and len(w.requests(followers)) == 1  # the round agrees
    listed = w.cli("refills", "--order", str(likes))
    assert listed.exit_code == 0 and listed.stderr.splitlines() == [
        "no refill requests",
        f"order {likes}: no automatic refill request: its service has no refill"
        f" (smm-tracker refill {likes} asks anyway)",
    ]


def _probed(world, tmp_path, monkeypatch):
    """A world whose drops the probe judges (measured every 6 h), its
    services synced; and the file of counts the probe reads."""
    probe, counts = probe_files(tmp_path, monkeypatch)
    w = world(refill=f'detect = "command"\ncommand = "{probe}"\nprobe_every = "6h"')
    w.sync_services()
    return w, counts


def test_with_the_probe_it_says_when_the_count_is_measured_again_and_what_it_last_was(
    world, clocked, tmp_path, monkeypatch
):
    from tracker.store.probes import probes_of

    w, counts = _probed(world, tmp_path, monkeypatch)
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    count = w.panel.current_count(order)
    counts.write_text(f"{w.link(order)} {count}\n")
    clocked.advance(DAY)
    assert _said(w, order) == [
        f"{NEXT}at the next refill round ({ROUNDS}); sent if refill.command finds its count dropped"
    ]
    assert w.round() and w.requests(order) == []  # measured: no drop
    measured = iso(clocked())
    again = iso(clocked() + timedelta(hours=6))
    assert _said(w, order) == [
        f"{NEXT}from {again} (refill.probe_every since its count was last measured), at the"
        f" first refill round after ({ROUNDS}); sent if refill.command finds its count dropped"
        f" (last measured {measured}: {count}, no drop)"
    ]
    clocked.advance(6 * 3600 - 1)  # a second before it: not measured again
    assert w.round() and len(probes_of(w.store, "sim", order)) == 1
    clocked.advance(1)
    assert w.round() and len(probes_of(w.store, "sim", order)) == 2


def _json(w, order_id: int):
    out = w.cli("history", str(order_id), "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["next_refill"]


def test_history_json_says_the_next_automatic_request_as_history_does(world, clocked):
    w, likes, order, running = _three(world)
    first = iso(clocked() + timedelta(days=1))
    assert _json(w, order) == {
        "at": first,
        "expected": True,
        "why": f"from {first} (refill.first_check after it completed), at the first refill"
        f" round after ({ROUNDS}); the panel judges whether it dropped",
    }
    assert _json(w, likes) == {
        "at": None,
        "expected": False,
        "why": f"its service has no refill (smm-tracker refill {likes} asks anyway)",
    }
    assert _json(w, running) is None  # still running: history prints no such line either
    clocked.advance(DAY)
    now = iso(clocked())
    assert _json(w, order) == {
        "at": now,  # the next refill round asks it
        "expected": True,
        "why": f"at the next refill round ({ROUNDS}); the panel judges whether it dropped",
    }
    assert w.round() and len(w.requests(order)) == 1
    assert _json(w, order) == {
        "at": None,
        "expected": True,
        "why": "once its open refill ends (followed each refill round)",
    }
    assert _said(w, order) == [NEXT + _json(w, order)["why"]]  # the words history prints


@pytest.mark.usefixtures("fresh_logs")
def test_an_order_the_probe_cannot_measure_is_said_so_by_history_and_warned_by_the_round(
    world, clocked, tmp_path, monkeypatch
):
    # The round applies the rule history says it by (may_go): an order the
    # probe cannot measure is warned of (probe_skipped) whenever history says
    # so, even inside refill.probe_every of an earlier measure, where the
    # round said nothing while history said "cannot measure".
    from tracker.store.probes import probes_of

    w, counts = _probed(world, tmp_path, monkeypatch)
    measured = w.order(SERVICE_FOLLOWERS)
    (linkless,) = w.panel.seed_orders(1, status="Completed", service=SERVICE_FOLLOWERS)
    w.store.track("sim", [linkless], clocked(), service=SERVICE_FOLLOWERS, quantity=1000)
    w.poll()
    counts.write_text(f"{w.link(measured)} {w.panel.current_count(measured)}\n")
    clocked.advance(DAY)

    def round_warns() -> list[tuple[int, str]]:
        with capture_logs() as logs:
            assert w.round()
        return [(e["order"], e["reason"]) for e in logs if e["event"] == "probe_skipped"]

    assert _said(w, linkless) == [
        "no automatic refill request: refill.command cannot measure it (missing link)"
    ]
    assert round_warns() == [(linkless, "missing link")]
    assert len(probes_of(w.store, "sim", measured)) == 1  # measured: no drop
    # Its remains since read as no delivery figure (as a file edited by hand).
    with w.store.write() as db:
        db.execute("UPDATE orders SET remains = 5000 WHERE order_id = ?", [measured])
    clocked.advance(3600)  # inside refill.probe_every of its measure
    why = "remains 5000 of 1000 is no delivery figure"
    assert _said(w, measured) == [
        f"no automatic refill request: refill.command cannot measure it ({why})"
    ]
    assert round_warns() == [(measured, why), (linkless, "missing link")]
    assert w.requests(measured) == w.requests(linkless) == []


def test_the_command_it_names_to_ask_anyway_is_one_refill_takes_then(world, clocked, monkeypatch):
    # "(smm-tracker refill ID asks anyway)" was said right after a refusal,
    # where that command sends nothing ("inside refill.cooldown ...; pass
    # --force"): the command named is now the one `refill ID` takes then.
    w, order = _refill_missing(world, clocked, monkeypatch)
    assert w.cli("refill", str(order)).exit_code == 1  # refused: the first in a row
    forced = w.cli("refill", "--force", str(order))  # refused again: learned missing
    assert forced.exit_code == 1 and "sim does not support refill" in forced.stderr
    lacks = "no automatic refill request: sim does not support refill, as learned"
    (_, last) = w.requests(order)
    refused = f"the panel refused it {last['requested_at']}: {last['error']}"
    assert _said(w, order) == [
        f"{lacks} (inside refill.cooldown since its last request ({refused}):"
        f" smm-tracker refill {order} --force asks anyway)"
    ]
    plain = w.cli("refill", str(order))
    assert plain.exit_code == 1 and "pass --force to send anyway" in plain.stderr
    clocked.advance(DAY)  # refill.cooldown over: the plain command asks
    assert _said(w, order) == [f"{lacks} (smm-tracker refill {order} asks anyway)"]
    plain = w.cli("refill", str(order))
    assert plain.exit_code == 1 and "sim does not support refill" in plain.stderr
    assert len(w.requests(order)) == 3


def _unfollowed(world, clocked, refill: str = ""):
    """A world whose panel has no refill_status, and an order of it whose
    refill was accepted (Pending) and then not followed: refill_status was
    learned missing 20 minutes after."""
    from tracker.sim.scripts import ScriptQuirks

    w = world(script=ScriptQuirks(missing_actions=("refill_status",)), refill=refill)
    (order,) = w.dropped()
    assert w.round() and len(w.requests(order)) == 1  # accepted: Pending
    clocked.advance(600)
    assert not w.round()  # refill_status refused: the first in a row, that round's failure
    clocked.advance(600)
    assert w.round()  # refused so again: learned missing
    return w, order


def test_an_open_refill_a_panel_without_refill_status_never_follows_holds_it_a_cooldown_only(
    world, clocked, monkeypatch
):
    # Learned without refill_status, a refill stays Pending for ever: its order
    # got no automatic request again, and history said "once its open refill
    # ends (followed each refill round)", which never came. Now it holds the
    # order back inside refill.cooldown of its request only (as a refill in
    # words the tracker does not know): then the panel decides.
    monkeypatch.setattr("tracker.cli.refill.utcnow", clocked)
    w, order = _unfollowed(world, clocked, 'window = "10d"\nmax_requests = 2')
    (first,) = w.requests(order)
    assert first["status"] == "Pending"
    again = iso(parse_iso(first["requested_at"]) + timedelta(days=1))
    assert _said(w, order) == [
        f"{NEXT}from {again} (refill.cooldown since its open refill was requested: the panel"
        f" has no refill_status, so it is never followed), at the first refill round after"
        f" ({ROUNDS}); the panel judges whether it dropped"
    ]
    held = w.cli("refill", str(order))  # by hand: held the same way, --force sends it
    assert held.exit_code == 1 and "open, not followed" in held.stderr
    clocked.advance(DAY - 1200 - 1)  # a second before it: the round asks nothing
    assert w.round() and len(w.requests(order)) == 1
    clocked.advance(1)
    assert _said(w, order) == [
        f"{NEXT}at the next refill round ({ROUNDS}); the panel judges whether it dropped"
    ]
    assert w.round() and len(w.requests(order)) == 2  # at it: asked again
    assert _said(w, order) == [  # held inside the cooldown, then by the cap for good
        "no automatic refill request: refill.max_requests (2) reached: as many refills of it"
        " were accepted, or may have been"
    ]


def test_refills_notes_that_a_panel_without_refill_status_never_follows_its_open_refills(
    world, clocked
):
    # Its refills listed Pending for ever with nothing saying why; then the
    # note said each held its order back "inside refill.cooldown of its own",
    # as if a refill had a cooldown of its own.
    w, order = _unfollowed(world, clocked)
    learned = iso(clocked())
    listed = w.cli("refills")
    assert listed.exit_code == 0 and listed.stdout.splitlines()[1].split()[3] == "Pending"
    assert listed.stderr.splitlines() == [
        f"note: sim has no refill_status (learned {learned}): its open refills are never"
        " followed, their STATUS the one they were requested with; each holds its order's"
        " next automatic request back only inside refill.cooldown since it was requested"
    ]
    assert w.cli("refills", "--status", "rejected").stderr.splitlines() == [
        "no refill requests with status Rejected"  # no open refill listed: no note
    ]


def test_refills_json_says_on_stderr_what_the_table_says_there(world, clocked, monkeypatch):
    # `refills --json` and `refills --order ID --json` printed neither the
    # no-refill_status note nor the order's next-refill line the table view
    # printed on stderr: a script's log kept neither. stdout: the JSON alone.
    monkeypatch.setattr("tracker.cli.refills.utcnow", clocked)
    w, order = _unfollowed(world, clocked)
    table = w.cli("refills", "--order", str(order))
    listed = w.cli("refills", "--order", str(order), "--json")
    assert listed.exit_code == 0, listed.output
    assert [r["status"] for r in json.loads(listed.stdout)] == ["Pending"]
    [note, upcoming] = listed.stderr.splitlines()
    assert note.startswith("note: sim has no refill_status (learned ")
    assert upcoming.startswith(f"order {order}: next automatic refill request: from ")
    assert listed.stderr == table.stderr
    every = w.cli("refills", "--json")
    assert json.loads(every.stdout) and every.stderr.splitlines() == [note]


def test_history_says_a_refused_key_holds_the_next_request_back(tmp_path, monkeypatch):
    # "at the next refill round" was said while the panel refused the key,
    # when no round asks anything of it (the daemon pauses the panel).
    from hostile import json_reply
    from simconfig import scripted_panel

    done = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}
    with scripted_panel(tmp_path, monkeypatch, "sim-key-NextRefusedK3y") as (_, replies, cli):
        replies["status"] = json_reply({"5": done})
        service = {"service": 1, "name": "Followers", "type": "Default", "category": "IG"}
        service |= {"rate": "0.9", "min": "10", "max": "5000", "refill": True, "cancel": False}
        replies["services"] = json_reply([service])
        assert cli("track", "--service", "1", "5").exit_code == 0
        assert cli("run", "--once").exit_code == 0
        assert cli("history", "5").stdout.splitlines()[-1].startswith(NEXT + "from ")
        refused = json_reply({"error": "Invalid API key"})
        replies["balance"] = replies["services"] = replies["status"] = refused
        assert cli("run", "--once").exit_code == 1
        said = cli("history", "5").stdout.splitlines()[-1]
        assert said.startswith(NEXT + "from ")
        assert re.search(
            r"; the panel judges whether it dropped; but the API key is refused since \S+:"
            r" no refill request gets through until that ends \(smm-tracker doctor says why\)$",
            said,
        ), said


def test_history_of_an_order_of_unknown_service_says_the_step_that_makes_it_known(world, clocked):
    # Walk: an order tracked without --service (placed elsewhere) is never
    # refilled automatically; history said why, not how to change it.
    w = world()
    w.sync_services()
    untold = w.order(SERVICE_FOLLOWERS, tell_service=False)
    w.poll()
    assert _said(w, untold) == [
        "no automatic refill request: its service is unknown (refill.unknown_service = 'skip')"
        f": smm-tracker track {untold} --service N --update records it"
    ]
    assert w.cli("track", str(untold), "--service", "99", "--update").exit_code == 0
    assert _said(w, untold) == [  # a service the panel does not list: its catalogue synced
        "no automatic refill request: its service is unknown (refill.unknown_service = 'skip')"
        ": service 99 is not among sim's services as last synced"
        " (smm-tracker services --refresh updates them)"
    ]
    assert (
        w.cli("track", str(untold), "--service", str(SERVICE_FOLLOWERS), "--update").exit_code == 0
    )
    assert _said(w, untold)[0].startswith(NEXT)  # known: its refill follows


def test_after_a_refusal_the_line_says_the_last_request_was_refused(world, clocked, monkeypatch):
    # ux181: after the panel refused the last request, the line said only
    # "refill.cooldown since its last request": it says the refusal, with
    # the panel's words cut short, as `refill ID` held back says it.
    w, order = _refill_missing(world, clocked, monkeypatch)
    clocked.advance(DAY)  # past refill.first_check: only the cooldown holds it back
    held = w.cli("refill", str(order))  # refused: the first in a row, not learned
    assert held.exit_code == 1, held.output
    (request,) = w.requests(order)
    asked, words = request["requested_at"], request["error"]
    again = iso(parse_iso(asked) + timedelta(days=1))
    refused = f"the panel refused it {asked}: {words}"
    assert _said(w, order) == [
        f"{NEXT}from {again} (refill.cooldown since its last request; {refused}), at the"
        f" first refill round after ({ROUNDS}); the panel judges whether it dropped"
    ]
    plain = w.cli("refill", str(order))  # held back: the same words
    assert f"inside refill.cooldown since its last request ({refused}); not sent" in plain.stderr


def test_a_guarantee_ending_within_the_cooldown_of_a_refusal_says_the_refusal(
    world, clocked, monkeypatch
):
    # ux183: ux181 left the other form, the guarantee ending before the
    # cooldown of a refused request does: it said "since its last request"
    # alone. It says the refusal the same way.
    refill = 'window = "3d"\nwindow_from_name = false'
    w, order = _refill_missing(world, clocked, monkeypatch, refill=refill)
    ends = iso(clocked() + timedelta(days=3))
    clocked.advance(2.5 * DAY)  # the cooldown of a request now outlasts the guarantee
    held = w.cli("refill", str(order))  # refused: the first in a row, not learned
    assert held.exit_code == 1, held.output
    (request,) = w.requests(order)
    refused = f"the panel refused it {request['requested_at']}: {request['error']}"
    assert _said(w, order) == [
        f"no automatic refill request: its guarantee (refill.window, 3d) ends {ends},"
        f" before refill.cooldown since its last request does; {refused}"
    ]
