"""README "Database" documents every column of the tracker's tables: each
table's section lists them in its first column (a row may name several)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.store.orders import Store

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def documented(table: str) -> set[str]:
    """Return the column names README's section on ``table`` lists."""
    section = re.search(rf"^### `{table}`.*?\n(.*?)(?=^#)", README, re.S | re.M)
    assert section, f"README has no section for {table}"
    rows = [line for line in section.group(1).splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])}


@pytest.mark.parametrize("table", ["orders", "transitions"])
def test_every_column_is_in_the_readme(tmp_path, table):
    store = Store(tmp_path / "t.db")
    try:
        columns = {r["name"] for r in store.rows(f"PRAGMA table_info('{table}')")}
    finally:
        store.close()
    assert columns - documented(table) == set()
