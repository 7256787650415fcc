"""The listings on an 80-column terminal with what panels and configs allow:
a panel's name as long as you like (the config asks only letters, digits,
'_', '.' and '-'), status words and service names in Chinese (each character
two columns wide), the automation's long reasons. Every line fits, measured
as the tables measure it; nothing is cut; piped output is as before.
"""

from __future__ import annotations

import os
import pty
import re
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_wide_rest import NOW, TODAY, in_progress, run, widest, words

from tracker.cli.screen import on_screen
from tracker.rules.reorders import NO_RATE

CJK = "处理中已部分完成退款"
SERVICE = "Instagram 粉丝 | 高质量 | 30天补充 | 即时开始 | 每天10000"
SUPPLIER = "Pending (waiting for the API of the supplier)"
AWAITING = "In progress - awaiting provider confirmation"
NAMES = [
    "reseller-backup-eu",
    "cheap-followers-reseller.backup_panel-eu-west-1",
    "x" * 30 + "-" + "y" * 40 + "." + "z" * 29,  # 101 characters
]


def database(tmp_path: Path, panel: str) -> Path:
    """A database of ``panel``'s orders: one in CJK status words, stalled; a
    refill; a service named in Chinese; an alert open; a balance; the
    automation's re-order and a skip with its longest reason."""
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "t.db"
    in_progress(path, [624001, 624002, 624003], NOW.replace(day=1), panel)
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET status = ?, raw_status = ? WHERE order_id = 624002", (CJK,) * 2
        )
        db.execute(
            "INSERT INTO order_watch (panel, order_id, eta, eta_basis, stalled_at, updated_at)"
            " VALUES (?, 624002, '2026-12-05T09:10:00+00:00', 'median', ?, ?)",
            (panel, TODAY, TODAY),
        )
        for n, (before, after) in enumerate([("In progress", SUPPLIER), (SUPPLIER, AWAITING)]):
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains,"
                " charge, raw_status) VALUES (?, 624003, ?, ?, ?, 310, 12345.19195, ?)",
                (panel, f"2026-12-04T15:4{n}:00+00:00", before, after, after),
            )
        db.execute(
            "INSERT INTO services (panel, service, name, type, rate, min, max, refill, cancel,"
            " updated_at) VALUES (?, 7, ?, 'Default', 0.9, 10, 1000000, 1, 0, ?)",
            (panel, SERVICE, TODAY),
        )
        db.execute(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES"
            " (?, 'panel_unreachable', 1, ?)",
            (panel, TODAY),
        )
        db.execute(
            "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, 12345.678, 'USD')",
            (panel, TODAY),
        )
        db.execute(
            "INSERT INTO automation_actions (panel, order_id, action, status, service, quantity,"
            " estimated_cost, reason, at, updated_at) VALUES"
            " (?, 624002, 'reorder', 'sent', 7, 310, 0.27, 'Partial: the remainder', ?, ?)",
            (panel, TODAY, TODAY),
        )
        db.execute(
            "INSERT INTO automation_skips (panel, order_id, action, reason, first_at, last_at)"
            " VALUES (?, 624003, 'reorder', ?, ?, ?)",
            (panel, NO_RATE, TODAY, TODAY),
        )
    db.close()
    return path


