"""`dashboard`'s line on an 80-column terminal: `dashboard of PATH at URL
(Ctrl-C stops)` ran past the edge (97 columns for a database in
/tmp/newuser176/try), the terminal breaking the URL to open inside it.
There it is wrapped at its words, the URL whole; piped, one line, as
scripts read it (tests/test_dashboard.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_simulate_terminal import on_a_terminal

from tracker.cli.dashboard import datasette_installed
from tracker.store.orders import Store


@pytest.mark.skipif(not datasette_installed(), reason="needs the 'dashboard' extra")
def test_dashboard_s_line_fits_an_80_column_terminal_its_url_whole(tmp_path: Path) -> None:
    deep = tmp_path / "a-folder-for-the-tracker-s-database"
    deep.mkdir()
    Store(deep / "tracker.db").close()
    args = ("dashboard", "--port", "0", "--database", str(deep / "tracker.db"))
    lines = on_a_terminal(tmp_path, *args, ends="(Ctrl-C stops)")
    shown = [line for line in lines if line.strip()]
    assert all(len(line) <= 80 for line in shown), "\n".join(shown)
    *said, last = shown
    assert re.fullmatch(r"  http://127\.0\.0\.1:\d+/-/dashboards \(Ctrl-C stops\)", last), shown
    # Every character of the path kept (one longer than a line is broken inside).
    joined = "".join(line.strip() for line in said).replace(" ", "")
    assert joined == f"dashboardof{deep / 'tracker.db'}at"
