"""`orders` and `refills` on an 80-column terminal with everyday data, the
cases left: a stalled order's ETA, a refill's long status words, and a
listing longer than one chunk (its columns and units those of the whole
listing, a long panel name's too). Piped output (what scripts read) is byte
for byte as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_wide import ERROR, order
from test_wide_rest import NOW, TERMINAL, TODAY, in_progress, run, widest, words

from tracker.cli.listing import table_chunks
from tracker.cli.orders import ORDER_COLUMNS, ORDER_HEADERS, ORDER_SCREEN
from tracker.cli.render import table
from tracker.cli.screen import Screen
from tracker.store.orders import Store

ETA = "2026-12-05T09:10:00+00:00"
LONG_PANEL = "reseller-backup-eu"


def column(text: str, head: str, after: str | None = None) -> list[str]:
    """The cells of the column headed ``head``, read down (blank lines too)."""
    lines = text.splitlines()
    at = lines[0].index(head)
    end = lines[0].index(after) if after else None
    return [line[at:end].strip() for line in lines[1:]]


def stalled_rows() -> list[dict[str, object]]:
    return [
        order(624031, "In progress", TODAY, eta=f"{ETA} (stalled)"),
        order(624030, "In progress", TODAY, eta=ETA),
        order(624029, "In progress", TODAY, eta="- (stalled)"),
    ]


def test_a_stalled_eta_fits_80_columns_its_word_under_the_date():
    text = table(stalled_rows(), ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    assert widest(text) <= 80, text
    lines = text.splitlines()
    assert lines[0].split()[-2:] == ["ETA", "UTC"]
    assert column(text, "ETA") == ["Dec 05", "(stalled)", "Dec 05", "- (stalled)"]
    assert lines[1].startswith("main   624031  In progress  671/1000")
    assert not lines[2][: lines[0].index("ETA")].strip()  # the word alone on its line


def test_a_stalled_eta_stays_on_one_line_when_the_screen_has_room():
    text = table(
        stalled_rows(), ORDER_COLUMNS, ORDER_HEADERS, screen=Screen(NOW, 100), spec=ORDER_SCREEN
    )
    assert len(text.splitlines()) == 4 and text.splitlines()[1].endswith("Dec 05 (stalled)")


def stalled_database(path: Path) -> None:
    in_progress(path, [624029, 624030, 624031], NOW.replace(day=1))
    with sqlite3.connect(path) as db:
        for oid, stalled in ((624031, TODAY), (624030, None), (624029, TODAY)):
            db.execute(
                "INSERT INTO order_watch (panel, order_id, eta, eta_basis, stalled_at, updated_at)"
                " VALUES ('main', ?, ?, 'median', ?, ?)",
                (oid, ETA, stalled, TODAY),
            )


PIPED_STALLED = """\
PANEL  ORDER   STATUS       DELIVERED  REMAINS  CHARGE   CUR  CHECKED                    ETA                                  ERROR
main   624031  In progress  671/1000   329      0.27819  USD  2026-12-04T15:44:45+00:00  2026-12-05T09:10:00+00:00 (stalled)  -
main   624030  In progress  671/1000   329      0.27819  USD  2026-12-04T15:44:45+00:00  2026-12-05T09:10:00+00:00            -
main   624029  In progress  671/1000   329      0.27819  USD  2026-12-04T15:44:45+00:00  2026-12-05T09:10:00+00:00 (stalled)  -
"""  # noqa: E501


def test_orders_with_stalled_orders_fit_80_columns_on_a_terminal(tmp_path, monkeypatch):
    stalled_database(tmp_path / "t.db")
    args = ["orders", "--database", str(tmp_path / "t.db")]
    shown = run(args, monkeypatch, True)
    assert widest(shown) <= 80, shown
    assert column(shown, "ETA") == ["Dec 05", "(stalled)", "Dec 05", "Dec 05", "(stalled)"]


def test_piped_stalled_orders_are_unchanged(tmp_path, monkeypatch):
    stalled_database(tmp_path / "t.db")
    piped = run(["orders", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert piped == PIPED_STALLED


REFILL_WORDS = [
    "Pending (waiting for the API of the supplier)",
    "Refill in progress - awaiting provider",
    "Completed",
]


def refills_database(path: Path, panel: str = "main") -> None:
    store = Store(path)
    store.track(panel, [624001, 624002, 624003], NOW.replace(day=1))
    store.close()
    with sqlite3.connect(path) as db:
        for n, said in enumerate(REFILL_WORDS):
            db.execute(
                "INSERT INTO refills (panel, order_id, refill_id, requested_at, status,"
                " raw_status, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'auto', ?)",
                (
                    panel,
                    624001 + n,
                    str(88000 + n),
                    f"2026-12-03T18:1{n}:59+00:00",
                    said,
                    said,
                    TODAY,
                ),
            )


PIPED_REFILLS = """\
PANEL  ORDER   REFILL  STATUS                                         REQUESTED                  UPDATED                    SOURCE  ERROR
main   624003  88002   Completed                                      2026-12-03T18:12:59+00:00  2026-12-04T15:44:45+00:00  auto    -
main   624002  88001   Refill in progress - awaiting provider         2026-12-03T18:11:59+00:00  2026-12-04T15:44:45+00:00  auto    -
main   624001  88000   Pending (waiting for the API of the supplier)  2026-12-03T18:10:59+00:00  2026-12-04T15:44:45+00:00  auto    -
"""  # noqa: E501


def test_a_refills_long_status_wraps_within_its_column_on_a_terminal(tmp_path, monkeypatch):
    refills_database(tmp_path / "t.db")
    args = ["refills", "--database", str(tmp_path / "t.db")]
    shown = run(args, monkeypatch, True)
    assert widest(shown) <= 80, shown
    lines = shown.splitlines()
    assert lines[1].startswith("main   624003  88002   Completed") and "15:44:45" in lines[1]
    status = column(shown, "STATUS", "REQUESTED")
    assert all(len(cell) <= 21 for cell in status)  # wrapped, whole words
    assert words(" ".join(status)) == " ".join(reversed(REFILL_WORDS))  # newest first
    assert "…" not in shown


def test_piped_long_refill_statuses_are_unchanged(tmp_path, monkeypatch):
    refills_database(tmp_path / "t.db")
    piped = run(["refills", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert piped == PIPED_REFILLS


def listing() -> list[dict[str, object]]:
    """Two chunks of two, one currency, no ETA anywhere: the second's panel
    name long, its orders in progress with their errors."""
    short = [order(624031 - n, "Completed", TODAY) for n in range(2)]
    wide = [order(n, "In progress", TODAY, panel=LONG_PANEL, error=ERROR) for n in (700002, 700001)]
    return short + wide


def chunked(rows: list[dict[str, object]], screen: Screen | None, again=None) -> str:
    pieces = table_chunks(
        iter(rows),
        ORDER_COLUMNS,
        ORDER_HEADERS,
        chunk=2,
        screen=screen,
        spec=ORDER_SCREEN,
        again=again or (lambda: iter(listing())),
    )
    return "\n".join(pieces)


def test_every_chunk_of_a_long_listing_fits_80_columns_with_one_layout():
    text = chunked(listing(), TERMINAL)
    assert widest(text) <= 80, text
    lines = text.splitlines()
    # One header: the currency said once, "UTC" once; no CUR, no ETA.
    assert lines[0].split() == [
        *("PANEL", "ORDER", "STATUS", "DELIVERED", "REMAINS", "CHARGE", "USD", "CHECKED", "UTC"),
    ]
    assert sum(line.startswith("PANEL") for line in lines) == 1
    rows = [line.split() for line in lines if line.startswith(("main", LONG_PANEL))]
    assert len(rows) == 4 and all(len(row) == 8 for row in rows[2:])  # the same columns
    assert rows[2] == [
        LONG_PANEL,
        "700002",
        "In",
        "progress",
        "671/1000",
        "329",
        "0.27819",
        "15:44",
    ]
    assert words(text).count(ERROR) == 2  # under their rows, whole
    assert "USD" not in " ".join(lines[1:]) and " - " not in text


def test_a_row_in_another_currency_than_the_layout_read_says_its_own():
    """Read again after the listing was laid out (an order polled meanwhile):
    its charge says its currency rather than pass for the header's."""
    rows = listing()
    rows[3] = {**rows[3], "currency": "EUR"}
    text = chunked(rows, TERMINAL)
    assert widest(text) <= 80, text
    assert "0.27819 EUR" in text.splitlines()[-3] and text.count("EUR") == 1


