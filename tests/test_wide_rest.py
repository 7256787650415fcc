"""`orders` on an 80-column terminal, the cases left: a panel script's long
status word, wrapped within its column, and a listing longer than one chunk
keeping one layout. Piped output (what scripts read) is byte for byte as
before.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from test_wide import ERROR, order

from tracker.cli import prune as prune_module
from tracker.cli import report as report_module
from tracker.cli import screen as screen_module
from tracker.cli.listing import table_chunks
from tracker.cli.main import main
from tracker.cli.orders import ORDER_COLUMNS, ORDER_HEADERS, ORDER_SCREEN
from tracker.cli.render import table
from tracker.cli.screen import Screen, on_screen
from tracker.store.orders import Store

NOW = datetime(2026, 12, 4, 15, 50, 2, tzinfo=UTC)
TERMINAL = Screen(NOW, 80)
TODAY = "2026-12-04T15:44:45+00:00"
# Unknown status words of self-hosted panel scripts, stored whole (up to 60).
AWAITING = "In progress - awaiting provider"
SUPPLIER = "Pending (waiting for the API of the supplier)"


def widest(text: str) -> int:
    return max(map(on_screen, text.splitlines()))


def words(text: str) -> str:
    return " ".join(text.split())


def long_statuses() -> list[dict[str, object]]:
    return [
        order(624031, "In progress", TODAY),
        order(624030, SUPPLIER, TODAY, delivered=None),
        order(624029, AWAITING, TODAY, delivered=None, error=ERROR),
        order(624028, "Completed", "2026-12-03T22:17:05+00:00"),
    ]


def test_a_long_status_wraps_whole_words_within_its_column():
    text = table(long_statuses(), ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    lines = text.splitlines()
    assert widest(text) <= 80, text
    at = lines[0].index("STATUS")
    column = lines[0].index("DELIVERED") - at
    assert lines[2].startswith("main   624030  Pending (waiting for")
    # The status's lines in its column, each word whole; the rest of the row on its first line.
    status = [line[at : at + column].strip() for line in lines[2:5]]
    assert status == ["Pending (waiting for", "the API of the", "supplier)"]
    assert not lines[3][:at].strip() and not lines[3][at + column :].strip()
    assert lines[5].split()[:4] == ["main", "624029", "In", "progress"]
    assert words(lines[6]) == "awaiting provider"
    assert words(" ".join(lines[7:9])) == ERROR  # under the row, after its status's lines
    assert lines[9].startswith("main   624028  Completed")
    assert "…" not in text


def test_everyday_statuses_are_not_wrapped():
    rows = [order(624031, "In progress", TODAY), order(624030, "Completed", TODAY)]
    text = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    assert len(text.splitlines()) == 3 and "In progress" in text


PIPED_ORDERS = """\
PANEL  ORDER   STATUS                                         DELIVERED  REMAINS  CHARGE   CUR  CHECKED                    ETA  ERROR
main   624031  In progress                                    671/1000   329      0.27819  USD  2026-12-04T15:44:45+00:00  -    -
main   624030  Pending (waiting for the API of the supplier)  -          329      0.27819  USD  2026-12-04T15:44:45+00:00  -    -
main   624029  In progress - awaiting provider                -          329      0.27819  USD  2026-12-04T15:44:45+00:00  -    The order cannot be checked now: the provider of service 7 …
main   624028  Completed                                      671/1000   329      0.27819  USD  2026-12-03T22:17:05+00:00  -    -"""  # noqa: E501


def test_piped_the_long_statuses_are_unchanged():
    assert table(long_statuses(), ORDER_COLUMNS, ORDER_HEADERS) == PIPED_ORDERS


def in_progress(path: Path, ids: list[int], since: datetime, panel: str = "main") -> None:
    """Track ``ids`` on ``panel`` since ``since``, each In progress, 671 of
    1000 delivered, checked TODAY."""
    store = Store(path)
    store.track(panel, ids, since)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET status = 'In progress', raw_status = 'In progress', remains = 329,"
            " quantity = 1000, charge = 0.27819, currency = 'USD', last_checked_at = ?",
            (TODAY,),
        )
    db.close()


def seeded(path: Path, count: int = 3) -> None:
    in_progress(path, list(range(624001, 624001 + count)), datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(path) as db:
        for oid, status in ((624002, AWAITING), (624003, SUPPLIER)):
            db.execute(
                "UPDATE orders SET status = ?, raw_status = ? WHERE order_id = ?",
                (status, status, oid),
            )


def run(args: list[str], monkeypatch, terminal: bool, columns: int = 80) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: terminal)
    monkeypatch.setattr(screen_module, "utcnow", lambda: NOW)
    # `report` says its window from now, to the second: two runs must read the same
    monkeypatch.setattr(report_module, "utcnow", lambda: NOW)
    # `prune --dry-run` says its cutoff to the second, from now: the same
    monkeypatch.setattr(prune_module, "utcnow", lambda: NOW)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_orders_with_long_statuses_fit_80_columns_on_a_terminal(tmp_path, monkeypatch):
    seeded(tmp_path / "t.db")
    shown = run(["orders", "--database", str(tmp_path / "t.db")], monkeypatch, True)
    assert widest(shown) <= 80, shown
    head, *lines = shown.splitlines()
    at, end = head.index("STATUS"), head.index("DELIVERED")
    status = words(" ".join(line[at:end] for line in lines))  # the STATUS column, read down
    assert status == f"{SUPPLIER} {AWAITING} In progress"  # newest first
    piped = run(["orders", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert f"  {SUPPLIER}  " in piped and f"  {AWAITING}  " in piped  # one line each, as ever
    assert all(line.startswith("main   6240") for line in piped.splitlines()[1:])


def chunked(rows: list[dict[str, object]], screen: Screen | None) -> str:
    pieces = table_chunks(
        rows, ORDER_COLUMNS, ORDER_HEADERS, chunk=2, screen=screen, spec=ORDER_SCREEN
    )
    return "\n".join(pieces)


def listing() -> list[dict[str, object]]:
    """Two chunks of two: the first leaves the errors room beside their rows
    on a 110-column terminal, the second (a long panel name) does not."""
    short = [order(624031 - n, "Completed", TODAY, error="provider says no") for n in range(2)]
    wide = [
        order(n, "Completed", TODAY, panel="reseller-backup-eu", error=ERROR)
        for n in (700002, 700001)
    ]
    return short + wide


def test_every_chunk_of_a_listing_puts_the_errors_the_same_way():
    text = chunked(listing(), Screen(NOW, 110))
    lines = text.splitlines()
    assert "ERROR" not in lines[0]  # under the rows, in every chunk
    rows = [n for n, line in enumerate(lines) if line.startswith(("main", "reseller"))]
    assert len(rows) == 4
    for n in rows:  # each row's error on the line under it, never beside it
        assert "provider" not in lines[n] and lines[n + 1].startswith("  ")
    assert words(lines[rows[2] + 1]) == ERROR and words(lines[rows[0] + 1]) == "provider says no"
    assert widest(text) <= 110


def test_a_listing_of_one_chunk_still_puts_the_errors_beside_when_they_fit():
    text = chunked(listing()[:2], Screen(NOW, 110))
    assert (
        text.splitlines()[0].split()[-1] == "ERROR" and "provider says no" in text.splitlines()[1]
    )


def test_piped_a_chunked_listing_is_unchanged():
    rows = listing()
    expected = table(rows[:2], ORDER_COLUMNS, ORDER_HEADERS)
    second = table(rows[2:], ORDER_COLUMNS, ORDER_HEADERS).split("\n", 1)[1]
    assert chunked(listing(), None) == f"{expected}\n{second}"
    assert "reseller-backup-eu  700002  Completed  671/1000" in second


# A self-hosted panel's status in Chinese: ten characters, twenty terminal columns.
CJK = "处理中已部分完成退款"
ETA = "2026-12-05T09:10:00+00:00"


def test_a_cjk_status_is_broken_between_its_characters_to_fit_80_columns():
    """One word of 20 columns was never broken: with an ETA beside it the
    table took 81 columns at COLUMNS=80. Now its characters go on the next
    line, within the STATUS column, none lost."""
    rows = [order(624031, CJK, TODAY, eta=ETA), order(624030, "In progress", TODAY, eta=ETA)]
    text = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    assert widest(text) <= 80, text
    lines = text.splitlines()[2:]  # under the header's two lines ("USD", "UTC")
    assert lines[0].split()[:2] == ["main", "624031"] and lines[0].endswith("Dec 05")
    assert lines[0].split()[2] + lines[1].strip() == CJK  # every character, in its order
    assert lines[1].startswith(" " * len("main   624031  "))  # in the STATUS column
    assert lines[2].split()[2:4] == ["In", "progress"]
    assert "…" not in text


def test_orders_with_a_cjk_status_fit_80_columns_on_a_terminal(tmp_path, monkeypatch):
    in_progress(tmp_path / "t.db", [624001, 624002], datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(tmp_path / "t.db") as db:
        cjk = "UPDATE orders SET status = ?, raw_status = ? WHERE order_id = 624002"
        db.execute(cjk, (CJK, CJK))
        for oid in (624001, 624002):
            db.execute(
                "INSERT INTO order_watch (panel, order_id, eta, eta_basis, updated_at)"
                " VALUES ('main', ?, ?, 'median', ?)",
                (oid, ETA, TODAY),
            )
    db.close()
    shown = run(["orders", "--database", str(tmp_path / "t.db")], monkeypatch, True)
    assert widest(shown) <= 80, shown
    assert "".join(c for c in shown if c in CJK) == CJK  # every character, in its order
    assert "…" not in shown
    piped = run(["orders", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert f"main   624002  {CJK}  -" in piped  # one line, as ever
