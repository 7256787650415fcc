"""The bench's all-change workload relies on the simulated panel moving every
order it re-pins, status and remains both."""

from bench.allchange import FLIP
from tracker.sim.server import SimulatedPanel


def test_each_flip_changes_every_orders_status_and_remains() -> None:
    panel = SimulatedPanel(key="k", quirks=True)
    ids = panel.seed_orders(50, status="Pending")
    ids = range(ids[0], ids[-1] + 1)
    status = "Pending"
    before = {i: panel.order(i) for i in ids}
    for _ in range(3):
        status = FLIP[status]
        panel.pin_orders(ids, status)
        after = {i: panel.order(i) for i in ids}
        for i in ids:
            assert after[i].status == status != before[i].status
            remains = (
                after[i].quantity - after[i].delivered,
                before[i].quantity - before[i].delivered,
            )
            assert remains[0] != remains[1]
        before = after
