"""The configuration: TOML into immutable records, validated in one place.

:func:`load_config` finds and reads the file; :func:`config_from_dict` builds a
:class:`Config` from parsed TOML and raises one :class:`ConfigError` listing
every problem at once (see :mod:`tracker.config.sections` for the checks).
Durations are float seconds, money is Decimal, and the API key is a
:class:`Secret` that never shows up in a repr, a log line or a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from tracker.config.durations import parse_duration
from tracker.errors import PanelChoiceError
from tracker.panel.values import said


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
        import hmac  # here: its hashlib import costs every command's start-up

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))


class DatabaseConfig(NamedTuple):
    path: Path = Path("tracker.db")  # absolute once loaded; ":memory:" kept as is
    busy_timeout: float = 10.0  # a write waits this long for a lock before the cycle gives up
    # The daemon's daily prune: history older than this goes ("365d", as
    # written; at least 30 days); "" never (the default).
    prune_older_than: str = ""

    @property
    def prune_seconds(self) -> float:
        """``prune_older_than`` in seconds; 0: the daemon never prunes."""
        return parse_duration(self.prune_older_than) if self.prune_older_than else 0.0


class PanelConfig(NamedTuple):
    name: str
    url: str
    key: Secret = Secret("")
    key_source: str = "none"  # where the key came from, without the key itself
    key_field: str = ""  # the [[panels]] key setting it: key_env, key_file or key ("": none)
    timeout: float = 30.0  # per HTTP call: read, write, pool
    max_batch: int = 100  # order IDs per multi-status call
    concurrency: int = 4  # calls in flight to this panel
    retries: int = 4  # extra attempts for transient failures
    retry_budget: float = 120.0  # total seconds a call may spend retrying
    requests_per_minute: int = 0  # 0 = unlimited; shared by all jobs of this panel
    balance_low: Decimal | None = None  # overrides balance.low for this panel
    max_answer: int = 1024**2  # bytes read of any answer but services; larger is an error
    max_services_answer: int = 16 * 1024**2  # bytes read of a services list

    @property
    def connect_timeout(self) -> float:
        """Return the TCP connect timeout: the call timeout, capped at 10 seconds."""
        return min(self.timeout, 10.0)


class ScheduleConfig(NamedTuple):
    status_every: float = 300.0
    status_max_every: float = 3600.0  # adaptive polling never backs off beyond this
    services_every: float = 6 * 3600.0
    refill_every: float = 1800.0
    balance_every: float = 900.0
    # An order the panel calls unknown backs off (1h, 6h, then 24h) and stops
    # being polled once the panel has called it unknown for this long.
    unknown_give_up: float = 3 * 86400.0
    # An order that ended Partial, Canceled or Refunded is asked again this
    # long after it ended (seconds, ascending): a refund the panel makes
    # later than the status. Empty: never.
    late_checks: tuple[float, ...] = (3600.0, 6 * 3600.0, 86400.0)


class RefillConfig(NamedTuple):
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
    # The guarantee a service's name says ("R90", "Lifetime Refill") is its
    # orders' window instead of `window`; a lifetime one lasts `lifetime`.
    window_from_name: bool = True
    lifetime: float = 365 * 86400.0


class BalanceConfig(NamedTuple):
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
    # Apprise URLs ("tgram://...", "discord://..."); they carry tokens too.
    notify: tuple[str, ...] = field(default=(), repr=False)
    # How long an alert a target did not take is tried again (0 = never).
    redeliver_for: float = 86400.0
    # webhook_url_file or notify_file is set but was not read (the read commands).
    unread_targets: bool = False

    @property
    def has_targets(self) -> bool:
        """Return True when alerts are sent somewhere (a webhook or a notify URL)."""
        return bool(self.webhook_url or self.notify or self.unread_targets)


class MetricsConfig(NamedTuple):
    listen: str = ""  # "host:port" as written; "" = no metrics endpoint
    host: str = ""  # parsed from listen; IPv6 without brackets; "" = all interfaces
    port: int = 0

    @property
    def enabled(self) -> bool:
        """Return True when a metrics endpoint should be served."""
        return bool(self.listen)


class LoggingConfig(NamedTuple):
    level: str = "info"  # debug | info | warning | error
    format: str = "auto"  # auto (a terminal: lines for a person) | console | json


# Stall thresholds by canonical status, as (status, seconds) pairs: frozen and hashable.
StallAfter = tuple[tuple[str, float], ...]


class AutomationConfig(NamedTuple):
    """``[automation]``: acting on what the tracker sees. Only stall alerts are on
    by default; nothing that spends or cancels runs unless switched on."""

    dry_run: bool = False  # log and record what would be done, never call the panel
    every: float = 600.0  # how often the automation job runs (per panel)
    stalls: bool = True  # stall detection (alerts only)
    stall_after: StallAfter = (
        ("Pending", 12 * 3600.0),
        ("Processing", 6 * 3600.0),
        ("In progress", 6 * 3600.0),
    )
    stall_after_service: tuple[tuple[int, StallAfter], ...] = ()  # per-service overrides
    eta_overdue: float = 2.0  # stalled once past this many times the expected time; 0 = off
    reorder: bool = False  # re-order the undelivered remainder of Partial orders
    reorder_services: tuple[int, ...] = ()  # () = every service
    reorder_within: float = 3 * 86400.0  # only Partials that ended this recently
    reorder_step: int = 1  # the amount is rounded to a multiple of this
    reorder_round: str = "up"  # "up" | "down" | "nearest"
    reorder_below_min: str = "raise"  # a remainder below the service's min: "raise" | "skip"
    cancel_pending: bool = False  # cancel orders Pending for longer than cancel_pending_after
    cancel_pending_after: float = 86400.0
    daily_cap: Decimal = Decimal(0)  # estimated spend per panel and UTC day on automatic orders
    daily_cap_panels: tuple[tuple[str, Decimal], ...] = ()  # per-panel caps
    # The caps' currency: a code ("USD") or the panel's own label for it
    # ("$"); None: each panel's own, held a day after it changes.
    daily_cap_currency: str | None = None
    # Per-panel, in its place; "": that panel's own money (as None above).
    daily_cap_currency_panels: tuple[tuple[str, str], ...] = ()

    def stall_threshold(self, status: str | None, service: int | None) -> float | None:
        """Given an order's status and service, return how long it may sit unchanged
        before it counts as stalled, or None when that status never stalls."""
        # Plain loops over a few pairs: this runs for every open order.
        for sid, table in self.stall_after_service:
            if sid == service:
                for name, seconds in table:
                    if name == status:
                        return seconds
        for name, seconds in self.stall_after:
            if name == status:
                return seconds
        return None

    def cap(self, panel: str) -> Decimal:
        """Given a panel name, return its daily spending cap for automatic orders."""
        return dict(self.daily_cap_panels).get(panel, self.daily_cap)

    def cap_currency(self, panel: str) -> tuple[str | None, str]:
        """Given a panel name, return its daily cap's currency (None: the
        panel's own) and the setting naming it, for a hold's reason: the
        panel's entry in daily_cap_currency_panels ("": its own money, None),
        else daily_cap_currency."""
        for name, code in self.daily_cap_currency_panels:
            if name == panel:
                return code or None, f"automation.daily_cap_currency_panels.{name}"
        return self.daily_cap_currency, "automation.daily_cap_currency"

    def reorders_service(self, service: int | None) -> bool:
        """Return True when Partial orders of ``service`` may be re-ordered."""
        if service is None:
            return False
        return not self.reorder_services or service in self.reorder_services


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
    automation: AutomationConfig = AutomationConfig()
    # The files it names but the database (key_file, the alert URL files,
    # refill.command): (what the file is, its path), for `backup` to refuse.
    files: tuple[tuple[str, Path], ...] = field(default=(), repr=False)

    def panel(self, name: str | None = None) -> PanelConfig:
        """Given a panel name (or None when only one is configured), return its config.

        Raise PanelChoiceError (a ConfigError) if the name is unknown, or if it
        is None and several panels are configured.
        """
        names = ", ".join(p.name for p in self.panels)
        if name is None:
            if len(self.panels) == 1:
                return self.panels[0]
            raise PanelChoiceError([f"several panels are configured ({names}): pass --panel NAME"])
        for panel in self.panels:
            if panel.name == name:
                return panel
        raise PanelChoiceError([f"no panel named {said(name)} (configured: {names})"])

    def index(self, name: str) -> int:
        """Given a configured panel's name, return N of its ``panels[N]``: how
        a fix said to the user names its table in the file."""
        return [p.name for p in self.panels].index(name)

    def balance_low(self, panel: PanelConfig) -> Decimal:
        """Given a panel, return its low-balance threshold (0 = no alert)."""
        return self.balance.low if panel.balance_low is None else panel.balance_low
