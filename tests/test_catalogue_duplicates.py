"""A services answer that lists one service twice: the same terms are one
listing; different terms believe neither listing (the terms known before are
kept, or the service stays unknown), and the user is told: an alert once, a
note in `services`, a warning in `doctor`. Against the simulated panel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from refill_world import DAY, World

from tracker.rules.doctor import ambiguity_checks
from tracker.sim.catalogue import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICES
from tracker.sim.faults import Reply
from tracker.sim.server import SimulatedPanel

LINK = "https://instagram.com/p/abc"


class ListingPanel(SimulatedPanel):
    """The simulator answering ``services`` with the list a test sets."""

    catalogue: list[dict[str, Any]] | None = None

    def _services(self, form: Mapping[str, str], now: float) -> Any:
        return self.catalogue if self.catalogue is not None else super()._services(form, now)


def listing(service: int, **terms: Any) -> dict[str, Any]:
    """Return the simulator's own listing of ``service``, with ``terms`` changed."""
    return {**next(s for s in SERVICES if s["service"] == service), **terms}


def others(*left_out: int) -> list[dict[str, Any]]:
    return [dict(s) for s in SERVICES if s["service"] not in left_out]


def stored(w: World, service: int) -> dict[str, Any] | None:
    rows = w.store.rows("SELECT * FROM services WHERE panel = 'sim' AND service = ?", [service])
    return rows[0] if rows else None


def alerts(w: World) -> list[dict[str, Any]]:
    rows = w.store.rows("SELECT kind, message, data FROM alerts WHERE kind = 'service_ambiguous'")
    return [{**r, "data": json.loads(r["data"])} for r in rows]


def refill_asked_for_a_completed_order(w: World, service: int) -> bool:
    order_id = w.order(service)
    w.poll()
    w.clock.advance(DAY)
    assert w.round()
    return bool(w.requests(order_id))


def test_conflicting_listings_keep_the_terms_known_before_and_the_rest_is_synced(world):
    w = world(panel_class=ListingPanel)
    assert w.sync_services()  # the panel's clean list: followers refill, 100..100000 at 0.90
    # One appended listing says: no refill, at most 500, cheaper; likes' rate changed too.
    w.panel.catalogue = [
        *others(SERVICE_LIKES),
        listing(SERVICE_LIKES, rate="0.50"),
        listing(SERVICE_FOLLOWERS, refill=False, max="500", rate="0.10"),
    ]
    assert w.sync_services()  # one ambiguous service never fails the sync
    row = stored(w, SERVICE_FOLLOWERS)
    assert row is not None
    assert (row["refill"], row["min"], row["max"], row["rate"]) == (1, 100, 100000, 0.9)
    assert stored(w, SERVICE_LIKES)["rate"] == 0.5  # the rest of the list is stored
    # The guarantee bought is still claimed; `add` still checks the known range.
    assert refill_asked_for_a_completed_order(w, SERVICE_FOLLOWERS)
    placed = w.cli("add", "--service", "1", "--link", LINK, "--quantity", "1000")
    assert placed.exit_code == 0, placed.output


def test_conflicting_listings_of_a_service_never_synced_leave_it_unknown(world):
    w = world(panel_class=ListingPanel)
    # The last listing claims a refill guarantee and a minimum of 1000.
    w.panel.catalogue = [
        *others(SERVICE_FOLLOWERS),
        listing(SERVICE_FOLLOWERS, refill=False),
        listing(SERVICE_FOLLOWERS, refill=True, min="1000"),
    ]
    assert w.sync_services()
    assert stored(w, SERVICE_FOLLOWERS) is None
    assert stored(w, SERVICE_LIKES) is not None
    # Unknown service: refill.unknown_service (default "skip") decides; `add`
    # sends it unchecked and the panel judges (it takes 500).
    assert not refill_asked_for_a_completed_order(w, SERVICE_FOLLOWERS)
    placed = w.cli("add", "--service", "1", "--link", LINK, "--quantity", "500")
    assert placed.exit_code == 0, placed.output
    shown = w.cli("services")
    assert (
        "note: sim lists service 1 2 times with different terms (refill no/yes, min 100/1000)"
        in shown.stderr
    )
    assert "not stored: an unknown service to the tracker" in shown.stderr


