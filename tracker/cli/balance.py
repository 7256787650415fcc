"""The ``balance`` command: each panel's last balance, its recent history and the runway."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from tracker.cli import pruned
from tracker.cli.balance_fields import no_balance_yet, panel_balance, window_start
from tracker.cli.checks_note import who_fetches
from tracker.cli.database import database_option
from tracker.cli.listing import NOT_ANSWERING, key_places, not_answering_words
from tracker.cli.listing import calls_failed as _calls_failed
from tracker.cli.main import (
    Context,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.output import OneWrite
from tracker.cli.panels import panel_names, read_panel
from tracker.cli.render import CELL_WIDTH, safe_text, table, to_json
from tracker.cli.screen import MINUTE, Columns, Screen, fitted, moment, stderr_screen, stdout_screen
from tracker.cli.unit_notes import refused_key_fix  # the unit files: read if it is said
from tracker.cli.unreadable import Unreadable
from tracker.config.model import Config
from tracker.panel.urls import shown_url
from tracker.rules.balance import (
    not_yet_recovered,
    runway_value,
)
from tracker.rules.capabilities import BALANCE, no_balance
from tracker.rules.money import currency_shown, money, same_currency
from tracker.store.capabilities import learned_where, unsupported_here
from tracker.store.listing import failing_calls, failing_panels, not_answering

SHOWN_HISTORY = 8  # balance checks listed per panel in text output; --json has the day


# A terminal's: the currency said once in BALANCE's header, or per row (a
# panel that changed it); piped, as scripts have read it: the panel's line says it.
_CHECKS = (["at", "balance", "currency"], ["CHECKED", "BALANCE", "CUR"])
_CHECKS_SPEC = Columns(times={"at": MINUTE}, units={"currency": "balance"})
_PIPED_CHECKS = (["at", "balance"], ["CHECKED", "BALANCE"])


def _state(
    info: dict[str, Any],
    screen: Screen | None = None,
    no_config: bool = False,
    off: str = "balance.low",
) -> str:
    """The ``state:`` line's words; ``off``: the setting whose 0 leaves the
    panel without a low-balance alert (its own ``panels[N].balance_low``
    when it sets one, which overrides ``balance.low``)."""
    if info["low"] is None and not info.get("configured", True):  # --database and no config: none
        why = "no config read: no threshold" if no_config else "the panel is not in the config"
        return f"no low-balance alert ({why})"
    if info["low"] is None:
        return f"no low-balance alert ({off} = 0: set it above 0 to be alerted below it)"
    # The episode is judged at each balance check: a threshold set since the
    # last one (a reload) is not applied to it yet, and "ok" read as no alert to come.
    balance, low = Decimal(str(info["balance"])), Decimal(str(info["low"]))
    # The threshold is in the panel's money, as balance_low says it: "below 990.00 RUB".
    unit = f" {safe_text(currency_shown(info['currency']))}" if info["currency"] else ""
    if info["low_since"]:
        above = f"{money(Decimal(str(info['recover_above'])))}{unit}"
        since = moment(info["low_since"], screen)
        recover_at = Decimal(str(info["recover_above"]))
        if balance > recover_at:
            return f"LOW since {since} (above {above} now: recovers at the next balance check)"
        band = not_yet_recovered(balance, low, recover_at, unit)
        if band is not None:  # above the threshold, the episode open: said so, not "low"
            return f"LOW since {since} (now {band})"
        return f"LOW since {since} (recovers above {above})"
    if balance < low:
        return (
            f"below {money(low)}{unit}, no alert yet: balance_low comes at the next balance check"
        )
    return f"ok (alert below {money(low)}{unit})"


def _low_key(config: Config, name: str) -> str:
    """The setting that sets panel ``name``'s low-balance threshold: its own
    ``panels[N].balance_low`` when it has one, else ``balance.low``."""
    for index, panel in enumerate(config.panels):
        if panel.name == name and panel.balance_low is not None:
            return f"panels[{index}].balance_low"
    return "balance.low"


def _learned_at(row: dict[str, Any], config: Config) -> str:
    """Where a row of a panel not in the config (``--database`` without one)
    was learned (:func:`~tracker.store.capabilities.learned_where`), read
    beside the balances of every URL the panel had."""
    return learned_where(row, [p.name for p in config.panels])


def _with_unit(row: dict[str, Any], currency: str | None) -> dict[str, Any]:
    """A check's balance and its currency (the last check's when it gave none)."""
    return {
        "at": row["at"],
        "balance": money(row["balance"]),
        "currency": row["currency"] or currency,
    }


def _amount(row: dict[str, Any], currency: str | None) -> str:
    """A check's balance, with its currency when not the last check's (a panel
    that changed currency: 5000.00 RUB above 6.00 USD read as one currency)."""
    if row["currency"] and not same_currency(row["currency"], currency):
        return f"{money(row['balance'])} {row['currency']}"  # escaped (and cut) by the table
    return money(row["balance"])


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--panel", metavar="NAME", help="Only this panel.")
@database_option
@pass_ctx
@handle_errors
def balance(ctx: Context, as_json: bool, panel: str | None, database: Path | None) -> None:
    """Show each panel's last balance, its recent history and the runway to zero."""
    config = ctx.config(keys=False, database=database)
    # --panel: configured, or with orders in the database (left out of the config).
    name, store = read_panel(config, panel)
    names = [name] if name else panel_names(config, store, named=database is not None)
    garbled = Unreadable().balances(store, names)  # a balance edited to text: left out, named once
    found = {name: panel_balance(store, config, name) for name in names}
    # Its history is the day before its last check: a prune's cutoff after that, cut.
    cuts = {
        name: pruned.reached(store, name, window_start(info))
        for name, info in found.items()
        if info
    }
    # Panels learned to have no balance action: what the daemon fetches none of.
    lacking = {
        row["panel"]: row
        for row in unsupported_here(store, {p.name: p.url for p in config.panels}, name)
        if row["action"] == BALANCE and row["panel"] in found
    }
    failing_now = failing_panels(store, name)
    # Every call failing, the unreachable episode not open yet: said too.
    calls_failing = {
        panel: run
        for panel, run in failing_calls(store, name).items()
        if failing_now.get(panel, ("",))[0] not in NOT_ANSWERING
    }
    episodes = not_answering(store, name)
    keys = key_places(config, failing_now)  # a refused key: where to fix it, as orders says
    if as_json:
        # Every panel listed, one with no balance yet too (its figures null,
        # why_no_balance says why), as the text's note says it: a script
        # iterating the panels misses none.
        listed = [
            {
                **(info or no_balance_yet(config, name, name in lacking, name in garbled)),
                "pruned": pruned.field(cuts.get(name)),
                **_failing_fields(calls_failing, name),
                **_episode_fields(episodes, name),
            }
            for name, info in found.items()
        ]
        missing = [
            {
                "panel": r["panel"],
                "learned_at": r["learned_at"],
                "answer": r["evidence"],
                # Learned at (credentials as ***, stored so); null: before m039.
                "url": shown_url(r["url"]) if r["url"] is not None else None,
            }
            for r in lacking.values()
        ]
        runs = [{"panel": p, **_failing_fields(calls_failing, p)} for p in calls_failing]
        # A panel with no balance fetched yet included, as the text's note says it.
        silent = [{"panel": p, **_episode_fields(episodes, p)} for p in episodes if p in found]
        click.echo(
            to_json(
                {
                    "panels": listed,
                    "no_balance_action": missing,
                    "calls_failing": runs,
                    "not_answering": silent,
                }
            )
        )
        return
    screen, notes = stdout_screen(), stderr_screen()  # notes: on stderr, wrapped on a terminal
    lines = OneWrite()  # stdout in one write (`balance | head -1` ends 0), notes in their place
    for name, info in found.items():
        if name in lacking:  # its last balance, if any, is from before: said so
            row = lacking[name]
            said = no_balance(moment(row["learned_at"], screen), row["evidence"])
            lines.note(fitted(safe_text(f"{name}{_learned_at(row, config)} {said}"), notes))
        if info is None and name in lacking:
            continue
        if info is None:
            # On stderr, like every "nothing to list" note; --json: its figures null.
            kind, since = failing_now.get(name, ("", ""))
            why = who_fetches(config, name, database is not None)  # as its lock file says
            if kind in NOT_ANSWERING:  # no schedule fetches it while the key is refused
                said, first = not_answering_words(kind, since, episodes.get(name, {}), screen)
                why = f"{said}; {first}{_fix(kind, name, keys, config.database.path)}"
            elif name in calls_failing:  # before the daemon calls the panel unreachable
                why = f"{_calls_failed(calls_failing[name], screen)}; smm-tracker doctor says why"
            none = "no readable balance stored" if name in garbled else "no balance fetched yet"
            lines.note(fitted(safe_text(f"{name}: {none} ({why})"), notes))
            continue
        currency = f" {info['currency']}" if info["currency"] else ""
        amount = safe_text(f"{money(info['balance'])}{currency}", CELL_WIDTH)
        lines(fitted(f"{name}: {amount}  (checked {moment(info['at'], screen)})", screen))
        state = _state(info, screen, config.path is None, _low_key(config, name))
        lines(fitted(f"  state:  {state}", screen, 10))
        runway = safe_text(runway_value(info["runway"]["text"]))  # "runway: unknown (...)"
        lines(fitted(f"  runway: {runway}", screen, 10))
        checks = info["history"][-SHOWN_HISTORY:]
        if screen is None:
            recent = [{"at": r["at"], "balance": _amount(r, info["currency"])} for r in checks]
            shown = table(recent, *_PIPED_CHECKS)
        else:  # its currency in the header, as a charge's ("BALANCE USD")
            recent = [_with_unit(r, info["currency"]) for r in checks]
            shown = table(recent, *_CHECKS, screen=screen, spec=_CHECKS_SPEC)
        lines("\n".join("  " + line for line in shown.splitlines()))
        if cuts[name] is not None:  # its note after its lines
            lines.out()
        pruned.note(cuts[name], name, notes)
    lines.out()
    if not found:  # --database alone, a file with no panel's order or balance: said
        note = f"no balance fetched yet: {config.database.path} holds no panel's balance"
        click.echo(fitted(note, notes), err=True)
    for failing, (kind, since) in failing_now.items():
        if found.get(failing) and kind in NOT_ANSWERING:  # status_failing: polls only
            why, first = not_answering_words(kind, since, episodes.get(failing, {}), screen)
            why = f"{why}: its balance is the last it gave"
            said = safe_text(
                f"({failing}: {why}; {first}{_fix(kind, failing, keys, config.database.path)})"
            )
            click.echo(fitted(said, notes), err=True)
    for failing, run in calls_failing.items():
        if found.get(failing):
            why = f"{_calls_failed(run, screen)}: its balance is the last it gave"
            said = safe_text(f"({failing}: {why}; smm-tracker doctor says why)")
            click.echo(fitted(said, notes), err=True)


