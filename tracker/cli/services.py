"""The services command: the panels' catalogue as last synced (or fetched first)."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.main import Context, fail, handle_errors, main, pass_ctx
from tracker.cli.order_args import listing_panel
from tracker.cli.render import safe_text, table, to_json
from tracker.cli.screen import (
    EMPTY,
    MINUTE,
    Columns,
    Screen,
    fitted,
    moment,
    stderr_screen,
    stdout_screen,
)
from tracker.cli.shield import tell_wait
from tracker.cli.stops import ending
from tracker.cli.store_open import open_store
from tracker.clock import utcnow
from tracker.config.durations import format_duration
from tracker.config.model import Config, RefillConfig
from tracker.errors import PanelError, StoreError
from tracker.jobs.learned import told_once_answered
from tracker.jobs.services import sync_services
from tracker.panel.client import PanelClient
from tracker.redact.scrub import register_secret
from tracker.rules.capabilities import services_note
from tracker.rules.catalogue import describe, what_is_kept
from tracker.rules.counts import counted
from tracker.rules.guarantees import LIFETIME, guarantee_cell, named_guarantee, window_of
from tracker.rules.money import money_or_none
from tracker.store.alerts import currency_then
from tracker.store.capabilities import learned_where, unsupported_here
from tracker.store.catalogue import conflicts, listed_none
from tracker.store.orders import Store
from tracker.store.refills import services as stored_services

_NOTES = 20  # ambiguous services noted one by one; a panel may list thousands twice
_SERVICE_COLUMNS = [
    "panel",
    "service",
    "name",
    "type",
    "refill",
    "cancel",
    "rate",
    "min",
    "max",
    "updated_at",
    "currency",
    "guarantee",
]
# Piped: each RATE's currency in a CUR column, as orders and history name a
# charge's, then each refill service's GUARANTEE: new last columns (a script
# reading RATE reads a number, as ever, and every column stays where it was).
_SERVICE_HEADERS = [c.upper() for c in _SERVICE_COLUMNS[:-3]] + ["SYNCED", "CUR", "GUARANTEE"]
# On a terminal: NAME (panels write 60 characters and more) last, with the
# type when not Default, wrapped whole: beside the figures, or under them;
# a long panel name broken after its '-' when the figures would not fit.
# CUR beside RATE, said once in its header when one currency (RATE USD).
_SCREEN_COLUMNS = [
    *("panel", "service", "guarantee", "cancel", "rate", "currency", "min", "max", "updated_at"),
    "named",
]
# REFILL: "no", or the window its orders get ("90d (R90)"): a column of its
# own, "-" beside each "no", would not fit 80 columns. RATE/1K: a rate is the
# price of 1000 (API v2's), "RATE USD 0.90" read as 0.90 each.
_SCREEN_HEADERS = [
    *("PANEL", "SERVICE", "REFILL", "CANCEL", "RATE/1K", "CUR", "MIN", "MAX", "SYNCED"),
    "NAME",
]
_ON_SCREEN = Columns(
    {"updated_at": MINUTE},
    wrap="named",
    units={"currency": "rate"},
    fold=("currency", "guarantee"),
    names=("panel",),
    # A wide RATE: "365d (lifetime)" and "60d (category)" folded in two in
    # REFILL; their words go to NAME instead, "(refill 365d: lifetime)".
    moves={"guarantee": "refill"},
)
DEFAULT_TYPE = "Default"  # API v2's type of an everyday service


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--refresh", is_flag=True, help="Fetch the list from the panel(s) first.")
@listing_panel
@pass_ctx
@handle_errors
def services(ctx: Context, as_json: bool, refresh: bool, panel: str | None) -> None:
    """List the panels' services as last synced, with their refill and cancel flags."""
    config = ctx.config(keys=refresh)
    name = config.panel(panel).name if panel else None
    try:
        store = open_store(config, read_only=not refresh)
    except StoreError as exc:  # none yet: --refresh makes one, said as a way out
        if exc.missing is None:
            raise
        also = "or fetch the catalogue: smm-tracker services --refresh"
        raise StoreError.no_database(exc.missing, also) from None
    failed, refreshed = _refresh(config, store, name) if refresh else ([], [])
    if failed and not refreshed:  # nothing new to list: the failure alone, as ever
        fail("; ".join(failed))
    _show(config, store, name, as_json, refreshed if refresh else None)
    if failed:  # the others' refreshed catalogues listed first (beta down: alpha's, rub's)
        fail("; ".join(failed))