def test_the_user_is_told_once_and_sees_it_until_the_panel_lists_it_clearly(world):
    w = world(panel_class=ListingPanel)
    assert w.sync_services()
    hostile = listing(SERVICE_FOLLOWERS, refill=False, max="500")
    w.panel.catalogue = [*others(), hostile]
    assert w.sync_services() and w.sync_services()
    (alert,) = alerts(w)  # one alert for the episode, not one per sync
    assert "service 1 (refill yes/no, max 100000/500)" in alert["message"]
    assert alert["data"]["services"] == [
        {
            "service": 1,
            "listings": 2,
            "differences": {"refill": ["yes", "no"], "max": ["100000", "500"]},
        }
    ]
    shown = w.cli("services")
    assert shown.exit_code == 0
    assert "note: sim lists service 1 2 times with different terms" in shown.stderr
    assert "kept the terms synced 2026-11-01T12:00:00+00:00" in shown.stderr
    rows = {r["service"]: r for r in json.loads(w.cli("services", "--json").stdout)}
    assert rows[1]["ambiguous"] == {"refill": ["yes", "no"], "max": ["100000", "500"]}
    assert rows[1]["refill"] is True and rows[1]["max"] == 100000
    assert rows[SERVICE_LIKES]["ambiguous"] is None
    doctor = w.cli("doctor")
    assert "warn panel sim: lists service 1 2 times with different terms" in doctor.stdout
    # The panel lists it once again, with new terms: believed, the note gone.
    w.panel.catalogue = [*others(SERVICE_FOLLOWERS), hostile]
    assert w.sync_services()
    assert stored(w, SERVICE_FOLLOWERS)["max"] == 500
    assert "different terms" not in w.cli("services").stderr
    # Ambiguous again later: a new episode, a new alert.
    w.panel.catalogue = [*others(), hostile]
    assert w.sync_services()
    assert len(alerts(w)) == 2


def test_identical_listings_are_one_service(world):
    w = world(panel_class=ListingPanel)
    # Listed again in another category, its numbers and flags spelled otherwise.
    again = listing(
        SERVICE_FOLLOWERS,
        category="Instagram | Best sellers",
        rate=0.9,
        min=100,
        max=100000,
        refill="1",
        cancel=1,
    )
    w.panel.catalogue = [*others(), again]
    ran = w.cli("--log-format", "json", "run", "--once")
    assert ran.exit_code == 0, ran.output
    logged = [json.loads(line) for line in ran.stderr.splitlines() if line.startswith("{")]
    synced = [e["services"] for e in logged if e["event"] == "services_synced"]
    assert synced and set(synced) == {len(SERVICES)}  # six services synced, not seven
    assert not [e for e in logged if e["event"] == "services_ambiguous"]
    row = stored(w, SERVICE_FOLLOWERS)
    assert row is not None and (row["refill"], row["cancel"], row["max"]) == (1, 1, 100000)
    assert row["category"] == "Instagram Followers"  # the first listing's words
    shown = w.cli("services", "--json")
    assert "different terms" not in shown.stderr
    rows = json.loads(shown.stdout)
    assert [r["service"] for r in rows].count(SERVICE_FOLLOWERS) == 1
    assert rows[0]["ambiguous"] is None
    assert alerts(w) == []
    assert refill_asked_for_a_completed_order(w, SERVICE_FOLLOWERS)


def test_a_catalogue_of_many_ambiguous_services_is_told_in_bounded_lines(world):
    w = world(panel_class=ListingPanel)
    likes = listing(SERVICE_LIKES)
    twice = [{**likes, "service": 100 + i, "refill": r} for i in range(30) for r in (0, 1)]
    rates = [listing(SERVICE_FOLLOWERS, rate=str(n)) for n in range(1, 11)]  # ten prices
    w.panel.catalogue = [*others(SERVICE_FOLLOWERS), *twice, *rates]
    assert w.sync_services()
    notes = [line for line in w.cli("services").stderr.splitlines() if "different terms" in line]
    assert len(notes) == 21 and notes[-1].startswith("note: and 11 more services")
    assert "lists service 1 10 times with different terms (rate 1/2/3/4/…)" in notes[0]
    said = w.cli("doctor").stdout.splitlines()
    warned = [  # not the line on its config (0644, the key in it)
        line for line in said if line.startswith("warn") and "every user" not in line
    ]
    assert len(warned) == 11
    assert "and 21 more services listed twice with different terms" in warned[-1]
    (alert,) = alerts(w)
    assert alert["data"]["count"] == 31 and "and 26 more" in alert["message"]


