"""The ``automation`` command: what the automation did, what it skipped and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from tracker.cli import pruned
from tracker.cli.bounds import POSITIVE
from tracker.cli.main import (
    Context,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.output import OneWrite
from tracker.cli.panels import read_panel
from tracker.cli.render import CELL_WIDTH, cut_text, safe_text, table, to_json
from tracker.cli.screen import MINUTE, Columns, fitted, moments, stderr_screen, stdout_screen
from tracker.cli.since import since_start, since_text
from tracker.cli.unreadable import Unreadable, action
from tracker.clock import iso, utcnow
from tracker.config.durations import format_duration
from tracker.config.model import AutomationConfig
from tracker.rules.money import currency_key, currency_shown, money
from tracker.rules.reorder_costs import counts_toward, day_start, not_counted
from tracker.store.alerts import currency_at, latest_balance
from tracker.store.automation import actions, skips
from tracker.store.automation_spend import (
    currency_hold,
    spent_by_currency,
    spent_since,
    spent_toward,
)
from tracker.store.orders import Store
from tracker.store.typed import ACTION_NUMBERS
from tracker.store.watch_listing import stalled_orders

ACTION_COLUMNS = [
    "at",
    "panel",
    "action",
    "order_id",
    "new_order_id",
    "quantity",
    "estimated_cost",
    "status",
    "dry",
    "why",
]
ACTION_HEADERS = ["AT", "PANEL", "ACTION", "ORDER", "NEW", "QTY", "COST", "STATUS", "DRY", "WHY"]
SKIP_COLUMNS = ["last_at", "panel", "action", "order_id", "reason", "times"]
SKIP_HEADERS = ["LAST", "PANEL", "ACTION", "ORDER", "REASON", "TIMES"]
# On a terminal: WHY and REASON (up to 110 characters) wrapped whole, beside
# the row or under it, REASON moved last for that; a long panel name broken
# after its '-' when the table would not fit otherwise.
# CUR beside COST, as orders' beside CHARGE: one currency said once in the
# header (COST USD); piped, the columns as ever, a cost in another named.
ACTION_SCREEN = Columns(
    times={"at": MINUTE}, wrap="why", units={"currency": "estimated_cost"}, names=("panel",)
)
_ACTION_ON_SCREEN = [*ACTION_COLUMNS[:7], "currency", *ACTION_COLUMNS[7:]]
_ACTION_HEADS_ON_SCREEN = [*ACTION_HEADERS[:7], "CUR", *ACTION_HEADERS[7:]]
SKIP_SCREEN = Columns(times={"last_at": MINUTE}, wrap="reason", names=("panel",))
_SKIP_ON_SCREEN = [*(c for c in SKIP_COLUMNS if c != "reason"), "reason"]
_SKIP_HEADS_ON_SCREEN = [*(h for h in SKIP_HEADERS if h != "REASON"), "REASON"]


_ACTIONS = ("automation_actions", ACTION_NUMBERS, action)  # what `told` reads of an action


def settings(config: AutomationConfig) -> dict[str, Any]:
    """Given the ``[automation]`` config, return what is switched on, for people."""
    return {
        "dry_run": config.dry_run,
        "every": format_duration(config.every),
        "stalls": config.stalls,
        "stall_after": {status: format_duration(s) for status, s in config.stall_after},
        "eta_overdue": config.eta_overdue,
        "stall_after_service": {
            str(service): {status: format_duration(s) for status, s in table}
            for service, table in config.stall_after_service
        },
        "reorder": config.reorder,
        "reorder_services": list(config.reorder_services) or "all",
        "reorder_within": format_duration(config.reorder_within),
        "reorder_step": config.reorder_step,
        "reorder_round": config.reorder_round,
        "reorder_below_min": config.reorder_below_min,
        "cancel_pending": config.cancel_pending,
        "cancel_pending_after": format_duration(config.cancel_pending_after),
        # Numbers, as every money field of --json (issue 10).
        "daily_cap": float(config.daily_cap),
        "daily_cap_panels": {panel: float(cap) for panel, cap in config.daily_cap_panels},
        "daily_cap_currency": config.daily_cap_currency,  # null: each panel's own
        # null: that panel's own money ("" in the config), as daily_cap_currency's
        "daily_cap_currency_panels": {p: c or None for p, c in config.daily_cap_currency_panels},
    }


def _spend(
    store: Store, auto: AutomationConfig, name: str, now: datetime, url: str | None
) -> dict[str, Any]:
    """Return a panel's spend against its daily cap today, for ``spend``
    (``url``: its URL now; None, a panel no longer configured)."""
    today = day_start(now)
    currency, setting = auto.cap_currency(name)  # its entry in daily_cap_currency_panels first
    hold = None
    if auto.reorder:  # url: balance learned missing at another URL is not missing now
        hold = currency_hold(store, name, currency, now, setting=setting, url=url)
    return {
        "panel": name,
        "day": today.date().isoformat(),
        "spent": float(spent_since(store, name, today, dry_run=auto.dry_run)),
        # What the cap counts of it: spent in the cap's currency (or in none named).
        "counted": float(spent_toward(store, name, today, currency, dry_run=auto.dry_run)),
        # Its parts by the currency the balance named when each was recorded
        # (null: none named yet): after a change, not all in "currency".
        "spent_in": [
            {"currency": currency, "spent": float(part)}
            for currency, part in spent_by_currency(store, name, today, dry_run=auto.dry_run)
        ],
        "cap": float(auto.cap(name)),
        # The currency of its last balance (what the cap is in when cap_currency is null).
        "currency": (latest_balance(store, name) or {}).get("currency"),
        "cap_currency": currency,
        # Why its re-orders are held for the cap's currency (null: they are not),
        # and when the hold ends by itself (null: when a balance names the cap's).
        "held": hold.reason if hold else None,
        "held_until": iso(hold.until) if hold and hold.until else None,
        "dry_run": auto.dry_run,
    }


def _spent(spend: dict[str, Any]) -> tuple[str, list[str]]:
    """Given a panel's ``spend``, return what its cap counts (in the currency
    the cap is labelled with), and the parts spent in other currencies,
    which it does not count (["0.27 EUR"]; [] when none): never a figure in
    one currency labelled with another's."""
    label = spend["cap_currency"] or spend["currency"]
    other = [p for p in spend["spent_in"] if not counts_toward(p["currency"], label)]
    shown = [f"{money(p['spent'])}{_KEPT}{safe_text(currency_shown(p['currency']))}" for p in other]
    return money(spend["counted"]), shown


