"""Numbered schema migrations, recorded by sqlite-utils in ``_sqlite_migrations``.

Append new migrations at the end (``m00N_topic``); never edit an applied one.
Explicit SQL is used so the schema reads the same here as in the README.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("smm-tracker")


@migrations()
def m001_orders_and_transitions(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE orders (
            panel            TEXT    NOT NULL,
            order_id         INTEGER NOT NULL,
            service          INTEGER,
            link             TEXT,
            quantity         INTEGER,
            status           TEXT,
            raw_status       TEXT,
            remains          INTEGER,
            start_count      INTEGER,
            charge           REAL,
            currency         TEXT,
            created_at       TEXT    NOT NULL,
            updated_at       TEXT    NOT NULL,
            completed_at     TEXT,
            last_checked_at  TEXT,
            last_change_at   TEXT,
            next_check_at    TEXT,
            error            TEXT,
            error_count      INTEGER NOT NULL DEFAULT 0,
            polling          INTEGER NOT NULL DEFAULT 1,
            source           TEXT    NOT NULL DEFAULT 'track',
            PRIMARY KEY (panel, order_id)
        )
        """
    )
    db.execute(
        "CREATE INDEX orders_due ON orders (panel, next_check_at, order_id) WHERE polling = 1"
    )
    db.execute("CREATE INDEX orders_status ON orders (status, panel)")
    db.execute(
        """
        CREATE TABLE transitions (
            id           INTEGER PRIMARY KEY,
            panel        TEXT    NOT NULL,
            order_id     INTEGER NOT NULL,
            at           TEXT    NOT NULL,
            from_status  TEXT,
            to_status    TEXT    NOT NULL,
            remains      INTEGER,
            charge       REAL,
            raw_status   TEXT,
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id)
        )
        """
    )
    db.execute("CREATE INDEX transitions_order ON transitions (panel, order_id, id)")