def _show(
    config: Config, store: Store, name: str | None, as_json: bool, refreshed: list[str] | None
) -> None:
    """List the services stored (``refreshed``: the panels whose catalogue a
    --refresh fetched just now; None: no --refresh)."""
    rows = stored_services(store, name)
    screen, notes = stdout_screen(), stderr_screen()  # notes: on stderr, wrapped on a terminal
    urls = {p.name: p.url for p in config.panels}  # a row of another URL holds no more
    for row in unsupported_here(store, urls, name):
        learned = moment(row["learned_at"], screen)
        said = f"{row['panel']}{learned_where(row, urls)}"  # a panel left out: the URL
        note = f"note: {services_note(said, row['action'], learned, row['evidence'])}"
        click.echo(fitted(note, notes), err=True)
    ambiguous = {(c["panel"], c["service"]): c for c in conflicts(store, name)}
    for found in list(ambiguous.values())[:_NOTES]:
        click.echo(fitted(_ambiguity_note(found, screen), notes), err=True)
    if len(ambiguous) > _NOTES:
        more = counted(len(ambiguous) - _NOTES, "more service")
        note = (
            f"note: and {more} listed twice with different terms "
            "(the service_conflicts table has them all)"
        )
        click.echo(fitted(note, notes), err=True)
    empty = listed_none(store, name)  # panels whose last sync listed no service
    if as_json or rows:
        for panel_name, line in _listed_none(empty, {row["panel"] for row in rows}, screen):
            click.echo(fitted(f"note: {panel_name} listed no services {line}", notes), err=True)
    _rate_currencies(store, rows)
    _guarantees(config.refill, rows, short=screen is not None)
    if as_json:
        for row in rows:
            row["refill"], row["cancel"] = bool(row["refill"]), bool(row["cancel"])
            row["dripfeed"] = bool(row["dripfeed"])
            del row["guarantee"]  # the table's words: refill_window_s and _from say it
            conflict = ambiguous.get((row["panel"], row["service"]))
            row["ambiguous"] = conflict["differences"] if conflict else None
        click.echo(to_json(rows))
        return
    if not rows:
        told = [
            f"no services: {p} listed none {line}" for p, line in _listed_none(empty, set(), screen)
        ]
        unsynced = [p.name for p in config.panels if name in (None, p.name) and p.name not in empty]
        if told and unsynced:  # the others: never synced
            told.append(f"no services stored yet for {', '.join(unsynced)} ({_UNSYNCED})")
        if refreshed is not None:  # asked just now: every panel answering listed none
            told = [f"no services: {p} lists none: {_NONE_SEEN}" for p in refreshed]
        for note in told or [f"no services stored yet ({_UNSYNCED})"]:
            click.echo(fitted(note, notes), err=True)
        return
    # Each rate's currency in the CUR column, as orders names a charge's (USD
    # beside RUB: never 0.9 beside 0.9 unsaid); on a terminal one currency is
    # said once, in RATE's header.
    for row in rows:
        row["refill"] = "yes" if row["refill"] else "no"
        row["cancel"] = "yes" if row["cancel"] else "no"
        row["rate"] = money_or_none(row["rate"])  # 0.000012, 0.90: never 1.2e-05 (%.6g)
    if screen is None:  # for scripts: every column, as ever
        click.echo(table(rows, _SERVICE_COLUMNS, _SERVICE_HEADERS))
        return
    for row in rows:
        row["guarantee"] = row["refill"] if row["guarantee"] == EMPTY else row["guarantee"]
        kind = row["type"] if row["type"] not in (None, "", DEFAULT_TYPE) else None
        row["named"] = f"{row['name'] or '-'} (type: {kind})" if kind else row["name"]
    click.echo(table(rows, _SCREEN_COLUMNS, _SCREEN_HEADERS, screen=screen, spec=_ON_SCREEN))


