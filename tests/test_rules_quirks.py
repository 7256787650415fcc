"""A panel's quirk told once across processes: the pure judgement
(tracker/rules/quirks.py), on moments given by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.rules.episodes import Episode
from tracker.rules.quirks import judge_quirk, quirk_kind, seen_again

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_a_quirk_never_told_is_told_and_kept_from_now():
    assert judge_quirk(Episode(), NOW) == (Episode(False, NOW, NOW), False)


def test_a_quirk_seen_within_a_day_was_told_its_start_kept():
    first = NOW - 3 * 24 * H  # seen every day since
    after, told = judge_quirk(Episode(False, first, NOW - 24 * H), NOW)
    assert told and after == Episode(False, first, NOW)


def test_a_quirk_absent_for_more_than_a_day_is_told_again():
    after, told = judge_quirk(Episode(False, NOW - 50 * H, NOW - 25 * H), NOW)
    assert not told and after == Episode(False, NOW, NOW)


def test_a_clock_set_back_keeps_a_quirk_told():
    after, told = judge_quirk(Episode(False, NOW, NOW + 2 * H), NOW)
    assert told and after == Episode(False, NOW, NOW)


def test_a_quirk_seen_again_is_stored_at_most_hourly():
    kept = Episode(False, NOW - 5 * H, NOW - 30 * timedelta(minutes=1))
    assert seen_again(kept, NOW) is None
    assert seen_again(Episode(False, NOW - 5 * H, NOW - H), NOW) == Episode(False, NOW - 5 * H, NOW)
    assert seen_again(Episode(False, NOW, NOW + H), NOW) == Episode(False, NOW, NOW)  # set back


def test_a_quirk_is_kept_per_url_without_the_url_in_it():
    one = quirk_kind("panel_prints_notices", "https://user:secret@panel.example/api/v2")
    other = quirk_kind("panel_prints_notices", "https://panel.example/api/v2")
    assert one.startswith("panel_prints_notices@") and one != other
    assert "secret" not in one and "panel.example" not in one


def test_a_quirk_kind_holds_no_digest_of_the_key_in_the_url_path():
    # A key in the URL's path (some scripts take it there) is blanked before
    # the digest: the stored kind cannot confirm a guess of the key.
    from tracker.redact.scrub import register_secret

    first, second = "Qk7quirkKEYfirst0000aaaa", "Qk7quirkKEYsecond000bbbb"
    register_secret(first)
    register_secret(second)
    one = quirk_kind("absurd_number", f"https://panel.example/api/{first}/v2")
    other = quirk_kind("absurd_number", f"https://panel.example/api/{second}/v2")
    assert one == other
