"""What follows a cancel the panel accepted, as ``cancel`` says it: the
order's next status check, or, for an order the tracker does not poll (not
tracked, untracked, lost, ended), that none comes and the ``track`` command
that brings one: its Canceled status and refund are otherwise never seen."""

from __future__ import annotations

from tracker.cli.render import safe_text
from tracker.store.cancels import LOST, NOT_TRACKED, UNTRACKED


def follows(order_id: int, why: str | None, track: str) -> str:
    """What follows an accepted cancel: the next check, or why none comes
    (``why``, from :func:`unpolled`) and the ``track`` command that brings one."""
    if why is None:
        return "status follows on its next check"
    if why in (NOT_TRACKED, UNTRACKED, LOST):
        how = "follows it" if why == NOT_TRACKED else "resumes it"
        said = "stopped as lost" if why == LOST else why
        return f"{said}, so no status follows: {track}{order_id} {how}"
    return f"stored as {safe_text(why)}, so no status follows"
