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

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tracker.rules.doctor import WARN, Check

FIRST_WAIT = 60.0  # seconds after the first failure
LONGEST_WAIT = 3600.0  # the waits double up to this
# A target that failed stops a pass: the rest of its alerts wait for the next.
LOOK_EVERY = 30.0  # seconds between looks for alerts due again
PER_PASS = 20  # alerts tried in one look (the oldest first): new alerts wait behind them


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


def undelivered_check(row: Sequence[Any] | None) -> Check | None:
    """Given (kept, given up, oldest first failure still tried, newest error)
    of ``alert_deliveries`` (doctor), return a warning line, None when every
    alert was taken."""
    if not row or not row[0]:
        return None
    kept, given_up, since, error = int(row[0]), int(row[1] or 0), row[2], row[3]
    parts = []
    if kept > given_up:
        parts.append(f"{kept - given_up} tried again (the oldest failed {since})")
    if given_up:
        parts.append(f"{given_up} given up")
    said = f"; last error: {error}" if error else ""
    return Check(
        WARN,
        "alerts",
        f"{kept} not taken by their webhook or notify target: {', '.join(parts)}{said}; "
        "`smm-tracker alerts --undelivered` lists them, `alerts --resend ID` sends one again",
    )
