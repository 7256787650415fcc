"""`history ID` of an ID the tracker does not track but knows as a child
order of one it does (a drip-feed's run, a subscription's post: each its own
order on the panel's website): which order it belongs to, one line on
stderr, exit 1 as for any order not tracked; ``--json``: the same as data on
stdout, `history --json`'s keys with ``order`` null and ``child_of`` added."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.main import EXIT_FAILED, fail
from tracker.cli.render import to_json
from tracker.store.children import MAX_PARENTS, parents_of
from tracker.store.readings import panels_holding

if TYPE_CHECKING:
    from tracker.store.orders import Store


def tell_parent(
    store: Store, order_id: int, panel: str | None, named: Path | None, as_json: bool
) -> None:
    """Exit 1 saying which tracked order (orders) of ``panel`` (None: any)
    named ``order_id`` as a child order, if any did; else return. ``named``:
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
            "child_orders": none,
        }
        click.echo(to_json({**shown, "child_of": parents[:MAX_PARENTS]}))
    where = f" on {panel}" if panel else ""
    head = f"order {order_id} " + (f"is not in {named}" if named else "is not tracked") + where
    several = panels_holding(store, [p["order_id"] for p in parents])
    said = [_said(p, named, panel or len(several.get(p["order_id"], ())) > 1) for p in parents]
    if len(parents) == 1:
        fail(f"{head}: it is {said[0][0]}; `{said[0][1]}` shows it", EXIT_FAILED)
    more = ["and more"] if len(parents) > MAX_PARENTS else []
    lines = [f"{what}: `{command}`" for what, command in said[:MAX_PARENTS]]
    fail(f"{head}: it is a child order of each of these tracked orders:", EXIT_FAILED, lines + more)


def _said(parent: dict[str, Any], named: Path | None, flag: object) -> tuple[str, str]:
    """Given a parent as :func:`parents_of` returns it, the file --database
    named and whether to name its panel in the command, return what the child
    is of it and the command that shows the parent's history."""
    on, number, oid = parent["panel"], parent["number"], parent["order_id"]
    if parent["drip_feed"]:
        what = f"run {number} of drip-feed order #{oid} on {on}"
    else:
        what = f"child order {number} of order #{oid} on {on} (a drip-feed or subscription order)"
    options = f" --database {shlex.quote(str(named))}" if named else ""
    options += f" --panel {shlex.quote(on)}" if flag else ""
    return what, f"smm-tracker history{options} {oid}"