def test_a_charge_a_row_gained_with_no_currency_after_the_layout_read_is_marked():
    """Read again after the listing was laid out, its charge come with no
    currency: under the CHARGE USD printed once it read as dollars (ux173).
    Its cell says it has none, "?"; piped, as ever (its CUR "-")."""
    rows = listing()
    rows[3] = {**rows[3], "currency": None}
    text = chunked(rows, TERMINAL)
    assert widest(text) <= 80, text
    assert text.splitlines()[0].split()[5:7] == ["CHARGE", "USD"]  # the header, laid out
    assert "  0.27819 ?  15:44" in text.splitlines()[-3], text
    assert text.count("?") == 1 and text.splitlines()[-6].split()[-2] == "0.27819"  # dollars
    piped = chunked(rows, None).splitlines()[-1].split()
    assert piped[piped.index("0.27819") :][:3] == ["0.27819", "-", TODAY] and "?" not in piped


def test_an_error_a_row_gained_after_the_layout_read_is_shown():
    """An order polled between the two reads that failed meanwhile: its error
    is shown under its row, though no row had one when the listing was laid
    out (the ERROR column was left out of every chunk: the error with it)."""
    laid_out = [{**row, "error": None} for row in listing()]
    text = chunked(listing(), TERMINAL, again=lambda: iter(laid_out))
    assert widest(text) <= 80, text
    assert words(text).count(ERROR) == 2
    assert "ERROR" not in text.splitlines()[0]


