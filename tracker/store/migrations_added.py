"""Bodies of migrations m011 to m032, added once :mod:`tracker.store.migrations`
was full; full too: a new migration goes in :mod:`tracker.store.migrations_more`.
Each is registered there, in numeric order, by one line:
``migrations()(added.m011_cancels)``. Same rules: never edit an applied one.
"""

from __future__ import annotations

from sqlite_utils import Database

from tracker.store.daily import recreate_daily_activity
from tracker.store.scorecard import recreate_service_scorecard, recreate_service_scorecard_m028
from tracker.store.views import (
    recreate_daily_activity_indexed,
    recreate_order_overview,
    recreate_order_overview_bounded,
    recreate_order_overview_indexed,
    recreate_order_overview_plausible,
    recreate_order_overview_refilled,
)


def m011_cancels(db: Database) -> None:
    # One row per order in each `smm-tracker cancel` and what came of it, so a
    # cancel asked for is never only a line on a terminal. result: Accepted
    # (the panel took it; the order's status follows at its next poll),
    # Refused (the panel's words in error) or Unknown (no usable answer).
    # No foreign key: an order placed elsewhere can be canceled untracked.
    db.execute(
        """
        CREATE TABLE cancels (
            id            INTEGER PRIMARY KEY,
            panel         TEXT    NOT NULL,
            order_id      INTEGER NOT NULL,
            requested_at  TEXT    NOT NULL,
            result        TEXT    NOT NULL,
            error         TEXT
        )
        """
    )
    db.execute("CREATE INDEX cancels_order ON cancels (panel, order_id, id)")


