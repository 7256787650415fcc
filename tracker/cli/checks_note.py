"""What checks the orders `orders` shows that no poll has checked yet: the
end of its note on stderr (:class:`tracker.cli.orders.Unchecked`); and what
fetches a balance `balance` has none of yet (:func:`who_fetches`).

Nothing running: ``run --once`` now, the daemon within
``schedule.status_every``. A ``run --once`` running: the next, once it ends,
that one named as its lock file says it (its PID, the panel it runs alone,
its config when not this command's). A daemon holding the database (a ``run
--once`` refused then): it checks them, as its lock file says it runs
(:func:`tracker.service.lock_seen.seen`): the panel it runs alone (``run
--panel``) checked, the others not while it runs (its restart without
``--panel`` checks them); ``schedule.status_every`` with its value when it
reads the config this command read, else its own, unvalued; a panel its lock
file's ``panels=`` does not name (not loaded: added to the config since it
read it, until it reloads; not in another config it reads, while it runs),
not checked. A lock file that says neither (an older smm-tracker's) says
less: nothing that may be false.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from tracker.config.durations import format_duration

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.service.lock_holder import Said
    from tracker.service.lock_seen import Seen

EVERY = "schedule.status_every"
# A lock file not saying whether its daemon polls one panel alone (an older one's).
UNLESS_ALONE = "unless it runs another panel alone"


def who_checks(config: Config, panels: Mapping[str, int]) -> str:
    """Given the config and the orders not checked yet ({panel: how many},
    of its configured panels), return what checks them: "the daemon
    running on this database (pid 4242) checks them within
    schedule.status_every (2m)"."""
    from tracker.service.lock_holder import ONCE
    from tracker.service.lock_seen import seen

    it = "it" if sum(panels.values()) == 1 else "them"
    every = f"{EVERY} ({format_duration(config.schedule.status_every)})"
    held = seen(config.database.path)
    if held is None:
        return (
            f"smm-tracker run --once checks {it} now; the daemon (smm-tracker run) within {every}"
        )
    at = f" (pid {held.pid})" if held.pid else ""
    if held.command == ONCE:
        return (
            f"smm-tracker run --once checks {it} once the one running now"
            f"{_once(config, held)} ends; the daemon (smm-tracker run) within {every}"
        )
    daemon = f"the daemon running on this database{at}"
    said = held.said
    if not _own(config, said):
        where = f" (config {said.config})" if said.config is not None else ""
        every = f"its own {EVERY}{where}"  # another config's value: not this one's
    alone = said.panel
    if alone is None:  # not said: it may run another panel alone
        return f"{daemon} checks {it} within {every} {UNLESS_ALONE}"
    late, added, until = _not_loaded(config, held, panels)
    if late and len(late) == len(panels):
        return f"{daemon} has not loaded {added}: nothing checks {it} {until}"
    if not alone or set(panels) == {alone}:
        run = f", run --panel {alone}," if alone else ""
        but = f", but not those of {added}: none {until}" if late else ""
        return f"{daemon}{run} checks {it} within {every}{but}"
    polls = f"{daemon} polls panel {alone} alone (run --panel {alone})"
    # The fix, as the other notes say theirs: a second daemon on this database
    # is refused (one per database), so this one polling every panel.
    fix = "restart it without --panel, which polls every panel"
    if alone not in panels:
        return f"{polls}: nothing checks {it} while it runs ({fix})"
    return (
        f"{polls}: it checks those of {alone} within {every}; "
        f"nothing the others while it runs ({fix})"
    )


