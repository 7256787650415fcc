"""`orders` says why DELIVERED is unknown for an order tracked without
its quantity (`track ID` alone): a panel's status gives what remains, never
what was ordered, so DELIVERED stayed `-` (left out on a terminal when no
row had one) with no word why. A note on stderr names the orders and the
`track` command that fills it in; stdout, the rows scripts read, is as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

TWO_PANELS = (
    OFFLINE_CONFIG
    + """[[panels]]
name = "spare"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
"""
)


def _delivering(db: Path, *ids: int, status: str = "Completed") -> None:
    """As a poll leaves them: delivery ended, 100 remaining."""
    with sqlite3.connect(db) as conn:
        for order_id in ids:
            conn.execute(
                "UPDATE orders SET status = ?, remains = 100 WHERE order_id = ?",
                (status, order_id),
            )
    conn.close()


def test_an_order_tracked_without_its_quantity_is_said_why_delivered_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": None})
    assert cli("track", "501").exit_code == 0
    assert cli("track", "502", "--quantity", "1000").exit_code == 0
    assert cli("track", "503").exit_code == 0  # Pending: nothing delivered yet, no note
    _delivering(tmp_path / "t.db", 501, 502)
    _delivering(tmp_path / "t.db", 503, status="Pending")  # polled: not "not checked yet"
    listed = cli("orders")
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[1]: line.split()[3] for line in listed.stdout.splitlines()[1:]}
    assert rows == {"503": "-", "502": "900/1000", "501": "-"}  # the piped rows as they were
    assert listed.stderr == (
        "(DELIVERED unknown for order 501: tracked without its quantity, which a panel's "
        "status never says; smm-tracker track 501 --quantity Q fills it in)\n"
    )
    filled = cli("track", "501", "--quantity", "1000")  # as the note says
    assert "order 501: quantity 1000 filled in" in filled.stdout
    listed = cli("orders")
    assert "900/1000" in listed.stdout.splitlines()[-1] and listed.stderr == ""
    assert cli("orders", "--json").stderr == ""  # --json and --ids: no note
    assert cli("orders", "--ids").stderr == ""


def test_several_are_counted_and_their_panel_named_when_several_are_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = cli_in(tmp_path, monkeypatch, TWO_PANELS, env={"SMM_TEST_KEY": None})
    assert cli("track", "--panel", "spare", "601", "602", "603", "604").exit_code == 0
    _delivering(tmp_path / "t.db", 601, 602, 603, 604, status="Partial")
    listed = cli("orders")
    assert listed.exit_code == 0, listed.output
    assert listed.stderr == (
        "(DELIVERED unknown for orders 604, 603, 602 and 1 more: tracked without their "
        "quantity, which a panel's status never says; smm-tracker track --panel spare ID "
        "--quantity Q fills it in)\n"
    )


def test_tracks_help_says_what_quantity_is_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli = cli_in(tmp_path, monkeypatch, None)
    said = " ".join(cli("track", "--help").stdout.split())
    quantity = "Quantity ordered (per run), which no panel's status says: DELIVERED needs it"
    assert f"--quantity INTEGER RANGE {quantity}" in said


def test_on_a_terminal_without_the_delivered_column_the_note_does_not_name_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # newuser176: every row `-`, the terminal's table left DELIVERED out, yet
    # the note under it said "DELIVERED unknown": a column the user looks for.
    from tracker.cli import screen

    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": None})
    assert cli("track", "501", "502").exit_code == 0
    _delivering(tmp_path / "t.db", 501, 502)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    listed = cli("orders")
    assert listed.exit_code == 0, listed.output
    assert "DELIVERED" not in listed.stdout.splitlines()[0], listed.stdout  # left out
    note = " ".join(listed.stderr.split())
    assert "DELIVERED" not in note, note
    assert note == (
        "(how much was delivered is unknown for orders 502, 501: tracked without their "
        "quantity, which a panel's status never says; smm-tracker track ID --quantity Q "
        "fills it in)"
    )
    # One order's figure: the column is shown, and the note names it.
    assert cli("track", "501", "--quantity", "1000").exit_code == 0
    listed = cli("orders")
    assert "DELIVERED" in listed.stdout.splitlines()[0], listed.stdout
    note = " ".join(listed.stderr.split())
    assert note.startswith("(DELIVERED unknown for order 502: tracked without its quantity")