def test_one_ambiguous_service_past_those_shown_is_one_service(world):
    # "note: and 1 more services listed twice"; doctor's line said the same.
    w = world(panel_class=ListingPanel)
    likes = listing(SERVICE_LIKES)
    twice = [{**likes, "service": 100 + i, "refill": r} for i in range(21) for r in (0, 1)]
    w.panel.catalogue = [*others(SERVICE_FOLLOWERS), *twice]
    assert w.sync_services()
    notes = [line for line in w.cli("services").stderr.splitlines() if "different terms" in line]
    assert len(notes) == 21  # 20 shown, then the one left
    assert notes[-1].startswith("note: and 1 more service listed twice with different terms")
    rows = [("sim", 100 + i, 2, "refill yes/no", "2026-01-01", None) for i in range(11)]
    (*_shown, more) = ambiguity_checks(rows)  # doctor's lines: 10 shown, then the one left
    assert more.detail.startswith("and 1 more service listed twice with different terms")


class RawListingPanel(SimulatedPanel):
    """The simulator answering ``services`` with the raw JSON text a test sets
    (a hand-built answer may give one key twice, which no dict can)."""

    raw: bytes | None = None

    def answer(self, form: Mapping[str, str]) -> Reply:
        if form.get("action") == "services" and self.raw is not None:
            return Reply(200, {"Content-Type": "application/json"}, self.raw)
        return super().answer(form)


def test_a_listing_giving_a_term_twice_differently_is_ambiguous(world):
    # {"refill": true, "refill": false} in one listing: read as refill False
    # (to_bool of the error item), rate and max as none, and stored over the
    # terms known before: the guarantee bought was dropped silently.
    w = world(panel_class=RawListingPanel)
    assert w.sync_services()
    clean = json.dumps(others(SERVICE_FOLLOWERS))[1:-1]
    followers = json.dumps(listing(SERVICE_FOLLOWERS))[:-1]
    w.panel.raw = (
        f'[{clean}, {followers}, "refill": false, "max": "500", "rate": "0.90"}}]'.encode()
    )
    assert w.sync_services()
    row = stored(w, SERVICE_FOLLOWERS)
    assert row is not None
    assert (row["refill"], row["max"], row["rate"]) == (1, 100000, 0.9)
    (alert,) = alerts(w)
    assert "service 1 (refill yes/no, max 100000/500)" in alert["message"]
    assert "lists service 1 2 times with different terms" in w.cli("services").stderr
    assert refill_asked_for_a_completed_order(w, SERVICE_FOLLOWERS)


def _ran_once(w: World) -> dict[str, list[dict[str, Any]]]:
    """Run ``run --once`` (a cron run: a process of its own) at debug; return
    its services lines by event."""
    ran = w.cli("--log-format", "json", "--log-level", "debug", "run", "--once")
    assert ran.exit_code == 0, ran.output
    logged = [json.loads(line) for line in ran.stderr.splitlines() if line.startswith("{")]
    found: dict[str, list[dict[str, Any]]] = {}
    for e in logged:
        if e["event"].startswith("services_ambiguous"):
            found.setdefault(e["event"], []).append(e)
    return found


def test_a_service_listed_twice_is_warned_once_an_episode_across_cron_runs(world):
    # Every services sync warned it again: a line each run for the same listing.
    w = world(panel_class=ListingPanel)
    assert w.sync_services()
    w.panel.catalogue = [*others(), listing(SERVICE_FOLLOWERS, refill=False, max="500")]
    (first,) = _ran_once(w)["services_ambiguous"]
    assert first["level"] == "warning"
    assert first["services"] == {"1": "refill yes/no, max 100000/500"}
    w.clock.advance(DAY)
    (again,) = _ran_once(w)["services_ambiguous"]
    assert again["level"] == "debug"  # the same listing: said at debug alone
    # What differs changed: news again.
    w.panel.catalogue = [*others(), listing(SERVICE_FOLLOWERS, refill=False, max="900")]
    w.clock.advance(DAY)
    (changed,) = _ran_once(w)["services_ambiguous"]
    assert changed["level"] == "warning" and "max 100000/900" in changed["services"]["1"]
    # Listed once again: the episode's end, once.
    w.panel.catalogue = others()
    w.clock.advance(DAY)
    said = _ran_once(w)
    assert "services_ambiguous" not in said
    (ended,) = said["services_ambiguous_ended"]
    assert ended["level"] == "info" and ended["panel"] == "sim" and ended["services"] == [1]
    w.clock.advance(DAY)
    assert _ran_once(w) == {}  # told once
