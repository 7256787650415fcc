"""`history` names the currency of each status change's charge (money69).

``transitions`` kept a change's charge and no currency, so `history` read
every earlier charge in the order's currency now: an open order charged
35.00 RUB that the panel went on charging 0.40 USD (a panel script moved
to dollars mid-order) read "charge now 0.40 USD (35.00 at its last status
change: a refund the panel made since ...)": no refund, and no rouble in
sight. Each change stores its currency now (m043; rows recorded before
read as before), the table names it (in CUR, every row's since money80), and the
line says the panel gave the charge in another currency.
"""

from __future__ import annotations

import json

from refill_world import World
from test_late_checks_hostile import RemainsPanel
from test_late_refunds import stored

from tracker.sim.server import SERVICE_FOLLOWERS


def _history(w: World, order_id: int, *args: str) -> str:
    result = w.cli("history", str(order_id), *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _recharged(w: World, first: tuple[str, str], then: tuple[str, str]) -> int:
    """An order In progress charged ``first`` (charge, currency), then, still
    In progress ten minutes on, ``then``: no status change between."""
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    for n, (charge, currency) in enumerate((first, then)):
        w.clock.advance(600 * n)
        w.panel.charges[order_id] = charge
        w.panel.currencies = {order_id: currency}
        w.poll()
    assert (stored(w, order_id)["charge"], stored(w, order_id)["currency"]) == (
        float(then[0]),
        then[1],
    )
    return order_id


def test_a_charge_given_in_another_currency_since_is_no_refund(world):
    # The panel's script moved to dollars while the order was open.
    w = world(panel_class=RemainsPanel)
    order_id = _recharged(w, ("35.00", "RUB"), ("0.40", "USD"))
    shown = _history(w, order_id)
    assert "refund" not in shown, shown
    assert "35.00 RUB" in shown, shown  # the line's charge, in its own currency
    [row] = [line for line in shown.splitlines() if line.startswith("20")]
    assert row.split()[-2:] == ["35.00", "RUB"]  # the table's: its CUR names its own
    assert (
        "charge now 0.40 USD (35.00 RUB at its last status change: the panel gave it"
        " in another currency since; orders and report count 0.40 USD)"
    ) in shown
    [change] = json.loads(_history(w, order_id, "--json"))["transitions"]
    assert (change["charge"], change["currency"]) == (35.0, "RUB")


def test_a_change_in_the_orders_currency_reads_as_before(world):
    w = world(panel_class=RemainsPanel)
    order_id = _recharged(w, ("0.90", "USD"), ("0.423", "USD"))
    shown = _history(w, order_id)
    assert (
        "charge now 0.423 USD (0.90 at its last status change: a refund the panel made"
        " since; orders and report count 0.423)"
    ) in shown
    [row] = [line for line in shown.splitlines() if line.startswith("20")]  # the table's
    assert row.split()[-2:] == ["0.90", "USD"]  # its CUR: the order's currency (money80)


def test_a_currency_with_control_characters_is_shown_escaped(world):
    # A hostile panel's currency reached the terminal as sent in this line.
    w = world(panel_class=RemainsPanel)
    order_id = _recharged(w, ("0.90", "\x1b[2JUSD"), ("0.423", "\x1b[2JUSD"))
    shown = _history(w, order_id)
    assert "\x1b" not in shown
    assert "charge now 0.423 \\x1b[2JUSD (0.90 at its last status change" in shown