def configured(tmp_path: Path, monkeypatch, panel: str) -> None:
    """``panel`` in ./tracker.toml, with the automation on: `services` and
    `automation` read the config."""
    database(tmp_path, panel)
    (tmp_path / "tracker.toml").write_text(
        f'[database]\npath = "t.db"\n[[panels]]\nname = "{panel}"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey = "k1"\n'
        "[automation]\nreorder = true\ndaily_cap = 10\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)


COMMANDS = [
    ["orders"],
    ["orders", "--all"],
    ["alerts"],
    ["balance"],
    ["services"],
    ["automation"],
    ["history", "624003"],
    ["history", "624002"],
]


def down(text: str, head: str, after: str) -> list[str]:
    """The cells of the column headed ``head`` (the next headed ``after``) in
    every table of ``text``, read down, blank ones left out."""
    cells: list[str] = []
    at = end = None
    for line in text.splitlines():
        heads = {m.group(0): m.start() for m in re.finditer(r"[A-Z]+", line)}
        if head in heads and after in heads:
            at, end = heads[head], heads[after]
        elif not line.strip():
            at = None
        elif at is not None and line[at:end].strip():
            cells.append(line[at:end].strip())
    return cells


def unbroken(text: str) -> str:
    """``text``'s lines joined, their indents gone: a line wrapped at a word
    inside it (a name has no blank) reads as it was."""
    return "".join(line.strip() for line in text.splitlines())


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_listing_fits_80_columns_with_a_long_panel_name(tmp_path, monkeypatch, command):
    for n, panel in enumerate(NAMES):
        configured(tmp_path / str(n), monkeypatch, panel)
        shown = run(command, monkeypatch, True)
        assert widest(shown) <= 80, shown
        assert "…" not in shown  # nothing cut
        if command[0] in ("orders", "services"):  # the name in its column: broken, never cut
            after = "ORDER" if command[0] == "orders" else "SERVICE"
            rows = 3 if command[0] == "orders" else 1
            assert "".join(down(shown, "PANEL", after)) == panel * rows
        else:  # in a line of words, wrapped
            assert panel in unbroken(shown)


def test_long_words_are_all_there_on_a_terminal(tmp_path, monkeypatch):
    configured(tmp_path, monkeypatch, NAMES[1])
    statuses = down(run(["orders"], monkeypatch, True), "STATUS", "DELIVERED")
    assert "".join(c for c in "".join(statuses) if c in CJK) == CJK
    assert SERVICE in words(run(["services"], monkeypatch, True))  # under its row, whole
    automation = run(["automation"], monkeypatch, True)
    assert NO_RATE in words(automation)  # the skip's whole reason (cut at 60 before)
    # The table alone: the lines under it (history_notes) are no column.
    history = run(["history", "624003"], monkeypatch, True).split("\ncharge now")[0]
    assert words(" ".join(down(history, "FROM", "TO"))) == f"In progress {SUPPLIER}"
    assert words(" ".join(down(history, "TO", "REMAINS"))) == f"{SUPPLIER} {AWAITING}"


PIPED_AUTOMATION = f"""\
automation: stall alerts on, re-order Partial on, cancel stale Pending off
reseller-backup-eu: re-orders today: 0.00 of cap 10.00 USD

AT                         PANEL               ACTION   ORDER   NEW  QTY  COST  STATUS  DRY  WHY
{TODAY}  reseller-backup-eu  reorder  624002  -    310  0.27  sent         Partial: the remainder

skipped:
LAST                       PANEL               ACTION   ORDER   {"REASON".ljust(len(NO_RATE))}  TIMES
{TODAY}  reseller-backup-eu  reorder  624003  {NO_RATE}  1

stalled now: 1 (reseller-backup-eu #624002)
(smm-tracker orders --stalled lists them)
"""  # noqa: E501
PIPED_HISTORY = f"""\
reseller-backup-eu #624003: In progress
AT                         FROM                                           TO                                             REMAINS  CHARGE       CUR
2026-12-04T15:40:00+00:00  In progress                                    {SUPPLIER}  310      12345.19195  USD
2026-12-04T15:41:00+00:00  {SUPPLIER}  {AWAITING}   310      12345.19195  USD
charge now 0.27819 USD (12345.19195 at its last status change: a refund the panel made since; orders and report count 0.27819)
not re-ordered by the automation: {NO_RATE} (last judged {TODAY}, 1 time; smm-tracker automation)
"""  # noqa: E501


def test_piped_the_listings_are_unchanged(tmp_path, monkeypatch):
    """As the code before this change printed them, byte for byte; but a
    skip's reason, whole (cut at 60 characters before: a script never read
    what to change), and history's CUR (each charge's currency, as orders'
    CUR names it)."""
    configured(tmp_path, monkeypatch, NAMES[0])
    assert run(["automation"], monkeypatch, False) == PIPED_AUTOMATION
    assert run(["history", "624003"], monkeypatch, False) == PIPED_HISTORY
    orders = run(["orders"], monkeypatch, False).splitlines()
    assert orders[2].startswith(f"reseller-backup-eu  624002  {CJK}  -          329")
    assert orders[2].endswith(
        "USD  2026-12-04T15:44:45+00:00  2026-12-05T09:10:00+00:00 (stalled)  -"
    )
    alerts = run(["alerts"], monkeypatch, False)
    assert alerts == f"open: reseller-backup-eu panel_unreachable since {TODAY}\n"
    balance = run(["balance"], monkeypatch, False).splitlines()
    assert balance[0] == f"reseller-backup-eu: 12345.678 USD  (checked {TODAY})"
    services = run(["services"], monkeypatch, False).splitlines()
    assert services[1].startswith(f"reseller-backup-eu  7        {SERVICE}  Default  yes")


def on_a_terminal(
    args: list[str],
    cwd: Path,
    columns: int = 80,
    notes: bool = False,
    python: Sequence[str] = ("-m", "tracker"),
) -> str:
    """What `smm-tracker ARGS` shows on a real terminal of ``columns`` (a
    pseudo-terminal: stdout a TTY, its width read as the CLI reads it; with
    ``notes``, stderr the same terminal, its notes read as well); ``python``:
    what Python runs instead of ``-m tracker``, given ``args``."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50"}
    env.pop("SMM_TRACKER_CONFIG", None)
    child = subprocess.Popen(
        [sys.executable, *python, *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower if notes else subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert child.wait(timeout=60) == 0, out
    return out.decode().replace("\r\n", "\n")


def test_orders_and_refills_fit_a_real_80_column_terminal(tmp_path, monkeypatch):
    configured(tmp_path, monkeypatch, NAMES[1])
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, raw_status,"
            " source, updated_at) VALUES (?, 624001, '88001', ?, ?, ?, 'auto', ?)",
            (NAMES[1], "2026-12-03T18:10:59+00:00", CJK, CJK, TODAY),
        )
    db.close()
    for command in (["orders"], ["refills"]):
        shown = on_a_terminal(command, tmp_path)
        assert max(map(on_screen, shown.splitlines())) <= 80, shown
        assert "UTC" in shown and "2026-12-04T" not in shown  # a terminal's table
        assert "".join(c for c in shown if c in CJK) == CJK


def test_alerts_undelivered_to_a_notify_target_fit_80_columns(tmp_path, monkeypatch):
    """An Apprise target's name (`alerts.notify[0] (tgram)`), an alert of a
    long kind given up on another day: the columns beside the message took
    97 columns. Now the target's scheme goes under its name, the date over
    its clock, the kind is broken after a '_'."""
    path = database(tmp_path, "main")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO alerts (id, at, panel, kind, severity, message) VALUES"
            " (7, '2026-12-03T18:48:00+00:00', 'main', 'refill_unknown_status', 'warning', ?)",
            ("main: refill 88001 of order #624001: status words not read",),
        )
        db.execute(
            "INSERT INTO alert_deliveries (alert_id, target, failures, failed_at, error,"
            " gave_up_at) VALUES (7, 'alerts.notify[0] (tgram)', 12, ?, 'HTTP 502', ?)",
            ("2026-12-03T18:48:00+00:00", "2026-12-03T19:12:00+00:00"),
        )
    db.close()
    args = ["alerts", "--undelivered", "--database", str(path)]
    shown = run(args, monkeypatch, True)
    assert widest(shown) <= 80, shown
    row = "\n".join(shown.splitlines()[:3])  # the header, the row's two lines
    assert "".join(down(row, "KIND", "TARGET")) == "refill_unknown_status"
    assert " ".join(down(row, "TARGET", "FAILURES")) == "alerts.notify[0] (tgram)"
    assert " ".join(down(row, "AT", "KIND")) == "Dec 03 18:48"
    assert shown.splitlines()[1].endswith("gave up Dec 03 19:12")
    assert "(last error: HTTP 502)" in words(shown)
    piped = run(args, monkeypatch, False).splitlines()
    assert piped[1].split()[2:5] == ["refill_unknown_status", "alerts.notify[0]", "(tgram)"]


def test_a_webhook_s_long_last_error_goes_under_its_alert_not_down_a_narrow_column(
    tmp_path, monkeypatch
):
    """The webhook down: at 80 columns the six columns beside the message
    left it 20, and each alert with its last error (connection refused: is
    the receiver up...) took 12 lines a word or two wide. Now the message
    and its error go under the alert's row, across the screen."""
    path = database(tmp_path, "main")
    refused = (
        "connection refused: is the receiver up, and the port in alerts.webhook_url "
        "(or webhook_url_file) right?"
    )
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO alerts (id, at, panel, kind, severity, message) VALUES"
            " (14, ?, 'main', 'order_canceled', 'warning', ?)",
            (TODAY, "main: 2 orders canceled: #985020, #985021"),
        )
        db.execute(
            "INSERT INTO alert_deliveries (alert_id, target, failures, failed_at, error,"
            " next_at) VALUES (14, 'webhook', 1, ?, ?, ?)",
            (TODAY, refused, TODAY),
        )
    db.close()
    shown = run(["alerts", "--undelivered", "--database", str(path)], monkeypatch, True)
    lines = shown.splitlines()
    assert widest(shown) <= 80 and len(lines) <= 5, shown  # the header, the row, 3 of text
    assert lines[0].split() == ["ID", "AT", "UTC", "KIND", "TARGET", "FAILURES", "TRY"]
    assert lines[1].split()[:4] == ["14", "15:44", "order_canceled", "webhook"]
    assert lines[2].startswith("    main: 2 orders canceled: #985020, #985021 (last error:")
    assert f"(last error: {refused})" in words(shown)