def _guarantees(refill: RefillConfig, rows: list[dict[str, Any]], short: bool = False) -> None:
    """Give each service row with refill the window its orders get, as the
    refill round reads it (:func:`window_of`): ``refill_window_s`` (seconds)
    and ``refill_window_from`` ("R90 in the service's name", "refill.window"),
    and ``guarantee``, the table's cell ("90d (R90)", "365d (lifetime)",
    "30d": refill.window); a row without refill: None, and "-". ``short``
    (a terminal's REFILL column): words of more than one ("Refill 30 days",
    wrapped inside its cell at 80 columns) said as where they were read,
    "30d (name)", "60d (category)": the NAME beside it shows them, piped
    GUARANTEE and --json's refill_window_from say them."""
    for row in rows:
        if not row["refill"]:
            row["refill_window_s"] = row["refill_window_from"] = None
            row["guarantee"] = EMPTY
            continue
        said = named_guarantee(row["name"], row["category"])
        window = window_of(said, refill)
        row["refill_window_s"], row["refill_window_from"] = round(window.seconds), window.source
        row["guarantee"] = guarantee_cell(window, said)
        worded = said is not None and " " in said.said and said.kind != LIFETIME
        if short and worded and said is not None and window.source != "refill.window":
            where = "category" if said.where == "category" else "name"
            row["guarantee"] = f"{format_duration(window.seconds)} ({where})"


def _rate_currencies(store: Store, rows: list[dict[str, Any]]) -> None:
    """Give each service row its ``currency``: the one the panel's balance
    named when the service was synced (its rates are in the panel's money),
    else its latest balance's; None when no balance named one."""
    found: dict[tuple[str, str], str | None] = {}
    for row in rows:
        panel, synced = row["panel"], row["updated_at"]
        if (panel, synced) not in found:
            found[panel, synced] = currency_then(store, panel, synced)
        row["currency"] = found[panel, synced]


_UNSYNCED = "the daemon syncs them; or pass --refresh"
_NONE_SEEN = "its catalogue is empty, or its API key sees no services"


def _listed_none(
    empty: dict[str, dict[str, Any]], held: set[str], screen: Screen | None
) -> list[tuple[str, str]]:
    """Given the panels whose last sync listed no service (``listed_none``)
    and those with services stored, return (panel, "at its last sync ...")
    for each of the first: an empty catalogue, or a key that sees none, is no
    catalogue never synced; its services stored, if any, it listed before."""
    lines = []
    for panel, when in empty.items():
        last, since = moment(when["last"], screen), moment(when["since"], screen)
        # As shown: on a terminal, two syncs in one minute read "(10:51 UTC,
        # and at every sync since 10:51 UTC)".
        every = "" if since == last else f", and at every sync since {since}"
        kept = "the services shown are those it listed before" if panel in held else _NONE_SEEN
        lines.append((panel, f"at its last sync ({last}{every}): {kept}"))
    return lines


def _ambiguity_note(conflict: dict[str, Any], screen: Screen | None = None) -> str:
    """Given a ``service_conflicts`` row, return the note ``services`` prints;
    on a ``screen`` (a terminal) its times short ("since 15:44 UTC")."""
    said = safe_text(describe(conflict["differences"]), 300)
    stored = conflict["stored_at"]
    kept = what_is_kept(moment(stored, screen) if stored else stored)
    return (
        f"note: {conflict['panel']} lists service {conflict['service']} "
        f"{conflict['listings']} times with different terms ({said}) since "
        f"{moment(conflict['first_seen_at'], screen)}: {kept}"
    )


def _refresh(config: Config, store: Store, only: str | None) -> tuple[list[str], list[str]]:
    """Fetch the catalogue of each panel (``only``: that one); return the
    failures, each in one line, and the panels refreshed."""
    failed: list[str] = []
    refreshed: list[str] = []  # said when a stop ends the refresh: what was, what not
    for panel in config.panels:
        if only is not None and panel.name != only:
            continue
        register_secret(panel.key.reveal())
        client = PanelClient(panel, on_wait=tell_wait)  # a rate limit's wait: said
        # No balance: a refusal's witness is services; another key's rows: forgotten once answered.
        answered = told_once_answered(store, client, utcnow())
        try:
            sync_services(store, client, utcnow)  # one write: stored whole or not at all
            answered()
            refreshed.append(panel.name)
        except PanelError as exc:
            failed.append(str(exc))
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (tracker.cli.stops)
            said, code = ending(exc)
            done = f"refreshed on {', '.join(refreshed)}, " if refreshed else ""
            fail(f"{said}: services {done}not refreshed on {panel.name}", code)
        finally:
            client.close()
    return failed, refreshed
