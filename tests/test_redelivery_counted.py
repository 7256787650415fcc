"""A kept alert tried again and not taken counts in
``smm_tracker_alert_deliveries_total{outcome="failed"}`` as a new alert's
failure does (README, Metrics: "not taken after its tries, kept to be tried
again"). Before, only its success (``sent``) and its end (``given_up``) were
counted: a target down for a day showed one ``failed`` per alert, then
nothing while every retry failed."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeClock
from test_redelivery import kept_due, store  # noqa: F401  (fixture)
from test_webhook import _delivered

from tracker.alerts.redeliver import redeliver
from tracker.store.orders import Store

TELEGRAM = "alerts.notify[0] (tgram)"


def _gained(before: dict[str, float]) -> dict[str, float]:
    after = _delivered()
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


def test_a_kept_alert_not_taken_again_counts_as_failed(store: Store, tmp_path: Path) -> None:  # noqa: F811
    clock = FakeClock()
    keeper, _alerts = kept_due(store, clock, 2, "webhook", TELEGRAM)
    before = _delivered()
    down = {"webhook": lambda alert, late: "HTTP 503", TELEGRAM: lambda alert, late: "timed out"}
    counts = redeliver(keeper, down, lambda: False)
    # One try per target per look: the second alert waits behind the first's failure.
    assert counts == {"alerts": 2, "delivered": 0, "failed": 2, "skipped": 2}
    assert _gained(before) == {"webhook failed": 1, "notify failed": 1}


def test_a_kept_alert_taken_again_counts_as_sent_not_failed(store: Store) -> None:  # noqa: F811
    clock = FakeClock()
    keeper, _alerts = kept_due(store, clock, 1)
    before = _delivered()
    redeliver(keeper, {"webhook": lambda alert, late: None}, lambda: False)
    assert _gained(before) == {"webhook sent": 1}
