"""The configuration: TOML into frozen dataclasses, validated in one place.

:func:`load_config` finds and reads the file; :func:`config_from_dict` builds a
:class:`Config` from parsed TOML and raises one :class:`ConfigError` listing
every problem at once (see :mod:`tracker.config.sections` for the checks).
Durations are float seconds, money is Decimal, and the API key is a
:class:`Secret` that never shows up in a repr, a log line or a problem.
"""

from __future__ import annotations

import hmac
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError

ENV_VAR = "SMM_TRACKER_CONFIG"
LOCAL_CONFIG = Path("tracker.toml")
SYSTEM_CONFIG = Path("/etc/smm-tracker/config.toml")


class Secret:
    """A value that must never be printed: repr and str both give '***'."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """Return the value itself; call this only where the panel needs it."""
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    path: Path = Path("tracker.db")  # absolute once loaded; ":memory:" kept as is
    busy_timeout: float = 10.0  # a write waits this long for a lock before the cycle gives up


@dataclass(frozen=True, slots=True)
class PanelConfig:
    name: str
    url: str
    key: Secret = Secret("")
    key_source: str = "none"  # where the key came from, without the key itself
    timeout: float = 30.0  # per HTTP call: read, write, pool
    max_batch: int = 100  # order IDs per multi-status call
    concurrency: int = 4  # calls in flight to this panel
    retries: int = 4  # extra attempts for transient failures
    retry_budget: float = 120.0  # total seconds a call may spend retrying
    requests_per_minute: int = 0  # 0 = unlimited; shared by all jobs of this panel
    balance_low: Decimal | None = None  # overrides balance.low for this panel

    @property
    def connect_timeout(self) -> float:
        """Return the TCP connect timeout: the call timeout, capped at 10 seconds."""
        return min(self.timeout, 10.0)


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    status_every: float = 300.0
    status_max_every: float = 3600.0  # adaptive polling never backs off beyond this
    services_every: float = 6 * 3600.0
    refill_every: float = 1800.0
    balance_every: float = 900.0


@dataclass(frozen=True, slots=True)
class RefillConfig:
    enabled: bool = True
    unknown_service: str = "skip"  # "skip" | "try": when the service's refill flag is unknown
    statuses: tuple[str, ...] = ("Completed",)
    window: float = 30 * 86400.0  # refills are requested only this long after completion
    first_check: float = 86400.0  # first drop check this long after completion
    cooldown: float = 86400.0  # between two refill requests of one order
    max_requests: int = 5  # accepted (or answer-lost) refills per order; refusals not counted
    detect: str = "panel"  # "panel" | "command"
    command: str = ""  # absolute path of the drop-detection program when detect = "command"
    command_timeout: float = 30.0
    probe_every: float = 6 * 3600.0  # probe one order's count at most this often
    drop_threshold: float = 0.05  # fraction of the quantity lost before a refill


@dataclass(frozen=True, slots=True)
class BalanceConfig:
    low: Decimal = Decimal(0)  # 0 disables the low-balance alert
    remind: float = 6 * 3600.0  # repeat the alert this often while low
    recover_margin: float = 0.05  # fraction of `low` above it before "recovered"


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    unreachable_after: float = 900.0
    # Slack and Telegram webhook URLs carry tokens: keep them out of repr().
    webhook_url: str = field(default="", repr=False)  # "" = no webhook
    webhook_format: str = "json"  # "json" | "slack" | "telegram"
    webhook_timeout: float = 10.0
    telegram_chat_id: str = ""


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    listen: str = ""  # "host:port" as written; "" = no metrics endpoint
    host: str = ""  # parsed from listen; IPv6 without brackets; "" = all interfaces
    port: int = 0

    @property
    def enabled(self) -> bool:
        """Return True when a metrics endpoint should be served."""
        return bool(self.listen)


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    level: str = "info"  # debug | info | warning | error
    format: str = "auto"  # auto (console on a TTY, JSON otherwise) | console | json


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None
    database: DatabaseConfig
    panels: tuple[PanelConfig, ...]
    schedule: ScheduleConfig = ScheduleConfig()
    refill: RefillConfig = RefillConfig()
    balance: BalanceConfig = BalanceConfig()
    alerts: AlertsConfig = AlertsConfig()
    metrics: MetricsConfig = MetricsConfig()
    logging: LoggingConfig = LoggingConfig()

    def panel(self, name: str | None = None) -> PanelConfig:
        """Given a panel name (or None when only one is configured), return its config.

        Raise ConfigError if the name is unknown, or if it is None and several
        panels are configured.
        """
        names = ", ".join(p.name for p in self.panels)
        if name is None:
            if len(self.panels) == 1:
                return self.panels[0]
            raise ConfigError([f"several panels are configured ({names}): pass --panel NAME"])
        for panel in self.panels:
            if panel.name == name:
                return panel
        raise ConfigError([f"no panel named {name!r} (configured: {names})"])

    def balance_low(self, panel: PanelConfig) -> Decimal:
        """Given a panel, return its low-balance threshold (0 = no alert)."""
        return self.balance.low if panel.balance_low is None else panel.balance_low


def find_config_path(explicit: str | None, env: Mapping[str, str]) -> Path:
    """Given ``--config`` (or None) and the environment, return the config file to read.

    Look at ``explicit``, then ``$SMM_TRACKER_CONFIG``, then ``./tracker.toml``,
    then ``/etc/smm-tracker/config.toml``. A path the user named (option or
    variable) must exist: falling through to another file would silently run
    with someone else's configuration.

    Raise ConfigError if a named path does not exist, or if no default exists.
    """
    named = [(explicit, "--config"), (env.get(ENV_VAR), f"${ENV_VAR}")]
    for value, origin in named:
        if value:
            path = Path(value).expanduser().absolute()
            if not path.is_file():
                state = "is not a file" if path.exists() else "does not exist"
                raise ConfigError([f"config file {path} (from {origin}) {state}"])
            return path
    tried = [LOCAL_CONFIG.absolute(), SYSTEM_CONFIG]
    for path in tried:
        if path.is_file():
            return path
    places = ", ".join(str(p) for p in tried)
    raise ConfigError(
        [f"no config file found (tried {places}); pass --config PATH or set ${ENV_VAR}"]
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Given a file path, return its parsed TOML.

    Raise ConfigError naming the file (and, for bad TOML, tomllib's line and
    column) if it cannot be read or parsed.
    """
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: invalid TOML: {exc}"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: invalid TOML: the file is not UTF-8 text"]) from None
    except OSError as exc:
        raise ConfigError([f"cannot read config file {path}: {exc.strerror}"]) from None


def load_config(
    explicit: str | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    resolve_keys: bool = True,
) -> Config:
    """Given ``--config`` (or None) and the environment, find, read and return the config.

    With ``resolve_keys=False`` the API keys are not looked up (each is
    ``Secret("")``) so read-only commands work where the key is unavailable.

    Raise ConfigError listing every problem if the file is missing or invalid.
    """
    path = find_config_path(explicit, env)
    data = read_toml(path)
    return config_from_dict(
        data, base_dir=path.parent, env=env, path=path, resolve_keys=resolve_keys
    )


def config_from_dict(
    data: Mapping[str, Any],
    *,
    base_dir: Path,
    env: Mapping[str, str],
    path: Path | None = None,
    resolve_keys: bool = True,
) -> Config:
    """Given parsed TOML, return the validated Config.

    Relative paths (``database.path``, ``key_file``) are resolved against
    ``base_dir``, the config file's directory.

    Raise ConfigError listing every problem found if anything is invalid.
    """
    from tracker.config.sections import build_config

    return build_config(
        dict(data), base_dir=base_dir, env=env, path=path, resolve_keys=resolve_keys
    )
