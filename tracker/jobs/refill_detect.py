"""The refill job's drop detection: which orders the rule lets go are asked a
refill, by the panel (all of them) or by the user's probe (``refill.detect =
"command"``), run a few at a time, each run stored in ``probes``, a failed
one told once per episode (``probe_failed``). The base of
:class:`tracker.jobs.refills.RefillRound`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import structlog

from tracker.config.model import RefillConfig
from tracker.jobs.probe import ProbeError, ProbeRequest, ProbeStopped, run_probe
from tracker.panel.client import PanelClient
from tracker.rules.refills import OrderFacts, dropped
from tracker.store.orders import Store
from tracker.store.probes import record_probes
from tracker.store.told_marks import told_of_panel

log = structlog.get_logger("tracker.refill")

PROBES_IN_FLIGHT = 4


class DetectsDrops:
    """The drop detection of :class:`tracker.jobs.refills.RefillRound`."""

    store: Store
    client: PanelClient
    config: RefillConfig
    clock: Callable[[], datetime]
    stop: threading.Event
    secrets: tuple[str, ...]

    def detect(self, orders: list[OrderFacts]) -> list[int]:
        """Given the orders the rule lets go (:func:`may_go`), return the IDs of
        those to request a refill for.

        With the probe, each is measured (the rule let only those through
        that it can measure and that were not measured within
        ``refill.probe_every``); every run (count or error) is stored in
        ``probes``.
        """
        if self.config.detect == "panel" or not orders:
            return [o.order_id for o in orders]  # the panel judges whether anything dropped
        name, now = self.client.name, self.clock()
        with ThreadPoolExecutor(min(PROBES_IN_FLIGHT, len(orders))) as pool:
            runs = list(pool.map(self.probe, orders))
        ran = [(o.order_id, *run) for o, run in zip(orders, runs, strict=True) if run is not None]
        self._tell_failed({str(order_id): error for order_id, _, _, error in ran if error}, ran)
        record_probes(self.store, name, ran, now)
        return [o.order_id for o, run in zip(orders, runs, strict=True) if run and run[1]]

    def _tell_failed(self, failed: dict[str, str], ran: list[tuple[int, Any, Any, Any]]) -> None:
        """Tell each probe failed: at warning, at info (``warned_at``) when an
        earlier round told it of the order in the same words (a failed probe
        is run again every round: cron mailed it every run); a probe of the
        order that succeeds ends the episode."""
        asked = [str(run[0]) for run in ran]
        told = told_of_panel(
            self.store, self.client.name, "probe_failed", failed, self.clock(), asked=asked
        )
        for order, error in failed.items():
            at = told.get(order)
            warned = {} if at is None else {"warned_at": at}
            told_at = log.info if warned else log.warning
            told_at("probe_failed", panel=self.client.name, order=int(order), error=error, **warned)

    def probe(self, order: OrderFacts) -> tuple[int | None, bool | None, str | None] | None:
        """Run the user's probe for one order the rule found it can measure;
        return (count, dropped, error), or None when it was not run (stopping).

        A probe that fails is skipped this round (told by :meth:`detect`).
        """
        name = self.client.name
        if self.stop.is_set():
            return None
        if not order.link or order.start_count is None or order.quantity is None:
            return None  # never so: may_go let through only an order it can measure
        request = ProbeRequest(name, order.order_id, order.link, order.start_count, order.quantity)
        try:
            count = run_probe(
                self.config.command,
                request,
                timeout=self.config.command_timeout,
                secrets=self.secrets,
                stop=self.stop,
            )
        except ProbeStopped:  # stopping: nothing to record, asked again next round
            return None
        except ProbeError as exc:  # told by detect(), once per episode
            return None, None, str(exc)
        hit = bool(dropped(order, count, self.config.drop_threshold))
        log.debug("probe_done", panel=name, order=order.order_id, count=count, dropped=hit)
        return count, hit, None
