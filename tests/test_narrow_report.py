"""`report` on a terminal narrower than its figures: it failed with a
traceback (``zip() argument 2 is longer than argument 1``) at 51-52 columns
and at 43 or fewer, the figures' table folding a service's row over two
lines. Now each service's figures are words under its name, wrapped; every
figure there, nothing wider than the screen.
"""

from __future__ import annotations

from test_wide_names import NAMES, configured
from test_wide_report import LONG, NOW, scorecard_row
from test_wide_rest import run

from tracker.cli.report import _table
from tracker.cli.screen import Screen, on_screen


def test_report_runs_and_fits_at_every_width(tmp_path, monkeypatch):
    configured(tmp_path, monkeypatch, NAMES[0])
    for columns in range(20, 81):
        shown = run(["report"], monkeypatch, True, columns=columns)  # exit 0, asserted there
        assert max(map(on_screen, shown.splitlines())) <= columns, (columns, shown)
        assert "0.83" in shown and "0/0/0" in shown


def test_narrow_the_figures_are_named_words_under_each_service():
    two = [{"currency": "USD", "spend": 1.5}, {"currency": "EUR", "spend": 4.0}]
    rows = [
        scorecard_row(1, LONG),
        scorecard_row(22, "Instagram Likes", open=0, orders=1, spend_by_currency=two),
    ]
    for width in (30, 40, 50):
        text = _table(rows, Screen(NOW, width))
        assert max(map(on_screen, text.splitlines())) <= width
        words = " ".join(text.split())
        assert LONG in words  # the name whole, wrapped at its blanks
        for figure in ("done 82%", "partial 10%", "canceled 7%", "refunded 2%", "p90 23h59m"):
            assert words.count(figure) == 2
        assert "median 5h20m" in words and "refills 123/120/118" in words
        assert "spend 12345.675 USD" in words and "spend 1.50 USD, 4.00 EUR" in words
        assert "DONE" not in text  # no header over figures that are not a table


def test_wide_enough_the_table_is_as_before():
    rows = [scorecard_row(1, LONG)]
    assert _table(rows, Screen(NOW, 80)).splitlines()[0].split() == [
        "DONE",
        "PART",
        "CANC",
        "REFUND",
        "MEDIAN",
        "P90",
        "REFILLS",
        "REFILLED",
        "SPEND",
        "USD",
    ]
