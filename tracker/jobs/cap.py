"""One panel's daily cap in the automation job: the day it counts, its
``automation_capped`` episode, and its hold for the cap's currency
(``automation_currency_held``).

Part of :class:`tracker.jobs.automation.AutomationRound`. The day is decided
by :func:`tracker.rules.cap_day.cap_day` from the wall clock and its
monotonic twin (the boot clock, counting a suspend, where there is one) at
each run, so a clock stepped forward past midnight (and maybe back) does not
start the cap over before the real day has ended, and a sleep over midnight
(real time passing) does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.alerts.alerter import Alerter
from tracker.clock import Clock, iso, read_iso
from tracker.rules.alerts import order_ids
from tracker.rules.cap_day import CapClock, cap_day
from tracker.rules.counts import counted
from tracker.rules.episodes import Alert, Episode
from tracker.rules.money import currency_shown, money
from tracker.rules.reorder_costs import balance_fresh, counts_toward, not_counted, unchecked
from tracker.store.alerts import latest_balance
from tracker.store.automation_spend import currency_hold, spent_by_currency
from tracker.store.connection import Connection
from tracker.store.orders import Store

AUTOMATION_CAPPED = "automation_capped"
# The cap's currency (None: not known) and today's spend in others: (currency, spent).
Uncounted = tuple[str | None, list[tuple[str, Decimal]]]
AUTOMATION_CURRENCY_HELD = "automation_currency_held"


class DailyCap:
    """Given a panel, the alerter and the clocks (``monotonic`` and
    ``boottime`` returning None: unknown, as a test's own clock), say which
    day the cap counts."""

    def __init__(
        self,
        panel: str,
        alerter: Alerter,
        clock: Clock,
        monotonic: Callable[[], float | None] | None = None,
        boottime: Callable[[], float | None] | None = None,
        *,
        balance: Callable[[], bool] | None = None,
        fresh_for: float = 0.0,
        url: str | None = None,
    ):
        self.panel, self.alerter = panel, alerter
        self.url = url  # the panel's URL now: what was learned of it at another holds not
        self._clock, self._monotonic = clock, monotonic or (lambda: None)
        self._boottime = boottime or (lambda: None)
        self._looks = CapClock()
        # The panel's balance check (the balance job's, True: it answered), asked
        # before a run's first re-order when the last balance is older than fresh_for
        # (rules.reorder_costs.balance_fresh_for: none the balance job makes anyway).
        self._balance, self._fresh_for = balance, fresh_for
        self._asked = False  # this run's: asked once at most

    def today(self) -> tuple[datetime, datetime]:
        """Return now and the moment the day's spend counts from (00:00 UTC of
        the real day, as far as the clocks tell); end an earlier day's
        ``automation_capped`` episode quietly: the cap starts over."""
        now = self._clock()
        self._looks, today = cap_day(self._looks, now, self._monotonic(), self._boottime())
        self._asked = False  # a run begins

        def judge(episode: Episode) -> tuple[Episode, Alert | None]:
            if episode.active and episode.since is not None and episode.since < today:
                return Episode(False, None, episode.last_sent_at), None
            return episode, None

        self.alerter.update(self.panel, AUTOMATION_CAPPED, judge)
        return now, today

    def uncounted(
        self, store: Store, cap_currency: str | None, today: datetime, *, dry_run: bool
    ) -> Uncounted:
        """Given the cap's currency setting (None: unset), return the currency
        the cap is in (else the panel's last balance's) and what was spent
        today in others, which it does not count (a change of the panel's
        currency since): as `automation` shows them."""
        label = cap_currency or (latest_balance(store, self.panel) or {}).get("currency")
        parts = spent_by_currency(store, self.panel, today, dry_run=dry_run)
        return label, [(c, s) for c, s in parts if c and not counts_toward(c, label)]

    def capped(
        self,
        capped: list[dict[str, Any]],
        spent: Decimal,
        cap: Decimal,
        now: datetime,
        today: datetime,
        uncounted: Uncounted = (None, []),
    ) -> None:
        """Raise automation_capped once per panel and day (``today``: its start);
        ``uncounted``: see :meth:`uncounted`."""

        def judge(episode: Episode) -> tuple[Episode, Alert | None]:
            if episode.active and episode.since is not None and episode.since >= today:
                return episode, None
            message = capped_message(self.panel, capped, spent, cap, uncounted)
            data = {"cap": float(cap), "spent": float(spent), "day": iso(today), "orders": capped}
            if uncounted[0]:  # the cap's currency, as its message names it
                data["currency"] = uncounted[0]
            if uncounted[1]:  # what was spent in other currencies, not counted
                data["not_counted"] = [{"currency": c, "spent": float(s)} for c, s in uncounted[1]]
            return Episode(True, now, now), Alert(
                AUTOMATION_CAPPED, message, panel=self.panel, data=data
            )

        self.alerter.update(self.panel, AUTOMATION_CAPPED, judge)

    def currency_hold(
        self, store: Connection, currency: str | None, now: datetime, *, setting: str
    ) -> str | None:
        """Given the cap's currency (None: unset) and the setting naming it,
        return why the panel's re-orders are held for it, or None; a hold
        that is over ends its ``automation_currency_held`` episode quietly."""
        hold = currency_hold(store, self.panel, currency, now, setting=setting, url=self.url)
        held = None if hold is None else hold.reason
        if held is None:
            self.alerter.update(self.panel, AUTOMATION_CURRENCY_HELD, _ended_quietly)
        return held

    def before_placing(self, store: Store, currency: str | None, setting: str) -> str | None:
        """Before the run's first re-order (once a run): when the panel's last
        balance is older than ``fresh_for`` (the balance job late, failing, or
        never run), ask it (the cap would be counted in a currency not known
        lately), and return why the re-orders are held now, or None. A check
        that fails holds them: their currency is not known."""
        if self._asked or self._balance is None:
            return None
        self._asked = True
        last = latest_balance(store, self.panel)
        at = read_iso(last["at"]) if last else None
        if balance_fresh(at, self._clock(), self._fresh_for):
            return None  # fresh: no call
        if not self._balance():
            return unchecked(iso(at) if at is not None else "never")
        return self.currency_hold(store, currency, self._clock(), setting=setting)

    def currency_held(self, orders: list[int], held: str, now: datetime) -> None:
        """Raise automation_currency_held once per hold: ``orders`` were not
        placed, ``held`` says why."""

        def judge(episode: Episode) -> tuple[Episode, Alert | None]:
            if episode.active:
                return episode, None
            shown = order_ids(orders, "orders")
            message = f"{self.panel}: {counted(len(orders), 're-order')} held: {held}: {shown}"
            data = {"reason": held, "count": len(orders), "orders": orders[:100]}
            return Episode(True, now, now), Alert(
                AUTOMATION_CURRENCY_HELD, message, panel=self.panel, data=data
            )

        self.alerter.update(self.panel, AUTOMATION_CURRENCY_HELD, judge)


def _ended_quietly(episode: Episode) -> tuple[Episode, Alert | None]:
    """An episode ended, if it was open, with no alert."""
    return (Episode(False, None, episode.last_sent_at) if episode.active else episode), None


def capped_message(
    panel: str,
    capped: list[dict[str, Any]],
    spent: Decimal,
    cap: Decimal,
    uncounted: Uncounted = (None, []),
) -> str:
    """Return ``automation_capped``'s message: the cap "reached" only when
    what was spent today is the cap; otherwise it "would be passed" by the
    re-orders not placed, whose estimates it says (a Partial charged in whole
    until a late refund is estimated at twice its rate: held back at 0.477
    spent of a cap of 1.00, and placed once refunded, the same day). Spend
    in another currency than the cap's (``uncounted``) is said as
    `automation` says it; the cap's currency is named when known (a rouble
    panel's 5.00 read like dollars): "daily cap 0.50 RUB
    reached (0.50 spent today, and 0.45 EUR spent in another currency, not
    counted)"."""
    shown = order_ids([o["order_id"] for o in capped], "orders")
    held = f"{counted(len(capped), 're-order')} not placed"
    label, others = uncounted
    limit, today = money(cap), f"{money(spent)} spent today"
    limit += f" {currency_shown(label)}" if label else ""  # 5.00 RUB, never like dollars
    if others:
        today += ", " + not_counted([f"{money(s)} {currency_shown(c)}" for c, s in others])
    if spent >= cap:
        return f"{panel}: daily cap {limit} reached ({today}): {held}: {shown}"
    estimated = sum((Decimal(str(o["cost"])) for o in capped), Decimal(0))
    return (
        f"{panel}: daily cap {limit} would be passed ({today}):"
        f" {held} ({money(estimated)} estimated): {shown}"
    )
