"""What a ``cancel`` command's answers teach of the panel's cancel action:
a cancel accepted where it was learned missing, or refused in a missing
action's words (learned at the second in a row, as the automation learns
it), and the notes that say so on stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from tracker.clock import utcnow
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.rules.capabilities import refused_once
from tracker.store.cancels import ACCEPTED, REFUSED
from tracker.store.capabilities import is_unsupported, learn

if TYPE_CHECKING:
    from tracker.panel.client import PanelClient
    from tracker.store.orders import Store


def learn_cancels(
    store: Store,
    client: PanelClient[Any],
    results: list[tuple[int, str, str | None]],
    lacking: list[str],
    answered: Callable[[], None],
) -> None:
    """Given the command's results (one per order) and the words of the calls
    refused as a missing action (``lacking``), store what they teach of the
    panel's cancel action and say it. An order accepted or refused by the
    panel is its key answered: ``answered()`` is called first (what another
    key taught forgotten: :func:`tracker.jobs.learned.told_once_answered`)."""
    if any(r in (ACCEPTED, REFUSED) for _, r, _ in results):
        answered()
    name, panel_config = client.name, client.panel
    url, key = panel_config.url, panel_config.key  # what was learned at another URL holds no more
    accepted = any(r == ACCEPTED for _, r, _ in results)
    if accepted:  # a first refusal in a missing action's words forgotten
        succeeded(store, name, "cancel", url)
    if accepted and is_unsupported(store, name, "cancel", url):
        learn(store, name, "cancel", True, "a cancel was accepted", utcnow(), url=url, key=key)
        # Notes about the panel go to stderr: stdout holds one line per order (`| grep`).
        click.echo(f"note: {name} accepts cancels again: the automation may send them", err=True)
    elif lacking:
        # As the automation learns it, at the second such refusal in a row (one
        # may be a flaky panel's): it sends no more cancels; `cancel` still does.
        # Said at every run: each order's line reads "refused: Incorrect request".
        known, now = is_unsupported(store, name, "cancel", url), utcnow()
        # The first is told by the note below, not by a debug log line too.
        if not second_refusal(store, name, "cancel", now, known=known, url=url, key=key):
            click.echo(f"note: {name} refused {refused_once('cancel', lacking[0])}", err=True)
        else:
            if not known:
                client.found_missing("cancel", lacking[0])
                learn(store, name, "cancel", False, lacking[0], utcnow(), url=url, key=key)
            click.echo(
                f"note: {name} has no cancel action: the automation sends no cancels there",
                err=True,
            )
