"""The words of a panel not answering now: its key refused (``auth_failed``),
every call failing (``panel_unreachable``), both said when both are open,
the key first. ``balance``, ``orders`` and ``doctor`` say them alike; each
gives the moments as it shows them. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# Why a panel's rows are its last answers, by the episode open for it now.
NOT_ANSWERING = {
    "auth_failed": "the API key is refused",
    "panel_unreachable": "every call has failed",
}
KEY_FIRST = "the refused key is the cause to fix first"


def not_answering_said(
    kind: str,
    since: str | None,
    open_now: Mapping[str, str | None],
    moment: Callable[[str | None], str],
) -> tuple[str, str]:
    """Given the episode a line names (``kind`` since ``since``), the
    panel's episodes open now ({kind: since}) and how a moment is shown,
    return what the line says of them ("the API key is refused since ...")
    and what it says before the fix or where to read why: both open, both
    said, the key first, the cause to fix first ("" when one is open)."""
    if not NOT_ANSWERING.keys() <= open_now.keys():
        return f"{NOT_ANSWERING[kind]} since {moment(since)}", ""
    said = (f"{words} since {moment(open_now[k])}" for k, words in NOT_ANSWERING.items())
    return ", and ".join(said), f"{KEY_FIRST}: "


def key_place(index: int, field: str, source: str | None) -> str:
    """Given a panel's N in ``panels[N]``, the key of its table that sets its
    API key (``key_env``, ``key_file``, ``key``) and where that says the key
    is ("environment variable SMM_KEY"; None: not known), return where a
    refused key is fixed, as :func:`key_fix` says it: "panels[0].key_env
    (environment variable SMM_KEY)" (never the key)."""
    return f"panels[{index}].{field}" + (f" ({source})" if source else "")


def key_taken(place: str | None) -> str:
    """Given where a panel's key is set (:func:`key_place`; None: not known),
    return what has the daemon take a key fixed there. A reload reads the
    config again, so a key written in it (``key``); the daemon's environment
    is its start's (``key_env``), and systemd copies a key file handed over
    by ``LoadCredential=`` at the start only (``key_file``): both take a
    restart, as does a place not known."""
    field = (place or "").split(" ", 1)[0].rpartition(".")[2]
    if field == "key":
        return "`systemctl reload smm-tracker` (the daemon reads it again)"
    why = {
        "key_env": "its environment, the unit's or its EnvironmentFile's, "
        "is read at its start only",
        "key_file": "a key file the unit hands over with LoadCredential= "
        "is copied at its start only",
    }.get(field, "it reads the key again wherever the config sets it")
    return f"`systemctl restart smm-tracker` ({why})"


def key_fix(place: str | None) -> str:
    """Given where a panel's key is set ("panels[0].key_env (environment
    variable SMM_KEY)"; None: not known), return what fixes a refused key:
    the key there, then what has the daemon take it (:func:`key_taken`), or
    the next cron run."""
    where = f"in {place}" if place else "in the panel's [[panels]] table"
    return f"fix the key {where}, then {key_taken(place)}; from cron, the next run reads it"


def key_fix_above(place: str | None) -> str:
    """A refused key's fix where doctor's own balance line already says
    where the key is set (:func:`refused_key_hint`): said there, not twice."""
    return (
        f"fix the key as the panel's FAIL line says, then {key_taken(place)}; "
        "from cron, the next run reads it"
    )


def refused_key_hint(place: str) -> str:
    """Given where a panel's key is set (:func:`key_place`), return the fix a
    one-off call refused for its key says after its line (``doctor``, ``add``)."""
    return f"the panel refuses this key: check that {place} holds this account's key"
