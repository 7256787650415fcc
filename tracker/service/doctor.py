"""The I/O behind ``smm-tracker doctor``: read the config, look at the database,
call each panel once. :mod:`tracker.rules.doctor` judges what is found here.

The database is only looked at, never created or migrated
(:mod:`tracker.service.doctor_database` reads it); the panels are called by
:mod:`tracker.service.doctor_panels`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tracker.clock import iso, utcnow
from tracker.config.database import read_database as read_database_section
from tracker.config.fields import Table
from tracker.config.keys import KEY_FIELDS, read_key
from tracker.config.load import config_from_dict, find_config_path, read_toml
from tracker.config.model import PanelConfig
from tracker.config.sections import read_metrics
from tracker.errors import ConfigError
from tracker.panel.misdirected import EXAMPLE_HOST
from tracker.rules.balance_doctor import learned_checks
from tracker.rules.capabilities import BALANCE
from tracker.rules.database_doctor import database_check
from tracker.rules.doctor import (
    OK,
    SKIP,
    Check,
    ambiguity_checks,
    config_checks,
    panel_check,
    unconfigured_check,
    unknown_status_checks,
)
from tracker.rules.failing_doctor import failing_checks, refused_key_lines
from tracker.rules.late_doctor import late_checks_lines, overdue_after
from tracker.rules.lost_doctor import lost_checks
from tracker.rules.money_doctor import one_figure_checks, shared_figures
from tracker.rules.not_answering import daemon_restart, key_place
from tracker.rules.prune_doctor import last_prune_check
from tracker.rules.redelivery import undelivered_check
from tracker.rules.refusal_doctor import held_out_checks, reach_back
from tracker.rules.reloads import moved_database_check
from tracker.rules.secret_files import instance_name_check, unit_database_check, unit_state_not_made
from tracker.rules.unit_doctor import acting_calls
from tracker.rules.unit_stop import config_dirs, search_paths
from tracker.service.daemon_unit import daemon_manager, pid_manager, unit_running
from tracker.service.doctor_alerts import alert_targets, notify_checks, placed
from tracker.service.doctor_database import (
    database_facts,
    database_mode_checks,
    learned_unsupported,
    open_orders_by_panel,
    orphaned_wal_checks,
    read_rows,
)
from tracker.service.doctor_files import key_file_checks, secret_file_checks
from tracker.service.doctor_listen import listen_checks
from tracker.service.doctor_moved import daemons_elsewhere
from tracker.service.doctor_panels import call_panels, said_key
from tracker.service.doctor_unit import (
    installed_state,
    template_installed,
    unit_checks,
    unit_manager,
)
from tracker.service.doctor_webhook import outage_checks, webhook_check
from tracker.store.late_checks import backlog_query
from tracker.store.outbox import UNDELIVERED_BY_TARGET
from tracker.store.prune_runs import LAST_PRUNE
from tracker.store.readings import (
    CURRENCY_BY_PANEL,
    FAILING_BY_PANEL,
    HELD_OUT_ORDERS,
    LOST_BY_PANEL,
    SERVICE_NAMES,
    UNKNOWN_WORDS_BY_PANEL,
)

_AMBIGUOUS = (
    "SELECT c.panel, c.service, c.listings, c.differences, c.first_seen_at, s.updated_at "
    "FROM service_conflicts c LEFT JOIN services s USING (panel, service) ORDER BY 1, 2"
)


def run_checks(
    explicit: str | None, env: Mapping[str, str], units: Sequence[Sequence[Path]] | None = None
) -> list[Check]:
    """Given ``--config``, the environment and systemd's unit search paths
    (the installed units' stop timeouts, their managers' config read beside
    those directories; None: those of the environment),
    return every check's result, in order.

    A broken config still gets its database, metrics address and panels
    checked wherever their own sections are valid: one panel's missing key
    must not hide another panel's answer.
    """
    search = search_paths(env) if units is None else units
    try:
        path = find_config_path(explicit, env)
        data = read_toml(path)
    except ConfigError as exc:
        return config_checks(None, exc.problems, 0)
    try:
        config = config_from_dict(data, base_dir=path.parent, env=env, path=path)
    except ConfigError as exc:
        checks = config_checks(path, exc.problems, 0)
        refill = None  # its window unknown: the refill rounds' line waits for the config
        late = None  # its moments unknown, as the refill rounds' window
        database = _alone(data, "database", lambda t: read_database_section(t, path.parent))
        panels = _panels_alone(data, path, env)
        targets = None  # the alert targets configured: not known
        alert_urls = None  # [alerts]' URLs, for the targets' outages kept: not known
        unread: set[str] = set()
        kept = True  # alerts.redeliver_for not known: as by default
        metrics = _alone(data, "metrics", read_metrics)  # None: [metrics] not valid
        shared = None  # the figures set once for several panels: not known
    else:
        checks = config_checks(path, [], len(config.panels))
        timeouts = {p.name: p.timeout for p in config.panels}
        alerts = config.alerts  # a stop posts the queued alerts: webhook.close's bound
        wait = alerts.webhook_timeout + 5.0 if alerts.webhook_url or alerts.notify else 0.0
        bound = timeouts, config.database.busy_timeout, wait, acting_calls(config)
        running = unit_running(config.database.path, env)  # None: the units installed
        checks.extend(unit_checks(bound, search, config_dirs(env, units), running))
        database, refill = config.database, config.refill
        late = config.schedule.late_checks, config.schedule.status_every
        panels = [(p.name, p.key_source, p) for p in config.panels]
        notified, understood = notify_checks(config.alerts.notify, config.alerts.webhook_timeout)
        checks.extend(notified)
        if config.alerts.webhook_url:  # a TCP connection to it, nothing sent
            checks.append(webhook_check(config.alerts.webhook_url, alerts.webhook_timeout))
        alert_urls = alerts.webhook_url, alerts.notify, understood
        targets = alert_targets(config.alerts.webhook_url, understood)
        unread = placed(config.alerts.notify) - targets  # configured, never sent to
        kept = config.alerts.redeliver_for > 0  # 0: those kept from before, given up at start
        metrics = config.metrics  # the endpoint's address: said after the database
        shared = shared_figures(config)
    template = template_installed(search)  # the shipped template unit: looked for once
    if database is None:
        checks.append(Check(SKIP, "database", "not checked: fix the [database] problems first"))
    else:
        facts = database_facts(database.path)
        unmade = (  # the state directory of the unit reading it, or of the one installed
            None
            if facts.directory_exists
            else unit_state_not_made(path, database.path, template, installed_state(search))
        )
        checks.append(unmade or database_check(facts))  # the unit's state directory: made at start
        checks.extend(orphaned_wal_checks(database.path))  # a -wal kept aside beside it
        for pid, old in daemons_elsewhere(path, database.path, env):  # a reload could not move
            restart = daemon_restart(pid_manager(pid, env, unit_manager(search)))
            checks.append(moved_database_check(pid, old, database.path, restart))
        running = unit_running(database.path, env)  # the system unit running it, if known
        system = running[1] if running and not running[0] else None
        unit = unit_database_check(path, database.path, template, system)
        checks.extend(database_mode_checks(database.path) + ([unit] if unit else []))
    instance = instance_name_check(path, template)  # one that cannot start
    checks.extend([instance] if instance else [])
    if metrics is not None:  # the daemon's start: database, endpoint
        checks.extend(listen_checks(metrics, database.path if database else None))
    urls = {name: panel.url for name, _source, panel in panels if panel}
    learned = learned_unsupported(database.path, urls) if database is not None else []
    no_balance = {panel for panel, action, *_learned in learned if action == BALANCE}
    answers = call_panels({i: p for i, (_, _, p) in enumerate(panels) if p}, no_balance)
    for index, (name, source, panel) in enumerate(panels):
        if panel is None:
            skipped = f"fix its config problems first{_placeholder(data, index)}"
            checks.append(panel_check(name, source, skipped=skipped))
        else:
            checks.append(answers[index])
    checks.extend(key_file_checks(data, path, env, [name for name, _s, _p in panels]))
    checks.extend(secret_file_checks(data, path, env))
    if database is not None:
        called = {name for name, _source, panel in panels if panel}
        checks.extend(learned_checks(learned, called))
        checks.extend(ambiguity_checks(read_rows(database.path, _AMBIGUOUS)))
        checks.extend(unknown_status_checks(read_rows(database.path, UNKNOWN_WORDS_BY_PANEL)))
        named = {name for name, _source, _panel in panels}
        left_out = open_orders_by_panel(database.path)
        checks.extend(unconfigured_check(p, n) for p, n in left_out.items() if p not in named)
        checks.extend(lost_checks(read_rows(database.path, LOST_BY_PANEL), named))
        failing = read_rows(database.path, FAILING_BY_PANEL)
        accepted = {  # doctor's own balance call answered: the key set now works
            name for i, (name, _s, p) in enumerate(panels) if p and answers[i].state == OK
        } - no_balance
        refused = {
            n: answers[i] for i, (n, _s, p) in enumerate(panels) if p and said_key(i, p, answers[i])
        }
        places = _key_places(data, panels)  # and what runs the daemon, running now or installed:
        manager = daemon_manager(database.path, env, unit_manager(search))
        checks.extend(failing_checks(failing, named, places, accepted, refused, manager))
        folded = {
            id(refused[n]): line
            for n, line in refused_key_lines(failing, refused, places, manager).items()
        }
        checks = [folded.get(id(check), check) for check in checks]  # one line a problem
        if refill is not None and refill.enabled:  # the orders its rounds leave out for good
            now = utcnow()  # each inside its own window: read back to the longest
            since = reach_back(read_rows(database.path, SERVICE_NAMES), refill, now)
            held = read_rows(database.path, HELD_OUT_ORDERS, (iso(since),))
            checks.extend(held_out_checks(held, named, refill, now))
        if late is not None and late[0]:  # ended orders waiting, a check overdue
            now = utcnow()
            query = backlog_query(now, late[0], overdue_after(late[1]))
            checks.extend(late_checks_lines(read_rows(database.path, *query), *late, named, now))
        by_target = read_rows(database.path, UNDELIVERED_BY_TARGET)
        if alert_urls is not None:  # each target's outage the daemon keeps
            checks.extend(outage_checks(database.path, *alert_urls, by_target))
        undelivered = undelivered_check(
            by_target, targets, unread, kept
        )  # a removed target's: said so
        checks.extend([undelivered] if undelivered else [])
        if shared is not None:  # one figure of money for panels in different currencies
            currencies = dict(read_rows(database.path, CURRENCY_BY_PANEL))
            checks.extend(one_figure_checks(currencies, shared))
        row = next(iter(read_rows(database.path, LAST_PRUNE)), None)
        last = last_prune_check(row, database.prune_older_than)
        checks.extend([last] if last else [])
    return checks


def _key_places(
    data: dict[str, Any], panels: list[tuple[str, str | None, PanelConfig | None]]
) -> dict[str, str]:
    """Return {panel: where its key is set}, "panels[0].key_env (environment
    variable SMM_KEY)": what a refused key's line says to fix (never the key)."""
    raw = data.get("panels")
    places = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        given = [f for f in KEY_FIELDS if isinstance(item, dict) and f in item]
        if len(given) == 1 and index < len(panels):
            name, source, _panel = panels[index]
            places[name] = key_place(index, given[0], source)
    return places