def who_fetches(config: Config, panel: str, named: bool) -> str:
    """Given the config, a panel with no balance fetched yet and whether the
    database is ``--database``'s, return what fetches its balance, as the
    database's lock file says: the daemon holding it, on its schedule (or
    nothing while it polls another panel alone, nor, as :func:`who_checks`
    says it, while it has not loaded the panel); a ``run --once`` running,
    the next; nothing, ``run --once`` now or the daemon within
    ``schedule.balance_every``; for ``--database``'s file, what would."""
    from tracker.service.lock_holder import ONCE
    from tracker.service.lock_seen import seen

    held = seen(config.database.path)
    every = f"schedule.balance_every ({format_duration(config.schedule.balance_every)})"
    if held is None and named:  # its config's daemon may write another file
        return (
            "no smm-tracker runs on this database: a daemon or run --once whose "
            "database.path is this file fetches it"
        )
    if held is None:
        return f"smm-tracker run --once fetches it now; the daemon (smm-tracker run) within {every}"
    at = f" (pid {held.pid})" if held.pid else ""
    if held.command == ONCE:
        running = f"a smm-tracker run --once runs on this database{_once(config, held)}"
        if (alone := held.said.panel) and alone != panel:  # not this panel's jobs
            return f"{running}: the next run --once without --panel fetches it"
        return f"{running}: it or the next fetches it"
    alone = held.said.panel
    daemon = f"the daemon running on this database{at}"
    if alone and alone != panel:
        polls = f"{daemon} polls panel {alone} alone (run --panel {alone})"
        return f"{polls}: nothing fetches it while it runs (restart it without --panel)"
    late, added, until = _not_loaded(config, held, [panel])
    if late:  # added to the config since it read it: as who_checks says it
        return f"{daemon} has not loaded {added}: nothing fetches it {until}"
    unless = f" {UNLESS_ALONE}" if alone is None else ""  # not said, as who_checks says it
    return f"{daemon} checks it on its schedule{unless}"


def _once(config: Config, held: Seen) -> str:
    """What a ``run --once`` holding the database is, as its lock file says
    it: " (pid 4242, run --once --panel a, config /etc/cron.toml)", its
    config when not the one this command read, "" when nothing is known."""
    said = held.said
    parts = [f"pid {held.pid}"] if held.pid else []
    parts += [f"run --once --panel {said.panel}"] if said.panel else []
    parts += [f"config {said.config}"] if said.config is not None and not _own(config, said) else []
    return f" ({', '.join(parts)})" if parts else ""


def _not_loaded(config: Config, held: Seen, panels: Collection[str]) -> tuple[list[str], str, str]:
    """Given the config, the daemon holding the database and panels of the
    config, return those it has not loaded (its lock file's ``panels=``
    does not name them: added to the file since it started or last reloaded
    it, or not in another config it runs; none when it runs one panel alone
    or its lock file does not say), what they are ("panel idle, added to the
    config since it read it") and until when nothing polls them (its
    reload, or while it runs, with the fix)."""
    said = held.said
    late = [] if said.panel or said.panels is None else sorted(set(panels) - set(said.panels))
    if _own(config, said):  # its reload reads them
        added = f"panel {', '.join(late)}, added to the config since it read it"
        return late, added, _reload(held.pid)
    # The fix: the panel added to its config, which a reload reads.
    added, until = f"panel {', '.join(late)}, not in the config it runs", "while it runs"
    if said.config is not None:
        those = "panel" if len(late) == 1 else "panels"
        until += f" (add the {those} to {said.config} and have the daemon reload it: "
        until += f"{_sends_hup(held.pid)})"
    return late, added, until


def _own(config: Config, said: Said) -> bool:
    """Whether the daemon's lock file says it runs the config this command read."""
    return said.config is not None and config.path is not None and _same(said.config, config.path)


def _reload(pid: int | None) -> str:
    """Until when a panel the daemon has not loaded goes unchecked: its
    reload of the config (SIGHUP), and what sends it."""
    return f"until it reloads its config ({_sends_hup(pid)})"


def _sends_hup(pid: int | None) -> str:
    """What has the daemon ``pid`` (None: not known) reload its config."""
    return f"{f'kill -HUP {pid}, or ' if pid else ''}systemctl reload of its unit"


def _same(path: str, other: os.PathLike[str]) -> bool:
    """Whether two paths name one file (False: either cannot be looked at)."""
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False