_KEPT = "\u00a0"  # a no-break space: words a wrap keeps together on a terminal


def _summary(config: AutomationConfig) -> str:
    """Return the first line, what is switched on; the words of "(after 1m)"
    and of the dry run's tag joined by :data:`_KEPT`, for a wrap to keep
    them on one line (the caller puts spaces back)."""

    def on(flag: bool) -> str:
        return "on" if flag else "off"

    after = format_duration(config.cancel_pending_after)
    parts = [
        f"stall alerts {on(config.stalls)}",
        f"re-order Partial {on(config.reorder)}",
        f"cancel stale Pending {on(config.cancel_pending)}"
        + (f" (after{_KEPT}{after})" if config.cancel_pending else ""),
    ]
    dry = f"  [DRY{_KEPT}RUN:{_KEPT}nothing{_KEPT}is{_KEPT}sent]" if config.dry_run else ""
    return "automation: " + ", ".join(parts) + dry


@main.command()
@click.option(
    "--since", metavar="DURATION", help="Only actions and skips this recent (24h, 7d, 2w)."
)
@click.option("--panel", metavar="NAME", help="Only this panel.")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=POSITIVE,
    help="At most this many actions, and as many skipped orders (the newest ones), in --json too.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
@handle_errors
def automation(
    ctx: Context, since: str | None, panel: str | None, limit: int, as_json: bool
) -> None:
    """Show what the automation did and skipped, spend against the cap, stalls.

    Actions (re-orders, cancels, dry runs) newest first, the orders skipped
    with their latest reason, today's estimated spend per panel, and the
    orders stalled now.
    """
    start = since_start(since)
    config = ctx.config(keys=False)
    auto = config.automation
    # --panel: configured, or with orders in the database (left out of the config).
    named, store = read_panel(config, panel)
    names = [named] if named else [p.name for p in config.panels]
    now = utcnow()
    urls = {p.name: p.url for p in config.panels}  # balance learned missing at another: none now
    spend = [_spend(store, auto, name, now, urls.get(name)) for name in names]
    name = names[0] if panel else None
    told = Unreadable()  # a number edited to text: null, its row named once
    done = list(told.numbers(actions(store, panel=name, since=start, limit=limit), *_ACTIONS))
    skipped = skips(store, panel=name, since=start, limit=limit)
    stalled = list(told.orders(stalled_orders(store, panel=name)))
    cut = pruned.reached(store, name, start) if start is not None else None  # --since's window
    for row in done:  # what its cost is in: the balance's currency then (null: none named)
        costed = row["estimated_cost"] is not None  # as stored since m045 (a balance pruned since)
        then = row.get("currency") or currency_at(store, row["panel"], row["at"])
        row["currency"] = then if costed else None
    if as_json:
        from tracker.cli.listing import with_untracked
        from tracker.store.children import with_children

        # Each stalled order as `orders --stalled --json` gives it: untracked, lost, children.
        stalled = list(with_children(store, with_untracked(stalled)))
        click.echo(
            to_json(
                {
                    "settings": settings(auto),
                    "spend": spend,
                    "actions": done,
                    "skipped": skipped,
                    "stalled": stalled,
                    "pruned": pruned.field(cut),
                }
            )
        )
        return
    screen, notes = stdout_screen(), stderr_screen()  # notes: on stderr, wrapped on a terminal
    said = OneWrite()  # stdout in one write (`automation | head -1` ends 0), notes in place
    said(fitted(_summary(auto), screen).replace(_KEPT, " "))
    if auto.reorder:
        for s in spend:
            dry = " (dry run)" if s["dry_run"] else ""
            (spent, other), cap = _spent(s), money(s["cap"])
            currency = s["cap_currency"] or s["currency"]
            # Whole (a label in the config may be 40 characters: "руб.", "US Dollar"),
            # its words kept on one line when a terminal wraps the line.
            unit = f" {safe_text(currency_shown(currency))}".replace(" ", _KEPT) if currency else ""
            line = f"{s['panel']}: re-orders today{dry}: {spent} of cap {cap}{unit}"
            if other:  # spent before a change of currency: not this cap's money
                line += f" ({not_counted(other)})"
            if s["held"]:  # on a terminal, its end "Dec 07 10:00 UTC"
                line += f"; held: {safe_text(moments(s['held'], screen))}"
            said(fitted(line, screen).replace(_KEPT, " "))
    if done:
        said("")
        labels = {s["panel"]: s["cap_currency"] or s["currency"] for s in spend}
        # Panels in two currencies listed together (USD and RUB): every cost
        # names its own, as orders' CUR does, never 0.60 beside 0.60 unsaid.
        mixed = len({currency_key(row["currency"]) for row in done} - {None}) > 1
        for row in done:
            row["dry"] = "yes" if row["dry_run"] else ""
            error = row["error"]  # the panel's words: piped, cut as ever (a reason: ours, whole)
            if error and screen is None:  # escaped by the table, once
                error = cut_text(str(error), CELL_WIDTH)
            row["why"] = error or row["reason"]
            cost = row["estimated_cost"]
            row["estimated_cost"] = money(cost) if cost is not None else None  # never 4e-05
            # Spent in another currency than the cap's (a change since): named, as spend is.
            spent_in = row["currency"]
            not_caps = not counts_toward(spent_in, labels.get(row["panel"]))
            if spent_in is not None and cost is not None and (mixed or not_caps) and not screen:
                row["estimated_cost"] += f" {currency_shown(spent_in)}"  # escaped by the table
        # Piped, WHY whole as a skip's REASON ("..., raised to the service's min of 100").
        columns, heads = (
            (ACTION_COLUMNS, ACTION_HEADERS)
            if screen is None
            else (_ACTION_ON_SCREEN, _ACTION_HEADS_ON_SCREEN)
        )
        shown = table(done, columns, heads, screen=screen, spec=ACTION_SCREEN, uncut=("why",))
        said(shown)
    else:
        none = "no actions taken" + (f" in the last {since_text(since)}" if since else "")
        said.note(fitted(none, notes))
    if skipped:
        said("\nskipped:")
        if screen is None:  # for scripts: the columns as ever, each reason whole
            said(table(skipped, SKIP_COLUMNS, SKIP_HEADERS, uncut=("reason",)))
        else:
            for row in skipped:  # a hold's end "Dec 07 10:00 UTC", as the line above
                row["reason"] = moments(row["reason"], screen)
            shown = table(
                skipped, _SKIP_ON_SCREEN, _SKIP_HEADS_ON_SCREEN, screen=screen, spec=SKIP_SCREEN
            )
            said(shown)
    if stalled:
        ids = ", ".join(f"{r['panel']} #{r['order_id']}" for r in stalled[:10])
        more = f" and {len(stalled) - 10} more" if len(stalled) > 10 else ""
        said("\n" + fitted(f"stalled now: {len(stalled)} ({ids}{more})", screen))
        said(fitted("(smm-tracker orders --stalled lists them)", screen))
    said.out()
    pruned.note(cut, screen=notes)
