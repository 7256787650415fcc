"""What a command's note says reloads or restarts the daemon, fitting the
smm-tracker.service installed, as ``doctor`` says it: the system manager's
systemctl, the user manager's (``systemctl --user``), both named when both
are installed, and with none, ``smm-tracker run`` where it runs. A refused
key's fix in the notes of ``orders`` and ``balance``; the restart a
migration is left to (:mod:`tracker.cli.database`). The unit files are
looked for only when such a note is said: the reads print none most often.
"""

from __future__ import annotations

import os


def installed() -> str:
    """Which systemd manager has a smm-tracker.service installed: "system",
    "user", "both" or "none" (:func:`tracker.service.doctor_unit.unit_manager`)."""
    from tracker.service.doctor_unit import installed_manager

    return installed_manager(os.environ)


def refused_key_fix(place: str | None) -> str:
    """Given where a refused key is set (:func:`tracker.cli.listing.key_places`'
    value), return what fixes it, as ``doctor`` says it: the key there, then
    what has the daemon take it (:func:`tracker.rules.not_answering.key_fix`)."""
    from tracker.rules.not_answering import key_fix

    return key_fix(place, installed())


def daemon_restart() -> str:
    """What restarts the daemon: :func:`tracker.rules.not_answering.daemon_restart`
    of the unit installed."""
    from tracker.rules.not_answering import daemon_restart as restart

    return restart(installed())