def _fix(kind: str, name: str, keys: dict[str, str | None], database: Path) -> str:
    """What a note of a panel not answering ends with: for a refused key
    (``auth_failed``, named first when every call fails too), what fixes it,
    the key where the config sets it, then what has the daemon running on
    ``database`` take it, as ``orders`` and ``doctor`` say it; else, or for
    a panel the config leaves out, where to read why."""
    if kind == "auth_failed" and name in keys:
        return refused_key_fix(keys[name], database)
    return "smm-tracker doctor says why"


def _failing_fields(calls_failing: dict[str, tuple[str, str]], name: str) -> dict[str, Any]:
    """--json's facts of a panel's run of failed calls, the unreachable
    episode not open yet: its start and its last failed call (None: none)."""
    since, last = calls_failing.get(name, (None, None))
    return {"calls_failing_since": since, "last_failed_call_at": last}


# --json's field of each episode that stops a panel answering, open now.
_EPISODE_FIELDS = {"panel_unreachable": "unreachable_since", "auth_failed": "key_refused_since"}


def _episode_fields(episodes: dict[str, dict[str, str | None]], name: str) -> dict[str, Any]:
    """--json's facts of a panel not answering now: since when every call has
    failed (``unreachable_since``) and its key is refused (``key_refused_since``),
    each None when that episode is not open."""
    open_now = episodes.get(name, {})
    return {field: open_now.get(kind) for kind, field in _EPISODE_FIELDS.items()}
