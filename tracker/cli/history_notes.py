"""The lines `history ID` prints under an order's status changes: what
happened to it besides them. Its charge changed since the last status change
(a late refund: `orders` and `report` count the new figure, the table shows
the old), its refill and cancel requests, and what the automation did with it (a
re-order, a stale Pending cancel, or why it did not) or whose re-order it is;
and when its next automatic refill request will be, or why none will
(:mod:`tracker.cli.next_refill`). Reads only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracker.cli.next_refill import next_refill, next_refill_line
from tracker.cli.render import PANEL_WORDS, safe_text, with_reason
from tracker.cli.screen import Screen, fitted, moment, moments
from tracker.clock import utcnow
from tracker.config.model import Config
from tracker.rules.counts import counted
from tracker.rules.money import charge_or_none, currency_shown, money_or_none, same_currency
from tracker.rules.reorder_pace import placed_as
from tracker.store.alerts import currency_then
from tracker.store.orders import Store

CHILDREN_SHOWN = 50  # child order IDs on `history`'s line; --json has every one
CANCELS_SHOWN = 5  # cancel requests on `history`'s lines, the newest; --json has every one
# A cancel request's stored result (m011; tracker.panel.models' CANCEL_*).
ACCEPTED, REFUSED = "Accepted", "Refused"
CHECK = "check the panel"  # an unknown answer's, no words stored


def history_notes(
    store: Store,
    order: dict[str, Any],
    changes: list[dict[str, Any]],
    screen: Screen | None,
    config: Config,
    named: Path | None = None,
) -> list[str]:
    """Given an order as `orders --json` shows it, its stored status changes,
    the config (its ``[refill]``) and the file ``--database`` named, return
    the lines saying what else happened to it and when its next automatic
    refill request will be, fitted."""
    acted = store.rows(
        "SELECT * FROM automation_actions WHERE panel = ? AND order_id = ? ORDER BY id",
        [order["panel"], order["order_id"]],
    )
    cancels, folded = _cancels(store, order, screen, acted)
    lines = [
        *_charge(order_currency(store, order), order, changes),
        *_parent(store, order, named),
        *_children(store, order, screen),
        *_refills(store, order, screen),
        *cancels,
    ]
    upcoming = next_refill_line(store, config, order["panel"], order["order_id"], utcnow(), screen)
    lines += [upcoming] if upcoming else []
    lines += _automation(store, order, screen, [a for a in acted if a["id"] not in folded])
    return [fitted(line, screen) for line in lines]


def _parent(store: Store, order: dict[str, Any], named: Path | None) -> list[str]:
    """An order a tracked order of its panel named as its child order (a
    drip-feed's run tracked on its own): the line naming that order."""
    from tracker.cli.child_of import parent_line

    line = parent_line(store, order["panel"], order["order_id"], named)
    return [] if line is None else [safe_text(line)]


def next_refill_json(store: Store, order: dict[str, Any], config: Config) -> dict[str, Any] | None:
    """`history ID --json`'s ``next_refill``: the line above as data, its
    moments as stored (ISO); None where the line is not printed."""
    upcoming = next_refill(store, config, order["panel"], order["order_id"], utcnow(), None)
    return None if upcoming is None else upcoming.as_json()


def table_rows(store: Store, order: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    """Given an order and its stored status changes, make them the rows of
    `history`'s table: the status with the panel's words, the charge as
    money, and its ``currency`` as `orders`' CUR names the order's: the one
    stored with the change (m043), else the order's, else the panel's, as
    its balance named it then (none with no charge, or none known)."""
    for change in changes:
        change["to_status"] = with_reason(change["to_status"], change["raw_status"])
        change["currency"] = _change_currency(store, order, change)
        change["charge"] = charge_or_none(change["charge"])  # infinity: none, as `orders`


def with_currency_shown(store: Store, order: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    """`history ID --json`: give the order and each status change a
    ``currency_shown``, the currency the text names its charge in (the
    table's CUR, the ``charge now`` line's), beside ``currency`` as stored
    (null where the panel's answers named none)."""
    order["currency_shown"] = order_currency(store, order)
    for change in changes:
        change["currency_shown"] = _change_currency(store, order, change)


def _change_currency(store: Store, order: dict[str, Any], change: dict[str, Any]) -> str | None:
    """A stored status change's CUR: see :func:`table_rows`."""
    if charge_or_none(change["charge"]) is None:  # none, or infinity: no figure
        return None
    # 0.732 of a rouble panel's script that names none: RUB, from its balance.
    named = change["currency"] or order["currency"]
    return named or currency_then(store, order["panel"], change["at"])


def order_currency(store: Store, order: dict[str, Any]) -> str | None:
    """The currency `history` names an order's charge now in: its own, else,
    as the table's CUR, the panel's as its balance named it when the order
    was last updated (a script whose answers name none); None when it has
    no charge and names none, or none is known."""
    if order["currency"] or order["charge"] is None:
        return order["currency"]
    return currency_then(store, order["panel"], order.get("updated_at"))


def charge_cell(change: dict[str, Any], currency: str | None) -> str | None:
    """Given a stored status change and the order's currency now, return its
    CHARGE cell: the charge, with its currency when that is another (m043;
    NULL before: the order's, as it was read)."""
    charge = charge_or_none(change["charge"])
    if charge is None or not _elsewhere(change, currency):
        return charge
    return f"{charge} {safe_text(currency_shown(change['currency']))}"


def _elsewhere(change: dict[str, Any], currency: str | None) -> bool:
    """Whether a status change's charge was given in another currency than
    the order's now ("usd" is USD)."""
    return change.get("currency") is not None and not same_currency(change["currency"], currency)


def _charge(shown: str | None, order: dict[str, Any], changes: list[dict[str, Any]]) -> list[str]:
    # The transitions keep the charge of each status change; a refund or
    # re-price the panel made later (a late check) is the order's alone.
    # ``shown``: its currency as the table's CUR names it (order_currency).
    now = order["charge"]
    then = changes[-1]["charge"] if changes else None
    # A charge stored as infinity (0.1.0 kept a panel's "1e400" so) is none.
    if charge_or_none(now) is None and (was_shown := charge_or_none(then)) is not None:
        # The table's last figure is no charge now: `orders` shows "-" (text,
        # bytes, infinity, a hand edit's NULL), `report` counts it unknown.
        named = changes[-1].get("currency") or shown
        cur = f" {safe_text(currency_shown(named))}" if named else ""
        return [
            f"charge now - ({was_shown}{cur} at its last status change; the order's charge"
            " stored now is no figure: orders shows -, report counts it as unknown)"
        ]
    if (
        charge_or_none(now) is None
        or charge_or_none(then) is None
        or money_or_none(now) == money_or_none(then)
    ):
        return []
    currency = f" {safe_text(currency_shown(shown))}" if shown else ""
    if _elsewhere(changes[-1], order["currency"]):  # no refund: another currency
        return [
            f"charge now {money_or_none(now)}{currency} ({charge_cell(changes[-1], None)} at its"
            f" last status change: the panel gave it in another currency since; orders and"
            f" report count {money_or_none(now)}{currency})"
        ]
    was = "a refund" if now < then else "a higher charge"
    return [
        f"charge now {money_or_none(now)}{currency} ({money_or_none(then)} at its last status"
        f" change: {was} the panel made since; orders and report count"
        f" {money_or_none(now)})"
    ]


def _children(store: Store, order: dict[str, Any], screen: Screen | None) -> list[str]:
    """A drip-feed or subscription order's child orders, as its status answers
    named them (in the order first seen), and the runs the last such answer
    said; the first CHILDREN_SHOWN on the line, all of them in --json."""
    from tracker.store.children import children_of

    found = children_of(store, order["panel"], order["order_id"])
    lines = []
    if found["runs"] is not None:
        lines.append(
            f"runs: {found['runs']} (as the panel said {moment(found['runs_said_at'], screen)})"
        )
    if children := found["orders"]:
        named = ", ".join(f"#{child['order_id']}" for child in children[:CHILDREN_SHOWN])
        more = len(children) - CHILDREN_SHOWN
        if more > 0:
            named += f" and {more} more: smm-tracker history {order['order_id']} --json lists them"
        lines.append(f"child orders ({len(children)}): {named}")
    return lines


def _refills(store: Store, order: dict[str, Any], screen: Screen | None) -> list[str]:
    key = [order["panel"], order["order_id"]]
    asked = store.rows("SELECT COUNT(*) AS n FROM refills WHERE panel = ? AND order_id = ?", key)[
        0
    ]["n"]
    if not asked:
        return []
    newest = store.rows(
        "SELECT refill_id, status, requested_at FROM refills WHERE panel = ? AND order_id = ?"
        " ORDER BY id DESC LIMIT 1",
        key,
    )[0]
    refill = f"refill {safe_text(newest['refill_id'], 40)} " if newest["refill_id"] else ""
    return [
        f"refills: {asked} requested, the newest {refill}{safe_text(newest['status'], 80)}"
        f" (requested"
        f" {moment(newest['requested_at'], screen)}): smm-tracker refills --order"
        f" {order['order_id']}"
    ]


def cancels_json(store: Store, order: dict[str, Any]) -> list[dict[str, Any]]:
    """`history ID --json`'s ``cancels``: every cancel request of the order
    (`cancel` and the automation's), oldest first, as stored: requested_at,
    result (Accepted, Refused, Unknown) and error (the panel's words)."""
    # Read here, as tracker.store.cancels.cancels_of does: that module's
    # panel import is one `history` does without (tests/test_startup.py).
    return store.rows(
        "SELECT requested_at, result, error FROM cancels WHERE panel = ? AND order_id = ?"
        " ORDER BY id",
        [order["panel"], order["order_id"]],
    )


def _cancels(
    store: Store, order: dict[str, Any], screen: Screen | None, acted: list[dict[str, Any]]
) -> tuple[list[str], set[int]]:
    """Its cancel requests, newest CANCELS_SHOWN, oldest first: when asked,
    by the automation or not, and what the panel answered (its words when
    it refused or its answer is not known); and the IDs of the automation's
    cancel actions said so (one line each, not two)."""
    asked = cancels_json(store, order)
    # The automation's answered cancel: its action's updated_at is the
    # request's requested_at (one `now`, tracker.jobs.cancels).
    ours = {a["updated_at"]: a["id"] for a in acted if a["action"] == "cancel" and not a["dry_run"]}
    acted_reason = {a["id"]: a["reason"] for a in acted}
    folded = set()
    lines = []
    if len(asked) > CANCELS_SHOWN:
        earlier = len(asked) - CANCELS_SHOWN
        lines.append(
            f"{counted(earlier, 'earlier cancel request')}: smm-tracker history"
            f" {order['order_id']} --json lists them"
        )
    for cancel in asked[-CANCELS_SHOWN:]:
        error = cancel["error"]
        if cancel["result"] == ACCEPTED:
            said = "the panel accepted it"
        elif cancel["result"] == REFUSED:  # the panel's words
            said = f"the panel refused it{f': {safe_text(error, PANEL_WORDS)}' * bool(error)}"
        else:  # Unknown: no usable answer; the tracker's words after the panel's (a fix)
            said = f"its answer is not known: {safe_text(error, 200) if error else CHECK}"
        who = ""
        if (action := ours.pop(cancel["requested_at"], None)) is not None:
            folded.add(action)
            why = acted_reason.get(action)
            who = f" by the automation ({moments(safe_text(why, 80), screen)})" if why else ""
            who = who or " by the automation"
        lines.append(f"cancel requested {moment(cancel['requested_at'], screen)}{who}: {said}")
    return lines, folded


def _automation(
    store: Store, order: dict[str, Any], screen: Screen | None, acted: list[dict[str, Any]]
) -> list[str]:
    """What the automation did with it (``acted``: its actions not said among
    the cancel requests), or why it did not."""
    lines = []
    if order.get("parent_order_id") is not None:
        lines.append(f"placed by the automation: a re-order of #{order['parent_order_id']}")
    for action in acted:
        at = moment(action["at"], screen)
        if action["dry_run"]:
            what = "re-order" if action["action"] == "reorder" else action["action"]
            lines.append(f"dry run: the automation would {what} it ({at})")
        elif action["action"] == "reorder":
            new = f" as #{action['new_order_id']}" if action["new_order_id"] else ""
            error = f": {safe_text(action['error'], 200)}" if action["error"] else ""
            sent = placed_as(action["reason"])  # a drip-feed order's: its runs, or why none
            sent = f" ({safe_text(sent, 200)})" if sent else ""
            lines.append(
                f"re-order by the automation{new}, {action['quantity']} more{sent}:"
                f" {action['status']}{error} ({at})"
            )
        else:
            lines.append(
                f"the automation asked the panel to {action['action']} it:"
                f" {action['status']} ({at})"
            )
    skipped = store.rows(
        "SELECT action, reason, last_at, times FROM automation_skips"
        " WHERE panel = ? AND order_id = ? ORDER BY action",
        [order["panel"], order["order_id"]],
    )
    for skip in skipped:
        what = "re-ordered" if skip["action"] == "reorder" else f"{skip['action']}ed"
        reason = moments(skip["reason"], screen)  # a hold's end "Nov 02 13:00 UTC", as automation's
        lines.append(
            f"not {what} by the automation: {reason} (last judged"
            f" {moment(skip['last_at'], screen)}, {counted(skip['times'], 'time')};"
            " smm-tracker automation)"
        )
    return lines
