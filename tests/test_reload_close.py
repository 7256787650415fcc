"""A reload (SIGHUP) closes the old generation in a thread of its own: its
close waits up to the webhook timeout plus 5 s for its sink's queue, and on
the daemon's main thread that held a SIGTERM (and the clock's look) for that
long. A stop hurries that close: the alert its webhook had not taken is kept
for the next start, never lost, never sent twice.

The generations are the daemon's own (``Service._build``) with no job: what
is looked at is the close alone, served by the real loop (``serve``).
"""

from __future__ import annotations

import threading

import pytest
from hanging_hook import hanging, kept, until  # noqa: F401  (fixture)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.rules.episodes import Alert
from tracker.service.daemon import Generation, JobStats
from tracker.service.mainloop import serve
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.signals import Signals

# Only ever reached when something hangs: well under the old close's wait
# (the webhook timeout, 60 s, plus 5 s) and the receiver's hold (30 s).
WAIT = 20.0


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_right_after_a_reload_does_not_wait_for_the_old_webhook(
    tmp_path,
    hanging,  # noqa: F811  (the fixture)
):
    server, release = hanging
    settings = {
        "database": {"path": "t.db"},
        "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 16}],
        "refill": {"enabled": False},
        "alerts": {"webhook_url": server.url.replace("/api/v2", "/hook"), "webhook_timeout": "60s"},
    }
    config = config_from_dict(settings, base_dir=tmp_path, env={})
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    signals = Signals()

    def built() -> Generation:
        generation = service._build(config)
        generation.jobs.clear()  # the close alone is looked at
        return generation

    old = built()
    assert service._watch is not None
    raised = service._watch.alerter.raise_alert
    alert = raised(Alert("balance_low", "p: balance 1.00 is below 5.00", panel="p"))
    assert until(lambda: len(server.requests) == 1)  # its POST hangs
    close = old.close

    def closing() -> None:  # SIGTERM as the old generation's close begins
        signals.stop = True
        close()

    old.close = closing
    outcome: list[bool] = []

    def serving() -> None:
        outcome.append(serve(old, signals, stats=JobStats(), reload=built, poll_every=0.05))

    with capture_logs() as logs:
        thread = threading.Thread(target=serving, daemon=True)
        thread.start()
        signals.reload = True
        thread.join(WAIT)
        stopped = not thread.is_alive()
        release.set()  # the POST on the wire answered now: too late, the alert was kept
        thread.join(WAIT)
    assert stopped, "the stop waited for the old generation's webhook"
    assert outcome == [True]  # a clean stop, within its bound
    events = [e["event"] for e in logs]
    assert events.index("jobs_replaced") < events.index("daemon_stopped")
    assert kept(tmp_path / "t.db") == [(alert.id, "webhook")]  # sent by the next start
    assert len(server.requests) == 1  # never sent twice in this run