def m013_automation(db: Database) -> None:
    # Per open order, what the automation job last judged: the baseline its
    # delivery rate is measured from, its expected completion (eta, and whether
    # that came from its own rate or the service's median), and the open stall
    # episode (stalled_at NULL = not stalled; stalled_change_at = the order's
    # last_change_at when it was judged stalled, so any later change ends it).
    db.execute(
        """
        CREATE TABLE order_watch (
            panel              TEXT    NOT NULL,
            order_id           INTEGER NOT NULL,
            baseline_at        TEXT,
            baseline_remains   INTEGER,
            eta                TEXT,
            eta_basis          TEXT,
            stalled_at         TEXT,
            stalled_change_at  TEXT,
            stall_reason       TEXT,
            updated_at         TEXT    NOT NULL,
            PRIMARY KEY (panel, order_id),
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id)
        )
        """
    )
    # One row per action the automation took (or, with dry_run, would have
    # taken): written 'Sending' and committed before the panel is called, so a
    # crash or a lost answer still counts as sent. The unique index is the
    # "never twice" rule: one real and one dry-run action of each kind per order.
    db.execute(
        """
        CREATE TABLE automation_actions (
            id              INTEGER PRIMARY KEY,
            panel           TEXT    NOT NULL,
            order_id        INTEGER NOT NULL,
            action          TEXT    NOT NULL,
            dry_run         INTEGER NOT NULL DEFAULT 0,
            status          TEXT    NOT NULL,
            service         INTEGER,
            link            TEXT,
            quantity        INTEGER,
            estimated_cost  REAL,
            new_order_id    INTEGER,
            reason          TEXT,
            error           TEXT,
            at              TEXT    NOT NULL,
            updated_at      TEXT    NOT NULL,
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id)
        )
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX automation_once "
        "ON automation_actions (panel, order_id, action, dry_run)"
    )
    db.execute("CREATE INDEX automation_actions_at ON automation_actions (panel, action, at)")
    # Why an order was not acted on: one row per (order, action), the latest reason.
    db.execute(
        """
        CREATE TABLE automation_skips (
            panel     TEXT    NOT NULL,
            order_id  INTEGER NOT NULL,
            action    TEXT    NOT NULL,
            reason    TEXT    NOT NULL,
            first_at  TEXT    NOT NULL,
            last_at   TEXT    NOT NULL,
            times     INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (panel, order_id, action)
        )
        """
    )
    # A re-order placed by the automation names the Partial order it completes.
    db.execute("ALTER TABLE orders ADD COLUMN parent_order_id INTEGER")


def m014_overview_delivered(db: Database) -> None:
    # order_overview.delivered follows the orders listing again after m009:
    # none before delivery starts, runs x quantity for drip-feed orders.
    recreate_order_overview(db)


def m015_incremental_watch(db: Database) -> None:
    # The stall watch judges an order again only when something it judges by
    # changed, or when time alone can stall it: judged_key is the order's
    # status, remains, last change, service and that service's median as last
    # judged; recheck_at the first moment it can stall with nothing changing
    # (NULL: never by time alone). watch_basis keeps each panel's stall
    # settings as last applied: when they change every open order is judged.
    db.execute("ALTER TABLE order_watch ADD COLUMN judged_key TEXT")
    db.execute("ALTER TABLE order_watch ADD COLUMN recheck_at TEXT")
    db.execute(
        """
        CREATE TABLE watch_basis (
            panel       TEXT PRIMARY KEY,
            basis       TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        )
        """
    )


def m016_overview_refills_index(db: Database) -> None:
    # order_overview's refills_completed by the refills_order index: the
    # scorecard (report, the dashboard) took minutes on a large database.
    recreate_order_overview_indexed(db)


def m017_daily_activity_indexes(db: Database) -> None:
    # daily_activity counts its parts from partial indexes: the dashboard's
    # daily_activity page and its 30-day cards scanned and sorted every order.
    recreate_daily_activity_indexed(db)


def m018_overview_delivered_bounded(db: Database) -> None:
    # order_overview's delivered is NULL when remains is above the whole order
    # (a drip-feed order tracked without its runs read -4285 of 5000).
    recreate_order_overview_bounded(db)


def m019_scorecard_spend_per_currency(db: Database) -> None:
    # service_scorecard's spend one figure per currency (spend_by_currency):
    # a panel that changed currency had its USD and EUR charges added into one
    # figure; spend and currency are NULL when a service's spend is in several.
    recreate_service_scorecard(db)


def m020_daily_activity_spend_per_currency(db: Database) -> None:
    # daily_activity's spend one figure per currency, as the scorecard's since
    # m019: a day's USD and EUR charges were added into one figure with no
    # currency. New columns currency and spend_by_currency; spend is NULL when
    # a day's spend is in several. orders_created_day gains the currency.
    recreate_daily_activity(db)


def m021_service_conflicts(db: Database) -> None:
    # A service the panel's services answer lists more than once with
    # different terms (refill, cancel, min, max, rate, type, dripfeed): its
    # services row is left as it was (the terms known before, or none), and
    # this row says so while the panel keeps listing it so. differences is a
    # JSON object, each differing term's values as listed; alerted_at is when
    # the service_ambiguous alert named it (NULL: not yet, e.g. seen by
    # `services --refresh`, which raises no alert). Deleted once listed clearly.
    db.execute(
        """
        CREATE TABLE service_conflicts (
            panel          TEXT    NOT NULL,
            service        INTEGER NOT NULL,
            listings       INTEGER NOT NULL,
            differences    TEXT    NOT NULL,
            first_seen_at  TEXT    NOT NULL,
            last_seen_at   TEXT    NOT NULL,
            alerted_at     TEXT,
            PRIMARY KEY (panel, service)
        )
        """
    )


def m022_overview_delivered_plausible(db: Database) -> None:
    # order_overview's delivered is NULL when remains is below minus the whole
    # order too (a panel's -99999999999 of 1000 read 100000000999 delivered),
    # as the orders listing shows none (tracker.rules.delivery).
    recreate_order_overview_plausible(db)


def m023_completed_durations_index(db: Database) -> None:
    # Each service's median time to complete (the stall watch's etas) reads
    # the last 30 days of a panel's Completed orders: from this index alone,
    # without a row of the table (600k orders, 60k completed in 30 days:
    # ~0.35 s -> ~0.07 s). Partial: only a completion writes to it; `status`
    # in it too, or SQLite reads each row to check the status it is there for.
    db.execute(
        "CREATE INDEX orders_completed_durations "
        "ON orders (panel, completed_at, service, created_at, status) "
        "WHERE status = 'Completed'"
    )


def m024_lost_orders_index(db: Database) -> None:
    # The orders given up as lost (stopped_by = 'panel'), counted per panel at
    # every metrics scrape and by doctor: from this index alone, not a scan of
    # the whole table. Partial: only giving an order up (or `track` resuming
    # it) writes to it; a status change never does. `stopped_by` in it too, or
    # SQLite reads each row to check the word it is there for (as m023).
    db.execute(
        "CREATE INDEX orders_lost ON orders (panel, order_id, stopped_by) "
        "WHERE stopped_by = 'panel'"
    )


def m025_overview_needed_refill_delivered(db: Database) -> None:
    # order_overview's needed_refill (and the scorecard's share_refilled, the
    # report's REFILLED) only for an order whose refill the panel delivers or
    # delivered: a daily "nothing dropped" request waiting Pending counted.
    recreate_order_overview_refilled(db)


def m026_transitions_checked_before(db: Database) -> None:
    # When the tracker last knew the order's state before each change: its
    # previous status check (or, for its first, when it was tracked or
    # placed). The change happened between checked_before and `at`; a
    # Partial seen after the tracker was stopped for days may have ended
    # days before `at`, and the automation's reorder_within reads this.
    # NULL on rows recorded before this column.
    db.execute("ALTER TABLE transitions ADD COLUMN checked_before TEXT")


def m027_automation_actions_by_order(db: Database) -> None:
    # An order's re-orders under any panel name (the automation's check that
    # it was not re-ordered under another one): found by order ID. Without it
    # SQLite scanned automation_once whole for each candidate of a database
    # never analyzed (0.6 s per 100 candidates at 98k actions).
    db.execute(
        "CREATE INDEX automation_actions_order ON automation_actions "
        "(order_id, action, dry_run, panel)"
    )


def m028_scorecard_completions_after_first_seen(db: Database) -> None:
    # service_scorecard's median and p90 leave out completions stamped before
    # the order was first seen (the clock set back between the two): they
    # read as negative times to deliver.
    recreate_service_scorecard_m028(db)


def m029_balances_by_panel(db: Database) -> None:
    # A panel's last balance stored (the balance job's, every check; `balance`;
    # each metrics scrape's, for every panel): the rowid within the panel is in
    # this index, so it is one seek. With (panel, at) alone SQLite read and
    # sorted all of a panel's checks: 35k a year at balance_every 15m.
    db.execute("CREATE INDEX balances_panel ON balances (panel)")


def m030_open_orders_by_id(db: Database) -> None:
    # A panel's open orders by ID (the stall watch's pass, `run --once --all`):
    # the primary key walked every order of the panel, a year of finished ones
    # too. Partial: an order enters it when tracked and leaves when it ends.
    db.execute("CREATE INDEX orders_open ON orders (panel, order_id) WHERE polling = 1")


def m031_watch_judged_columns(db: Database) -> None:
    # What an order was last judged by, column by column (m015's judged_key
    # holds the same as one text): the stall watch's pass tells the orders
    # unchanged since judged by comparing columns, where building each open
    # order's key text in SQL took 36 ms of a 60-85 ms pass over 20k open
    # orders that found none due. Rows judged before stay NULL here: due once.
    for column, kind in (
        ("judged_status", "TEXT"),
        ("judged_remains", "INTEGER"),
        ("judged_change_at", "TEXT"),
        ("judged_service", "INTEGER"),
        ("judged_median", "REAL"),
    ):
        db.execute(f"ALTER TABLE order_watch ADD COLUMN {column} {kind}")


def m032_alert_deliveries(db: Database) -> None:
    # An alert that did not reach a target after its tries, kept to be tried
    # again (see tracker.rules.redelivery): one row per alert and target
    # ("webhook", or an Apprise target by its place in alerts.notify),
    # deleted once delivered; gave_up_at set when alerts.redeliver_for ran out.
    db.execute(
        """
        CREATE TABLE alert_deliveries (
            alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            target      TEXT    NOT NULL,
            failures    INTEGER NOT NULL,
            failed_at   TEXT    NOT NULL,
            next_at     TEXT,
            error       TEXT    NOT NULL,
            gave_up_at  TEXT,
            PRIMARY KEY (alert_id, target)
        )
        """
    )
    db.execute("CREATE INDEX alert_deliveries_due ON alert_deliveries (next_at)")
