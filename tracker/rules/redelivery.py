"""When an alert that did not reach a target is tried again, and when never.

An alert whose webhook POST or Apprise notification failed after its tries
(the receiver down, a laptop woken before its VPN, a webhook URL being
fixed) is kept in ``alert_deliveries`` and tried again, one attempt each
time, after waits that double from FIRST_WAIT to LONGEST_WAIT, until
``alerts.redeliver_for`` has passed since its first failure: then it is
given up (kept, and ``alerts --resend ID`` puts it back). Pure: the caller
passes the times.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # doctor's: imported where its line is made, not at every start
    from tracker.rules.doctor import Check

FIRST_WAIT = 60.0  # seconds after the first failure
LONGEST_WAIT = 3600.0  # the waits double up to this
# A target that failed stops a pass: the rest of its alerts wait for the next.
LOOK_EVERY = 30.0  # seconds between looks for alerts due again
PER_PASS = 20  # alerts tried in one look (the oldest first): new alerts wait behind them
EVERY = "*"  # the target of an alert sent again by hand: every one configured then
# The words of a row an alert sent to every target gets at a target that
# failed just before in the same look: a marker, no failure of its own.
NOT_TRIED = "not tried: the target failed just before"
# The words of a row given up because the daemon has no such target: its
# place gone from the config, or its notify URL one Apprise does not understand.
REMOVED = "no longer configured"
# The words of a row given up because the daemon sends to no target at all
# (none in [alerts], or only notify URLs Apprise does not understand).
NO_TARGET = "no webhook or notify target configured"
# The words of a row kept from before ``alerts.redeliver_for`` was set to 0
# (nothing is sent again): given up at the daemon's start.
NOT_KEPT = "alerts.redeliver_for is 0: not sent again"


def not_understood(target: str) -> str:
    """Return the words of a row given up at a notify target whose URL Apprise
    does not understand, naming its place ("alerts.notify[0]"): it is still in
    the config, but the daemon never sends there."""
    return f"a URL Apprise does not understand at {target.partition(' ')[0]}"


def no_target(target: str, unread: Collection[str]) -> str:
    """Return the words of a row at ``target`` given up because the daemon
    sends to no target at all: ``unread``, the notify places whose URL Apprise
    does not understand (their rows named so, another gone from the config)."""
    if target in unread:
        return not_understood(target)
    return REMOVED if unread and target != EVERY else NO_TARGET


def wait_after(failures: int) -> float:
    """Return the seconds before the next try of an alert that failed
    ``failures`` times (1 or more) at a target."""
    return min(FIRST_WAIT * 2 ** min(max(failures, 1) - 1, 16), LONGEST_WAIT)


def next_try(
    failures: int, first_failed: datetime, now: datetime, window: float
) -> datetime | None:
    """Return when to try again an alert that failed ``failures`` times, the
    first at ``first_failed``; None when ``window`` seconds since then have
    passed (given up), or the next try would come after them."""
    if window <= 0:
        return None
    end = first_failed + timedelta(seconds=window)
    if now >= end:
        return None
    return min(now + timedelta(seconds=wait_after(failures)), end)


def set_back_after(now: datetime) -> datetime:
    """Return the latest next try a failure could have set by ``now``: one
    set later than that was set by a clock since put back (no wait is longer
    than LONGEST_WAIT), and is due now, not when that clock comes round."""
    return now + timedelta(seconds=LONGEST_WAIT)


def late_note(raised: datetime | None, now: datetime) -> str:
    """Return the words put before a late alert's text (Slack, Telegram,
    Apprise): when it was raised, so an old alert is not read as news."""
    if raised is None:
        return "(late) "
    stamp = raised.strftime("%Y-%m-%d %H:%M UTC" if raised.date() != now.date() else "%H:%M UTC")
    return f"(late: raised {stamp}) "


def undelivered_check(
    rows: Sequence[Sequence[Any]],
    configured: Collection[str] | None = None,
    unread: Collection[str] = (),
    kept: bool = True,
) -> Check | None:
    """Given ``alert_deliveries`` per target (doctor: its target, how many
    were sent again by hand, are tried again, were given up, the first
    failure of those tried again, their latest next try, the newest
    failure's words and its time), the targets the daemon sends to now
    (None: not known) and those the config names that it never sends to
    (``unread``: a notify URL Apprise does not understand), and whether the
    daemon tries alerts again (``kept``: ``alerts.redeliver_for`` above 0),
    return doctor's line, None when every alert was taken.

    One sent again by hand (``alerts --resend``) waits to be sent: not an
    error, its row's words a marker. One of a target the daemon does not
    send to is never sent there: the daemon gives it up at its next try."""
    from tracker.rules.doctor import INFO, WARN, Check

    requeued = sum(int(r[1] or 0) for r in rows)
    mine = [r for r in rows if not _removed(r[0], configured)]
    gone = [r for r in rows if _removed(r[0], configured) and r[0] not in unread]
    unsent = [r for r in rows if _removed(r[0], configured) and r[0] in unread]
    sentences = []
    tried, given_up = (sum(int(r[i] or 0) for r in mine) for i in (2, 3))
    if tried or given_up:
        oldest = min((r[4] for r in mine if r[4]), default=None)
        parts = [f"{tried} tried again (the oldest failed {oldest})"] if tried else []
        if tried and not kept:  # kept from before: the daemon gives them up at its start
            parts = [f"{tried} {_KEPT_BEFORE}, {_AT_START}"]
        parts += [f"{given_up} given up"] if given_up else []
        newest = max((r for r in mine if r[6]), key=lambda r: r[7] or "", default=None)
        said = f"; last error: {newest[6]}" if newest else ""
        sentences.append(
            f"{tried + given_up} not taken by their webhook or notify target: "
            f"{', '.join(parts)}{said}"
        )
    sends = configured is None or bool(configured)  # else `alerts --resend` refuses
    sentences += _never_sent(gone, GONE, _GONE_BACK, sends)
    above = f"{UNREAD} (its alerts.notify line above)"
    sentences += _never_sent(unsent, above, _UNREAD_BACK, sends)
    sentences += _requeued(requeued, sends, kept)
    if not sentences:
        return None
    tail = "`smm-tracker alerts --undelivered` lists them"
    if (tried or given_up) and kept:  # with 0, `alerts --resend` refuses
        tail += ", `alerts --resend ID` sends one again"
    state = (
        WARN if tried or given_up or any(int(r[2] or 0) + int(r[3] or 0) for r in rows) else INFO
    )
    return Check(state, "alerts", "; ".join([*sentences, tail]))


# Why the daemon never sends an alert kept for a target there: doctor's line,
# `alerts --undelivered`'s notes and the `never_sent` field of its JSON.
GONE = "no longer in the config"
UNREAD = "in the config with a URL Apprise does not understand"
_GONE_BACK = "the target back in the config"
_UNREAD_BACK = "a URL Apprise understands at its place"


def never_sent(
    target: str, configured: Collection[str] | None, unread: Collection[str]
) -> str | None:
    """Why the daemon never sends to ``target`` (:data:`GONE`, :data:`UNREAD`),
    None when it does, or when not known (``configured`` None)."""
    if not _removed(target, configured):
        return None
    return UNREAD if target in unread else GONE


def undelivered_notes(
    rows: Sequence[Mapping[str, Any]],
    configured: Collection[str] | None,
    unread: Collection[str],
    kept: bool = True,
) -> list[str]:
    """Given ``alerts --undelivered``'s rows (``outbox.waiting``), the targets
    the daemon sends to now (None: not known), the notify places it never
    sends to and whether it tries alerts again (``kept``), return doctor's
    sentences of the alerts kept for targets it does not send to, of those
    sent again by hand, and (``kept`` False) of those kept from before,
    counted as doctor counts them."""
    by: dict[str, list[Any]] = {}
    for row in rows:
        if never_sent(row["target"], configured, unread) is None:
            continue
        held = by.setdefault(row["target"], [row["target"], 0, 0, 0, None, ""])
        if row["gave_up_at"]:
            held[3] += 1
        elif row["failures"]:
            held[2] += 1
            held[5] = max(held[5], row["next_at"] or "")
        else:  # sent again by hand: to the targets configured when tried
            held[1] += 1  # (said with the others sent again by hand)
    gone = [k for t, k in by.items() if t not in unread]
    unsent = [k for t, k in by.items() if t in unread]
    requeued = sum(1 for r in rows if not r["gave_up_at"] and not r["failures"])
    sends = configured is None or bool(configured)
    tried = sum(
        1
        for r in rows
        if never_sent(r["target"], configured, unread) is None
        and not r["gave_up_at"]
        and r["failures"]
    )
    before = [] if kept or not tried else [f"{tried} {_KEPT_BEFORE}, {_AT_START}"]
    return [
        *before,
        *_never_sent(gone, GONE, _GONE_BACK, sends),
        *_never_sent(unsent, UNREAD, _UNREAD_BACK, sends),
        *_requeued(requeued, sends, kept),
    ]


# When the daemon gives up what it has no target for (it sends to none):
# at its start, as a reload's or a `run --once`'s (Keeper.give_up_all).
_AT_START = "given up at the daemon's next start or reload or the next `run --once`"
# Alerts still tried when ``alerts.redeliver_for`` was set to 0: given up at the start.
_KEPT_BEFORE = "kept from before `alerts.redeliver_for = 0`"


def _requeued(count: int, sends: bool = True, kept: bool = True) -> list[str]:
    """The sentence of the alerts sent again by hand, none when none;
    ``sends``: whether the daemon sends to any target, ``kept``: whether it
    sends anything again (else it gives them up)."""
    if not count:
        return []
    if sends and not kept:
        return [f"{count} sent again by hand (`alerts --resend`), {_KEPT_BEFORE}, {_AT_START}"]
    if not sends:
        return [
            f"{count} sent again by hand (`alerts --resend`), no target to send them to: "
            f"{_AT_START}"
        ]
    return [
        f"{count} sent again by hand (`alerts --resend`), waiting to be sent at the "
        "daemon's next look or the next `run --once` (not an error)"
    ]


def _never_sent(
    gone: Sequence[Sequence[Any]], why: str, back: str, sends: bool = True
) -> list[str]:
    """The sentence of the alerts kept for targets the daemon does not send
    to (``why``: not configured, or a URL not understood), none when none;
    ``sends``: whether the daemon sends to any target (else `alerts --resend`
    refuses: it is not offered)."""
    still, dropped = (sum(int(r[i] or 0) for r in gone) for i in (2, 3))
    if not (still or dropped):
        return []
    names = ", ".join(r[0] for r in gone if int(r[2] or 0) + int(r[3] or 0))
    by = max((r[5] for r in gone if r[5]), default=None)
    when = f"at the next try (due by {by})" if sends else _AT_START.removeprefix("given up ")
    parts = [f"{still} still tried, given up {when}"] if still else []
    parts += [f"{dropped} given up"] if dropped else []
    again = f"; {back} (then a reload) has them tried there" * bool(still)
    resend = (
        "`alerts --resend ID` sends one to the targets configured now"
        if sends
        else "no other target configured: nowhere to resend one"
    )
    return [
        f"{still + dropped} not taken by {names}, {why}, and never sent there: "
        f"{', '.join(parts)}{again}; {resend}"
    ]


def _removed(target: str, configured: Collection[str] | None) -> bool:
    """Whether ``target`` is no longer in the config (None: not known, so no)."""
    return configured is not None and target != EVERY and target not in configured
