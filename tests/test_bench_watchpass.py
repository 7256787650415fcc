"""The stall watch pass's bench (bench/watchpass.py) measures what it says:
a settled panel's pass finds nothing due, and each case gives wall and CPU."""

from pathlib import Path

from bench.watchpass import PANEL, measure
from tracker.store.orders import Store


def test_every_case_is_measured_and_the_panel_ends_settled(tmp_path: Path) -> None:
    figures = measure(300, 5, 1, tmp_path)

    cases = ["service_medians", "due_orders", "closed_watches", "pass, nothing changed"]
    cases += ["pass, 5 changed", "pass, all changed and judged ahead"]
    assert [k for k in figures if k.endswith(" ms")] == [
        f"{case} {kind} ms" for case in cases for kind in ("wall", "cpu")
    ]
    assert all(v >= 0 for k, v in figures.items() if k.endswith(" ms"))
    store = Store(tmp_path / "watch.db")
    watched = store.tuples("SELECT count(*) FROM order_watch WHERE panel = ?", [PANEL])
    stalled = store.tuples("SELECT count(*) FROM order_watch WHERE stalled_at IS NOT NULL")
    store.close()
    assert watched == [(300,)]
    assert stalled == [(0,)]