def _placeholder(data: dict[str, Any], index: int) -> str:
    """Given the config's tables and a panel's place, return what to say of
    its url when it is still `init`'s placeholder ("" when not): the key
    not set, doctor said only that, and the url the next time."""
    raw = data.get("panels")
    item = raw[index] if isinstance(raw, list) and index < len(raw) else None
    url = item.get("url") if isinstance(item, dict) else None
    try:
        host = urlsplit(url.strip()).hostname if isinstance(url, str) else None
    except ValueError:  # a broken URL: its own problem says so
        return ""
    if host != EXAMPLE_HOST:
        return ""
    return f", and its url: {EXAMPLE_HOST} is the example config's placeholder, not a panel"


_Section = TypeVar("_Section")


def _alone(data: dict[str, Any], name: str, read: Callable[[Table], _Section]) -> _Section | None:
    """Return the section ``name`` read by ``read`` when it is valid on its
    own, else None."""
    problems: list[str] = []
    raw = data.get(name)
    table = Table({} if raw is None else raw, name, problems)
    section = read(table)
    table.finish()
    return None if problems else section


def _panels_alone(
    data: dict[str, Any], path: Path, env: Mapping[str, str]
) -> list[tuple[str, str | None, PanelConfig | None]]:
    """Return (name, key source, panel) for each [[panels]] table, read on its own;
    the panel is None when its table is not valid (key included)."""
    found: list[tuple[str, str | None, PanelConfig | None]] = []
    raw = data.get("panels")
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        shown = name if isinstance(name, str) and name else f"panels[{index}]"
        alone = _one_panel(item, path, env, resolve_keys=True)
        if alone is not None:
            found.append((alone.name, alone.key_source, alone))
            continue
        found.append((shown, _key_source(item, path, env), None))
    return found


def _key_source(item: object, path: Path, env: Mapping[str, str]) -> str | None:
    """Return where a panel table takes its key from, read apart from the rest of
    the table: a typo elsewhere in it must not hide a key source that is right."""
    if not isinstance(item, dict):
        return None
    _key, source = read_key(Table(item, "panel", []), env, path.parent, True)
    return None if source == "none" else source


def _one_panel(
    item: object, path: Path, env: Mapping[str, str], *, resolve_keys: bool
) -> PanelConfig | None:
    try:
        alone = config_from_dict(
            {"panels": [item]}, base_dir=path.parent, env=env, resolve_keys=resolve_keys
        )
    except ConfigError:
        return None
    return alone.panels[0]
