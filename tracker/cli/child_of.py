"""An order ID the tracker does not track but knows as a child order of one
it does (a drip-feed's run, a subscription's post: each its own order on the
panel's website), given to a command that takes order IDs: which order it
belongs to and the command that acts on that one (:class:`Act`). `history
ID`: one line on stderr, exit 1 as for any order not tracked; ``--json``:
the same as data on stdout, `history --json`'s keys with ``order`` null and
``child_of`` added. `refill`, `refills --order`, `cancel`, `untrack`: the
same line, the command's exit for an ID not tracked, nothing sent; `track`:
tracked, a note (:func:`child_says`). `history` of a tracked child: a line
naming its order (:func:`parent_line`)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from tracker.cli.main import EXIT_FAILED, fail
from tracker.cli.render import to_json
from tracker.cli.store_open import open_store
from tracker.store.children import MAX_PARENTS, any_children, parents_of
from tracker.store.readings import panels_holding

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.store.orders import Store


class Act(NamedTuple):
    """A command acting on an order ID, as the line naming a child's order
    says it: ``smm-tracker {command} [options] {before}{parent}`` {does}."""

    command: str
    does: str
    before: str = ""  # what goes before the ID: "--order "


HISTORY = Act("history", "shows it")
REFILLS = Act("refills", "lists that order's refill requests", "--order ")
REFILL = Act("refill", "requests that order's refill")
CANCEL = Act("cancel", "cancels that whole order")
UNTRACK = Act("untrack", "stops tracking that order")


def tell_parent(
    store: Store,
    order_id: int,
    panel: str | None,
    named: Path | None,
    as_json: bool,
    act: Act = HISTORY,
    after: str = "",
) -> None:
    """Exit 1 saying which tracked order (orders) of ``panel`` (None: any)
    named ``order_id`` as a child order, if any did, and the command that
    does ``act`` to it, ``after`` ending the line; else return. ``named``:
    the file ``--database`` named, None for the config's."""
    parents = parents_of(store, order_id, panel)
    if not parents:
        return
    if as_json:
        none: dict[str, Any] = {"runs": None, "runs_said_at": None, "orders": []}
        shown: dict[str, Any] = {
            "order": None,
            "transitions": [],
            "next_refill": None,
            "cancels": [],
            "child_orders": none,
        }
        click.echo(to_json({**shown, "child_of": parents[:MAX_PARENTS]}))
    where = f" on {panel}" if panel else ""
    head = f"order {order_id} " + (f"is not in {named}" if named else "is not tracked") + where
    said = _each(store, parents, named, panel is not None, act)
    if len(parents) == 1:
        fail(f"{head}: it is {said[0][0]}; `{said[0][1]}` {act.does}{after}", EXIT_FAILED)
    more = ["and more"] if len(parents) > MAX_PARENTS else []
    lines = [f"{what}: `{command}`" for what, command in said[:MAX_PARENTS]]
    head += after
    fail(f"{head}: it is a child order of each of these tracked orders:", EXIT_FAILED, lines + more)


def child_says(
    store: Store, ids: list[int], panel: str | None, act: Act | None, given: bool = True
) -> list[str]:
    """Given order IDs (those a command found not tracked), return a line for
    each of the first MAX_PARENTS that a tracked order of ``panel`` (None:
    any) named as its child, "#7302 is run 2 of drip-feed order #7201 on
    main: `smm-tracker cancel 7201` cancels that whole order" (``act`` None:
    no command), then "and N more" where more were; ``--panel`` in the
    commands where ``panel`` was ``given``, or the order is on several."""
    given = given and panel is not None
    lines: list[str] = []
    found = 0
    for oid in ids:
        parents = parents_of(store, oid, panel)
        if not parents:
            continue
        found += 1
        if found > MAX_PARENTS:
            continue
        if len(parents) > 1:  # a panel's bug: `history` of the child lists them
            flag = f" --panel {shlex.quote(panel)}" if given and panel else ""
            lines.append(
                f"#{oid} is a child order of several tracked orders: "
                f"`smm-tracker history{flag} {oid}` lists them"
            )
            continue
        [(what, command)] = _each(store, parents, None, given, act or HISTORY)
        lines.append(f"#{oid} is {what}" + (f": `{command}` {act.does}" if act else ""))
    if found > MAX_PARENTS:
        lines.append(f"and {found - MAX_PARENTS} more")
    return lines


def parent_line(store: Store, panel: str, order_id: int, named: Path | None) -> str | None:
    """`history` of a tracked order that a tracked order of its panel named as
    its child: the line saying whose (``named``: the file --database named,
    in its command), None for any other order."""
    parents = parents_of(store, order_id, panel)
    if not parents:
        return None
    if len(parents) == 1:
        [(what, command)] = _each(store, parents, named, False, HISTORY)
        return f"{what}: `{command}` shows it"
    ids = ", ".join(f"#{p['order_id']}" for p in parents[:MAX_PARENTS])
    more = " and more" if len(parents) > MAX_PARENTS else ""
    return f"a child order of each of these tracked orders on {panel}: {ids}{more}"


def _each(
    store: Store, parents: list[dict[str, Any]], named: Path | None, given: bool, act: Act
) -> list[tuple[str, str]]:
    """Each parent's words and its command: ``--panel`` in it where the panel
    was ``given`` or the parent's ID is on several panels."""
    several = panels_holding(store, [p["order_id"] for p in parents])
    return [_said(p, named, given or len(several.get(p["order_id"], ())) > 1, act) for p in parents]


def _said(parent: dict[str, Any], named: Path | None, flag: object, act: Act) -> tuple[str, str]:
    """Given a parent as :func:`parents_of` returns it, the file --database
    named and whether to name its panel in the command, return what the child
    is of it and the command that does ``act`` to the parent."""
    on, number, oid = parent["panel"], parent["number"], parent["order_id"]
    if parent["drip_feed"]:
        what = f"run {number} of drip-feed order #{oid} on {on}"
    else:
        what = f"child order {number} of order #{oid} on {on} (a drip-feed or subscription order)"
    options = f" --database {shlex.quote(str(named))}" if named else ""
    options += f" --panel {shlex.quote(on)}" if flag else ""
    return what, f"smm-tracker {act.command}{options} {act.before}{oid}"


def refuse_children(config: Config, ids: list[int], panel: str | None) -> None:
    """`cancel`'s check: exit 1, nothing sent, when an ID the database does
    not hold (on ``panel``, if given) is a tracked order's child order: the
    run alone or its whole order, the user's to say; tracking it says it."""
    path = config.database.path
    if str(path) != ":memory:" and not path.exists():
        return  # no database: no order tracked, no child known
    store = open_store(config, read_only=True)
    if not any_children(store):  # `cancel -` of 10,000 IDs: one query more, not 20
        return
    held = panels_holding(store, ids)
    unheld = [oid for oid in ids if not held.get(oid) or (panel and panel not in held[oid])]
    alone = "; nothing sent (to cancel {} alone, track it first, then cancel it)"
    if unheld == ids[:1] == ids:
        tell_parent(store, ids[0], panel, None, False, CANCEL, alone.format("this one"))
    elif lines := child_says(store, unheld, panel, CANCEL):
        head = "not tracked, each a tracked order's child order" + alone.format("one")
        fail(f"{head}:", EXIT_FAILED, lines)
