"""Where a unit lets the service write, as a start refused for its
database's place says it: the state directory systemd names in
``$STATE_DIRECTORY`` (an instance of smm-tracker@.service), else the
shipped unit's. Apart and import-free: the read commands and ``run --once``
load it on their way, never doctor's verdicts."""

from __future__ import annotations

from collections.abc import Mapping

SHIPPED_STATE = "/var/lib/smm-tracker"  # smm-tracker.service's StateDirectory=


def writable_place(env: Mapping[str, str]) -> str:
    """Given the environment, return where a unit lets the service write: the
    state directory systemd names in ``$STATE_DIRECTORY`` (smm-tracker@shop2:
    /var/lib/smm-tracker-shop2), else the shipped unit's."""
    state = env.get("STATE_DIRECTORY", "")
    if state and state != SHIPPED_STATE:
        return f"(under this unit: {state}, its StateDirectory=)"
    return f"(under the shipped unit: {SHIPPED_STATE})"


def place_hint(env: Mapping[str, str], *, unit_only: bool = False) -> str:
    """Given the environment, return what a start refused for its database's
    place appends: the setting and :func:`writable_place`. ``unit_only``: ""
    unless a unit with a StateDirectory= runs this process (``$STATE_DIRECTORY``
    set), as for a directory that does not exist, which run by hand is a typo
    or a unit's directory not created yet."""
    if unit_only and not env.get("STATE_DIRECTORY"):
        return ""
    return f": [database] path must be in a directory this process may write {writable_place(env)}"