def test_a_long_panel_name_fits_80_columns_in_a_table_of_one_chunk():
    rows = [order(700002, "In progress", TODAY, panel=LONG_PANEL)]
    text = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    assert widest(text) <= 80, text
    assert text.splitlines()[1].split() == ["USD", "UTC"]


def test_piped_a_chunked_listing_read_again_is_unchanged():
    rows = listing()
    first = table(rows[:2], ORDER_COLUMNS, ORDER_HEADERS)
    second = table(rows[2:], ORDER_COLUMNS, ORDER_HEADERS).split("\n", 1)[1]
    assert chunked(rows, None) == f"{first}\n{second}"
    assert "USD  2026-12-04T15:44:45+00:00  -    The order cannot" in second


def long_database(path: Path, count: int) -> None:
    store = Store(path)
    store.track("main", list(range(100001, 100001 + count)), NOW.replace(day=1))
    store.track(LONG_PANEL, [700001, 700002], NOW.replace(day=2))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET status = 'Completed', raw_status = 'Completed', remains = 0,"
            " quantity = 1000, charge = 0.27819, currency = 'USD', last_checked_at = ?",
            (TODAY,),
        )


def test_orders_all_longer_than_a_chunk_fit_80_columns_on_a_terminal(tmp_path, monkeypatch):
    long_database(tmp_path / "t.db", 1000)
    args = ["orders", "--all", "--database", str(tmp_path / "t.db")]
    shown = run(args, monkeypatch, True)
    lines = shown.splitlines()
    assert widest(shown) <= 80 and len(lines) == 2 + 1002
    assert lines[0].split()[-2:] == ["CHARGE", "CHECKED"] and lines[1].split() == ["USD", "UTC"]
    last = ["main", "100001", "Completed", "1000/1000", "0", "0.27819", "15:44"]
    assert lines[-1].split() == last


def test_piped_orders_all_longer_than_a_chunk_are_unchanged(tmp_path, monkeypatch):
    long_database(tmp_path / "t.db", 1000)
    piped = run(["orders", "--all", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    assert piped.splitlines()[0].split() == ORDER_HEADERS and len(piped.splitlines()) == 1003
    assert piped.splitlines()[-1].endswith("0.27819  USD  2026-12-04T15:44:45+00:00  -    -")


def test_a_value_a_row_gained_after_the_layout_read_is_shown():
    """Orders tracked in bulk, laid out before their first poll (no charge,
    no CHECKED in any row), one of them polled before the second read: its
    charge and CHECKED are said under its row, named by their headers, not
    silently left out with the columns the listing was laid out without."""
    unpolled = {"charge": None, "currency": None, "last_checked_at": None, "delivered": None}
    laid_out = [{**row, **unpolled, "error": None} for row in listing()]
    rows = [{**row, "error": None} for row in laid_out]
    rows[3] = {**listing()[3], "error": None}  # polled meanwhile
    text = chunked(rows, TERMINAL, again=lambda: iter(laid_out))
    assert widest(text) <= 80, text
    assert "CHARGE" not in text.splitlines()[0]  # the layout's columns, as printed once
    said = text.splitlines()[-1]
    assert words(said) == "DELIVERED 671/1000; CHARGE 0.27819 USD; CHECKED 15:44 UTC", text


def test_refills_of_a_long_panel_name_fit_80_columns_on_a_terminal(tmp_path, monkeypatch):
    """An 18-character panel name took `refills` to 82 columns: its STATUS
    at its narrowest, the other columns could not give. Now a request's date
    goes over its clock, and the panel's name stays whole."""
    refills_database(tmp_path / "t.db", LONG_PANEL)
    shown = run(["refills", "--database", str(tmp_path / "t.db")], monkeypatch, True)
    assert widest(shown) <= 80, shown
    lines = shown.splitlines()
    assert lines[1].split()[:4] == [LONG_PANEL, "624003", "88002", "Completed"]
    assert column(shown, "REQUESTED", "UPDATED")[:2] == ["Dec 03", "18:12:59"]  # clock under date
    assert sum(line.startswith(f"{LONG_PANEL}  ") for line in lines) == 3
    assert words(" ".join(column(shown, "STATUS", "REQUESTED"))) == " ".join(reversed(REFILL_WORDS))
    piped = run(["refills", "--database", str(tmp_path / "t.db")], monkeypatch, False)
    as_ever = PIPED_REFILLS.replace("main   ", f"{LONG_PANEL}  ")
    as_ever = as_ever.replace("PANEL  ", "PANEL" + " " * 15)
    assert piped == as_ever  # every column, one line each
