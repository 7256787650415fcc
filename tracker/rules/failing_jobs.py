"""A job failing run after run, its failure line told once per run of them.

A panel script's ``balance`` answering HTTP 500 each time while its status
calls answer, a ``services`` call timing out on a huge catalogue, a
``balance`` refused in words whose witness call gets no answer: the job
fails at each run, the panel answering its other calls. "An outage is told
once" lasts while nothing is answered: the poll's answers between two runs
of the job began it afresh, so its line (``balance_failed``,
``services_failed``) went at error every run, a mail a minute under cron
(a failed job runs again at every ``run --once --due``).

Told once per run of failed jobs instead: the run is kept in
``alert_state`` under the line's name (no alert; ``since``: the job's
first failure told), so it holds across processes, and ends at the job's
first run that does not fail (:func:`tracker.store.told_marks.told_once`,
with the other lines told once across ``run --once`` runs). The names of
those lines here.
"""

from __future__ import annotations

BALANCE_FAILED = "balance_failed"
SERVICES_FAILED = "services_failed"
# A refill round's catalogue sync failing while none was ever synced: the
# same, told once per run of them (ended once a round finds a catalogue).
SERVICES_UNAVAILABLE = "services_unavailable"
# A refill round's refill_status calls failing whole (``{}``, HTTP 500, a
# 429 past its retries) while other calls answer: told once per run of them.
REFILL_STATUS_FAILED = "refill_status_failed"
# A refill round's calls certainly not sent (a bot check, HTTP 429, busy
# words), its orders asked again at the next: told once per run of them.
REFILL_REQUEST_FAILED = "refill_request_failed"
