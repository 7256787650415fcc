"""Build each section of the Config from parsed TOML, collecting every problem.

The defaults live on the dataclasses in :mod:`tracker.config.model`; this module
only reads, range-checks and cross-checks. Nothing here raises until
:func:`build_config` has seen the whole file.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tracker.config import alert_files
from tracker.config.accounts import same_account
from tracker.config.automation import read_automation
from tracker.config.database import read_database
from tracker.config.durations import format_duration
from tracker.config.fields import Table, problem
from tracker.config.keys import KEY_FIELDS, read_key
from tracker.config.late_checks import read_late_checks
from tracker.config.model import (
    AlertsConfig,
    BalanceConfig,
    Config,
    LoggingConfig,
    MetricsConfig,
    PanelConfig,
    ScheduleConfig,
    Secret,
)
from tracker.config.named_files import named_files
from tracker.config.notify import notify_urls, register_urls
from tracker.config.refill_section import read_refill
from tracker.config.sizes import size
from tracker.errors import ConfigError

_PANEL_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_CHAT_ID = re.compile(r"-?[0-9]+|@[A-Za-z0-9_]{5,}")  # ASCII digits: "\d" is any script
_DAY = 86400.0
_SECTIONS: tuple[str, ...] = ("database", "panels", "schedule", "refill", "balance", "alerts")
_SECTIONS += ("metrics", "logging", "automation")
KB, MB = 1024, 1024**2


def build_config(
    data: dict[str, Any],
    *,
    base_dir: Path,
    env: Mapping[str, str],
    path: Path | None,
    resolve_keys: bool,
) -> Config:
    """Given parsed TOML, return the Config. Raise ConfigError listing every problem."""
    problems: list[str] = []
    root = Table(data, "", problems)
    tables = {}
    for name in _SECTIONS:
        if name != "panels":
            raw = root.raw(name)
            tables[name] = Table({} if raw is None else raw, name, problems)
    panels = _panels(root, problems, base_dir, env, resolve_keys)
    # A panel name missing or wrong is said already: no name is checked against them.
    names = [p.name for p in panels]
    known = bool(names) and all(_PANEL_NAME.fullmatch(name) for name in names)
    config = Config(
        path=path,
        database=read_database(tables["database"], base_dir),
        panels=panels,
        schedule=_schedule(tables["schedule"]),
        refill=read_refill(tables["refill"], base_dir, env),
        balance=_balance(tables["balance"]),
        alerts=_alerts(tables["alerts"], base_dir, env, resolve_keys),
        metrics=read_metrics(tables["metrics"]),
        logging=_logging(tables["logging"]),
        automation=read_automation(tables["automation"], names if known else None),
    )
    for table in [root, *tables.values()]:
        table.finish()
    if problems:
        raise ConfigError(problems)
    return replace(config, files=named_files(data, base_dir, env, config.refill))


def _panels(
    root: Table, problems: list[str], base_dir: Path, env: Mapping[str, str], resolve: bool
) -> tuple[PanelConfig, ...]:
    raw = root.raw("panels")
    if raw is None or raw == []:
        root.missing("panels", "at least one [[panels]] table is required", "panels")
        return ()
    if not isinstance(raw, list):
        problems.append(problem("panels", "must be an array of tables, written [[panels]]"))
        return ()
    panels: list[PanelConfig] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(raw):
        t = Table(item, f"panels[{index}]", problems)
        panel = _panel(t, base_dir, env, resolve)
        name_ok = bool(_PANEL_NAME.fullmatch(panel.name))  # a bad name is reported already
        if name_ok and panel.name in first_index:
            t.fail("name", f"{panel.name!r} is already used by panels[{first_index[panel.name]}]")
        elif name_ok:
            first_index[panel.name] = index
        t.finish()
        panels.append(panel)
    problems.extend(same_account(panels))
    return tuple(panels)


def _panel(t: Table, base_dir: Path, env: Mapping[str, str], resolve: bool) -> PanelConfig:
    d = PanelConfig(name="", url="")
    name = t.string("name", "")
    if not t.has("name"):
        t.missing(t.at("name"), "is required", "name")
    elif t.ok("name") and not _PANEL_NAME.fullmatch(name):  # a wrong type is said already
        t.fail("name", f"must be letters, digits, '_', '.' or '-' (got {name!r})")
    url = t.url("url", "", required=True)
    if re.search(r"[?&](api_)?key=", url):
        t.fail("url", "must not carry the API key; use key_env, key_file or key")
    key, source = read_key(t, env, base_dir, resolve)
    given = [field for field in KEY_FIELDS if t.raw(field) is not None]
    balance_low = t.money("balance_low", None)
    return PanelConfig(
        name=name,
        url=url,
        key=Secret(key),
        key_source=source,
        key_field=given[0] if len(given) == 1 and source != "none" else "",
        timeout=t.duration("timeout", d.timeout, maximum=600),
        max_batch=t.integer("max_batch", d.max_batch, 1, 100),
        concurrency=t.integer("concurrency", d.concurrency, 1, 32),
        retries=t.integer("retries", d.retries, 0, 10),
        retry_budget=t.duration("retry_budget", d.retry_budget, minimum=0, maximum=3600),
        requests_per_minute=t.integer("requests_per_minute", d.requests_per_minute, 0, 100_000),
        balance_low=balance_low,
        max_answer=size(t, "max_answer", d.max_answer, minimum=KB, maximum=256 * MB),
        max_services_answer=size(
            t, "max_services_answer", d.max_services_answer, minimum=KB, maximum=1024 * MB
        ),
    )


def _schedule(t: Table) -> ScheduleConfig:
    d = ScheduleConfig()
    longest = 30 * _DAY
    every = t.duration("status_every", d.status_every, minimum=1, maximum=longest)
    most = t.duration(
        "status_max_every", max(d.status_max_every, every), minimum=1, maximum=longest
    )
    if most < every:
        at_least = f"must be at least schedule.status_every ({format_duration(every)})"
        t.cross("status_max_every", at_least, "status_every")
    return ScheduleConfig(
        status_every=every,
        status_max_every=most,
        services_every=t.duration("services_every", d.services_every, minimum=60, maximum=longest),
        refill_every=t.duration("refill_every", d.refill_every, minimum=1, maximum=longest),
        balance_every=t.duration("balance_every", d.balance_every, minimum=1, maximum=longest),
        unknown_give_up=t.duration(
            "unknown_give_up", d.unknown_give_up, minimum=0, maximum=366 * _DAY
        ),
        late_checks=read_late_checks(t, d.late_checks),
    )


def _balance(t: Table) -> BalanceConfig:
    d = BalanceConfig()
    low = t.money("low", d.low)
    return BalanceConfig(
        low=d.low if low is None else low,
        remind=t.duration("remind", d.remind, minimum=60, maximum=30 * _DAY),
        recover_margin=t.fraction("recover_margin", d.recover_margin),
    )


def _alerts(t: Table, base_dir: Path, env: Mapping[str, str], resolve: bool) -> AlertsConfig:
    d = AlertsConfig()
    url = alert_files.webhook_url(t, t.url("webhook_url", d.webhook_url), env, base_dir, resolve)
    register_urls([url])  # its token-bearing pieces, as notify's: from every process's start
    fmt = t.choice("webhook_format", d.webhook_format, ("json", "slack", "telegram"))
    chat = t.raw("telegram_chat_id")
    if isinstance(chat, int) and not isinstance(chat, bool):
        chat = str(chat)  # numeric chat IDs are naturally written as TOML integers
    if chat is not None and not isinstance(chat, str):
        t.fail("telegram_chat_id", "must be a string or an integer")
        chat = ""
    chat = (chat or "").strip()
    if chat and not _CHAT_ID.fullmatch(chat):
        t.fail("telegram_chat_id", f"must be a numeric chat ID or @channelname (got {chat!r})")
    if fmt == "telegram" and not chat:
        required = 'is required when alerts.webhook_format = "telegram"'
        t.cross("telegram_chat_id", required, "webhook_format")
    return AlertsConfig(
        unreachable_after=t.duration("unreachable_after", d.unreachable_after, maximum=30 * _DAY),
        webhook_url=url,
        webhook_format=fmt,
        webhook_timeout=t.duration("webhook_timeout", d.webhook_timeout, maximum=300),
        telegram_chat_id=chat,
        notify=notify_urls(t, alert_files.url_lines(t, "notify_file", env, base_dir, resolve)),
        redeliver_for=t.duration("redeliver_for", d.redeliver_for, minimum=0, maximum=30 * _DAY),
        unread_targets=not resolve and (t.has("webhook_url_file") or t.has("notify_file")),
    )


def read_metrics(t: Table) -> MetricsConfig:
    """Given the ``[metrics]`` table, return its settings (none where a value is wrong)."""
    listen = t.string("listen", "").strip()
    if not listen:
        return MetricsConfig()
    parsed = _parse_listen(listen)
    if parsed is None:
        t.fail("listen", f"must be host:port like 127.0.0.1:9464 or [::1]:9464 (got {listen!r})")
        return MetricsConfig()
    return MetricsConfig(listen=listen, host=parsed[0], port=parsed[1])


def _parse_listen(text: str) -> tuple[str, int] | None:
    """Given "host:port", return (host, port), or None if it is not one."""
    host, colon, port_text = text.rpartition(":")
    if not colon or not (port_text.isascii() and port_text.isdigit()):
        return None
    if not 1 <= int(port_text) <= 65535:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
    elif host and not _HOSTNAME.fullmatch(host):
        return None
    return host, int(port_text)


def _logging(t: Table) -> LoggingConfig:
    d = LoggingConfig()
    return LoggingConfig(
        level=t.choice("level", d.level, ("debug", "info", "warning", "error", "critical")),
        format=t.choice("format", d.format, ("auto", "console", "json", "text")),
    )
