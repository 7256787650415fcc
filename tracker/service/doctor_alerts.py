"""What ``smm-tracker doctor`` makes of ``[alerts]``: each notify URL given
to Apprise (nothing sent), and the targets the daemon sends alerts to; apart
from :mod:`tracker.service.doctor`, which was at its size limit."""

from __future__ import annotations

from tracker.alerts.deliveries import WEBHOOK
from tracker.alerts.notify import target_name
from tracker.rules.counts import counted
from tracker.rules.doctor import FAIL, OK, Check


def notify_checks(urls: tuple[str, ...], timeout: float) -> tuple[list[Check], list[str]]:
    """Given the ``[alerts] notify`` URLs, return a failure for each one Apprise
    does not understand (the daemon only logs ``notify_target_invalid`` at
    start, then never sends there), else one ok line (none without URLs); and
    the names of the targets the daemon makes of them, as it makes them
    (:func:`tracker.alerts.notify.targets`: those Apprise understands).
    Nothing is sent: a check must not notify anyone."""
    if not urls:
        return [], []
    from tracker.alerts.notify import NotifyTarget  # Apprise: only when configured

    failed, made = [], []
    for index, url in enumerate(urls):
        try:
            made.append(NotifyTarget(url, index, timeout=timeout).name)
        except ValueError as exc:  # names the target by position and scheme only
            failed.append(Check(FAIL, "alerts.notify", f"{exc}: no alert is sent there"))
    if failed:
        return failed, made
    understood = f"{counted(len(urls), 'URL')} understood by Apprise (none sent)"
    return [Check(OK, "alerts.notify", understood)], made


def alert_targets(webhook_url: str, notify: list[str]) -> set[str]:
    """Given ``[alerts]``' webhook URL and the names of the notify targets
    the daemon makes (:func:`notify_checks`), return the targets it sends to
    (``alert_deliveries.target``)."""
    return set(notify) | ({WEBHOOK} if webhook_url else set())


def placed(urls: tuple[str, ...]) -> set[str]:
    """The names of the ``[alerts] notify`` places, whether Apprise understands
    their URL or not."""
    return {target_name(index, url) for index, url in enumerate(urls)}
