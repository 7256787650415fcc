"""``python -m bench.busy_db PATH``: a busy reseller's database, for the dashboard.

Builds, with the tracker's own migrations (``Store``), then bulk INSERTs:
``--orders`` orders (default 100,000) over 3 panels (two in USD, one in RUB)
and 200 services (a few services take most orders, as a reseller's best
sellers do), first seen over the last ``--days`` days (default 90) up to now;
about 10 transitions an order (Pending, In progress, the remains falling,
the end); a balance check of each panel every 10 minutes over those days;
a refill request for ~4% of the Completed orders, each with its changes.
Older orders ended (Completed ~78%, Partial, Canceled, Refunded); the last
day's are mostly open, a few hundred stuck for days. Deterministic (``--seed``).

The dashboard's timings on it: docs/performance-history.md (2026-12-07).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from tracker.clock import iso, utcnow
from tracker.store.orders import Store

PANELS = [("main", "USD"), ("backup", "USD"), ("ru-cheap", "RUB")]
KINDS = [
    "Instagram Followers",
    "Instagram Likes",
    "TikTok Views",
    "YouTube Views",
    "Telegram Members",
]
ENDS = [("Completed", 78), ("Partial", 8), ("Canceled", 10), ("Refunded", 4)]


def services(rng: random.Random, count: int) -> list[tuple[str, int, str, float]]:
    """(panel, service, name, rate per 1000) for ``count`` services."""
    out = []
    for n in range(count):
        panel = PANELS[n % len(PANELS)][0]
        kind = KINDS[n % len(KINDS)]
        refill = rng.choice(["Refill 30d", "No refill", "Lifetime"])
        rate = round(rng.uniform(0.2, 9.0) * (90 if panel == "ru-cheap" else 1), 3)
        out.append((panel, 1000 + n, f"{kind} | {refill} | #{n}", rate))
    return out


def build(path: Path, orders: int, days: int, seed: int) -> dict[str, int]:
    """Write the database at ``path`` (a new file); return its row counts."""
    rng = random.Random(seed)
    now = utcnow()
    Store(path).close()  # the schema, by the tracker's migrations
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    catalogue = services(rng, 200)
    conn.executemany(
        "INSERT INTO services (panel, service, name, type, rate, min, max, refill, updated_at) "
        "VALUES (?, ?, ?, 'Default', ?, 10, 100000, 1, ?)",
        [(p, s, name, rate, iso(now)) for p, s, name, rate in catalogue],
    )
    weights = [1 / (rank + 1) for rank in range(len(catalogue))]  # Zipf: best sellers
    currency = dict(PANELS)
    order_rows, transitions, refills, changes = [], [], [], []
    for n in range(orders):
        panel, service, _, rate = rng.choices(catalogue, weights)[0]
        seen = now - timedelta(seconds=days * 86400 * (1 - n / orders) ** 1.0)
        quantity = rng.choice([100, 500, 1000, 2000, 5000])
        charge = round(rate * quantity / 1000, 4)
        age = (now - seen).total_seconds()
        took = rng.lognormvariate(9.5, 1.0)  # median ~3.7 h
        stuck = n % 250 == 0 and age > 3 * 86400
        status: str | None
        if took < age and not stuck:
            status = rng.choices([e for e, _ in ENDS], [w for _, w in ENDS])[0]
        else:
            status = rng.choice(["Pending", "In progress", "In progress"])
        steps = rng.randint(5, 12)
        at, remains, prev, moves = seen, quantity, None, []
        for step in range(steps):
            at = seen + timedelta(seconds=min(took, age) * (step + 1) / (steps + 1))
            to = "Pending" if step == 0 else "In progress"
            if step == 1 and status == "Pending":
                break
            remains = quantity if step < 2 else max(0, remains - quantity // steps)
            moves.append((at, prev, to, remains))
            prev = to
        ended = status in dict(ENDS)
        if ended:
            at = seen + timedelta(seconds=took)
            remains = 0 if status == "Completed" else rng.randint(1, quantity)
            moves.append((at, prev, status, remains))
        done = iso(at) if status == "Completed" else None
        last = iso(moves[-1][0]) if moves else iso(seen)
        order_id = 5_000_000 + n
        order_rows.append(
            (
                panel,
                order_id,
                service,
                f"https://instagram.com/p/{n:x}",
                quantity,
                status,
                status,
                remains,
                0,
                charge,
                currency[panel],
                iso(seen),
                last,
                done,
                iso(now),
                last,
                0 if ended else 1,
            )
        )
        for at_, frm, to, rem in moves:
            transitions.append(
                (panel, order_id, iso(at_), frm, to, rem, charge, to, currency[panel])
            )
        if status == "Completed" and rng.random() < 0.04:
            asked = at + timedelta(days=rng.uniform(1, 10))
            if asked < now:
                outcome = rng.choices(["Completed", "In progress", "Rejected"], [6, 2, 2])[0]
                refill_id = None if outcome == "Rejected" else str(900000 + n)
                refills.append(
                    (len(refills) + 1, panel, order_id, refill_id, iso(asked), outcome, iso(asked))
                )
                changes.append(
                    (len(refills), panel, order_id, refill_id, iso(asked), None, outcome)
                )
    conn.executemany(
        "INSERT INTO orders (panel, order_id, service, link, quantity, status, raw_status, "
        "remains, start_count, charge, currency, created_at, updated_at, completed_at, "
        "last_checked_at, "
        "last_change_at, polling) VALUES (" + ", ".join("?" * 17) + ")",
        order_rows,
    )
    conn.executemany(
        "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains, charge, "
        "raw_status, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        transitions,
    )
    conn.executemany(
        "INSERT INTO refills (id, panel, order_id, refill_id, requested_at, status, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        refills,
    )
    conn.executemany(
        "INSERT INTO refill_changes (refill, panel, order_id, refill_id, at, from_status, "
        "to_status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        changes,
    )
    conn.executemany(
        "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, ?, ?)",
        balances(rng, now, days),
    )
    conn.commit()
    conn.execute("ANALYZE")
    counts = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("orders", "transitions", "services", "refills", "balances")
    }
    conn.close()
    return counts


def balances(rng: random.Random, now: datetime, days: int) -> list[tuple[str, str, float, str]]:
    """Each panel's balance every 10 minutes: spent down, topped up now and then."""
    rows = []
    for panel, cur in PANELS:
        balance = 500.0 * (90 if cur == "RUB" else 1)
        for k in range(days * 144, -1, -1):
            balance -= rng.uniform(0, balance * 0.004)
            if balance < 100 * (90 if cur == "RUB" else 1):
                balance += 400 * (90 if cur == "RUB" else 1)
            rows.append((panel, iso(now - timedelta(minutes=10 * k)), round(balance, 2), cur))
    return rows


def cli() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.busy_db", description=__doc__.splitlines()[0]
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=165)
    args = parser.parse_args()
    if args.path.exists():
        parser.error(f"{args.path} exists: name a new file")
    print(build(args.path, args.orders, args.days, args.seed))


if __name__ == "__main__":
    cli()
