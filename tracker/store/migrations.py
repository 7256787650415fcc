"""Numbered schema migrations, recorded by sqlite-utils; append, never edit an applied one.
Explicit SQL, read as in the README; store/schema.py reads their names from this file."""

from sqlite_utils import Database, Migrations

from tracker.store import migrations_added as added
from tracker.store import migrations_more as more
from tracker.store.schema import MIGRATION_SET
from tracker.store.views import create_views

migrations = Migrations(MIGRATION_SET)


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


@migrations()
def m002_services_and_refills(db: Database) -> None:
    # Flags are stored 0/1 after parse.to_bool has read true/1/"1"/"0"/missing.
    # Rows are only ever upserted: a service the panel stops listing keeps its
    # last known flags, so orders already bought with a guarantee keep it.
    db.execute(
        """
        CREATE TABLE services (
            panel        TEXT    NOT NULL,
            service      INTEGER NOT NULL,
            name         TEXT    NOT NULL DEFAULT '',
            type         TEXT,
            category     TEXT,
            rate         REAL,
            min          INTEGER,
            max          INTEGER,
            refill       INTEGER NOT NULL DEFAULT 0,
            cancel       INTEGER NOT NULL DEFAULT 0,
            dripfeed     INTEGER NOT NULL DEFAULT 0,
            description  TEXT,
            updated_at   TEXT    NOT NULL,
            PRIMARY KEY (panel, service)
        )
        """
    )
    # One row per refill request, written (status 'Requesting') and committed
    # before the request is sent: a request whose answer never arrives still
    # counts. refill_id is NULL when the panel refused; permanent = 1 when the
    # refusal makes the order ineligible for good.
    db.execute(
        """
        CREATE TABLE refills (
            id            INTEGER PRIMARY KEY,
            panel         TEXT    NOT NULL,
            order_id      INTEGER NOT NULL,
            refill_id     TEXT,
            requested_at  TEXT    NOT NULL,
            status        TEXT    NOT NULL,
            raw_status    TEXT,
            error         TEXT,
            error_count   INTEGER NOT NULL DEFAULT 0,
            permanent     INTEGER NOT NULL DEFAULT 0,
            source        TEXT    NOT NULL DEFAULT 'auto',
            updated_at    TEXT    NOT NULL,
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id)
        )
        """
    )
    db.execute("CREATE INDEX refills_order ON refills (panel, order_id, id)")
    db.execute("CREATE INDEX refills_status ON refills (panel, status, id)")
    db.execute(
        """
        CREATE TABLE refill_changes (
            id           INTEGER PRIMARY KEY,
            refill       INTEGER NOT NULL REFERENCES refills (id),
            panel        TEXT    NOT NULL,
            order_id     INTEGER NOT NULL,
            refill_id    TEXT,
            at           TEXT    NOT NULL,
            from_status  TEXT,
            to_status    TEXT    NOT NULL,
            raw_status   TEXT,
            error        TEXT
        )
        """
    )
    db.execute("CREATE INDEX refill_changes_refill ON refill_changes (refill, id)")


@migrations()
def m003_balances_and_alerts(db: Database) -> None:
    # Balances as REAL: they are shown and charted, never summed to the cent.
    db.execute(
        """
        CREATE TABLE balances (
            panel     TEXT NOT NULL,
            at        TEXT NOT NULL,
            balance   REAL NOT NULL,
            currency  TEXT
        )
        """
    )
    db.execute("CREATE INDEX balances_panel_at ON balances (panel, at)")
    # panel is NULL for alerts about the tracker itself (database, disk).
    db.execute(
        """
        CREATE TABLE alerts (
            id        INTEGER PRIMARY KEY,
            at        TEXT NOT NULL,
            panel     TEXT,
            kind      TEXT NOT NULL,
            severity  TEXT NOT NULL,
            message   TEXT NOT NULL,
            data      TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute("CREATE INDEX alerts_at ON alerts (at)")
    # One row per open-or-closed episode (panel, kind), so "once per episode"
    # holds across restarts. panel is '' for tracker-wide episodes.
    db.execute(
        """
        CREATE TABLE alert_state (
            panel         TEXT    NOT NULL,
            kind          TEXT    NOT NULL,
            active        INTEGER NOT NULL DEFAULT 0,
            since         TEXT,
            last_sent_at  TEXT,
            PRIMARY KEY (panel, kind)
        )
        """
    )


@migrations()
def m005_scale(db: Database) -> None:
    # `orders --status S` lists one status's newest orders, panel by panel:
    # (status, panel, order_id) answers that with one index range however rare
    # S is (with (status, panel) alone, SQLite walked every order of the panel).
    # It also serves every query orders_status did, so that one goes.
    db.execute("CREATE INDEX orders_status_newest ON orders (status, panel, order_id)")
    db.execute("DROP INDEX IF EXISTS orders_status")


@migrations()
def m006_open_counts(db: Database) -> None:
    # The STATUS= heartbeat and every metrics scrape count open orders by
    # (panel, status); a covering partial index keeps that an index-only scan
    # of the open orders instead of a walk over every order ever tracked.
    db.execute("CREATE INDEX orders_open_status ON orders (panel, status) WHERE polling = 1")


@migrations()
def m007_probes(db: Database) -> None:
    # Counts measured by the user's drop probe (refill.detect = "command"):
    # a history the user can query, and what keeps one order from being
    # probed more often than refill.probe_every.
    db.execute(
        """
        CREATE TABLE probes (
            id         INTEGER PRIMARY KEY,
            panel      TEXT    NOT NULL,
            order_id   INTEGER NOT NULL,
            probed_at  TEXT    NOT NULL,
            count      INTEGER,
            dropped    INTEGER,
            error      TEXT,
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id)
        )
        """
    )
    db.execute("CREATE INDEX probes_order ON probes (panel, order_id, id)")


@migrations()
def m008_stopped_orders(db: Database) -> None:
    # Why an order that is not finished stopped being polled, so no give-up is
    # silent: stopped_by is 'panel' (the panel kept calling the ID unknown:
    # lost) or 'user' (`untrack`), stop_reason the panel's words or the user's
    # reason, stopped_at when. All three are NULL while the order is polled and
    # for orders that simply finished; `track ID` clears them and resumes.
    db.execute("ALTER TABLE orders ADD COLUMN stopped_at TEXT")
    db.execute("ALTER TABLE orders ADD COLUMN stopped_by TEXT")
    db.execute("ALTER TABLE orders ADD COLUMN stop_reason TEXT")


@migrations()
def m009_real_panels(db: Database) -> None:
    # README "Real panel scripts": unknown streaks, drip-feed runs, missing actions.
    for column in ("unknown_since TEXT", "runs INTEGER", '"interval" INTEGER'):
        db.execute(f"ALTER TABLE orders ADD COLUMN {column}")
    db.execute(
        "CREATE TABLE panel_capabilities (panel TEXT NOT NULL, action TEXT NOT NULL, "
        "supported INTEGER NOT NULL, learned_at TEXT NOT NULL, evidence TEXT, "
        "PRIMARY KEY (panel, action))"
    )


@migrations()
def m010_views(db: Database) -> None:
    create_views(db)  # order_overview, service_scorecard, daily_activity, stuck_orders


# From m011 on, a migration's body is in store/migrations_added.py (this module
# reached the size limit), registered here by one line, in numeric order.
migrations()(added.m011_cancels)
migrations()(added.m013_automation)
migrations()(added.m014_overview_delivered)
migrations()(added.m015_incremental_watch)
migrations()(added.m016_overview_refills_index)
migrations()(added.m017_daily_activity_indexes)
migrations()(added.m018_overview_delivered_bounded)
migrations()(added.m019_scorecard_spend_per_currency)
migrations()(added.m020_daily_activity_spend_per_currency)
migrations()(added.m021_service_conflicts)
migrations()(added.m022_overview_delivered_plausible)
migrations()(added.m023_completed_durations_index)
migrations()(added.m024_lost_orders_index)
migrations()(added.m025_overview_needed_refill_delivered)
migrations()(added.m026_transitions_checked_before)
migrations()(added.m027_automation_actions_by_order)
migrations()(added.m028_scorecard_completions_after_first_seen)
migrations()(added.m029_balances_by_panel)
migrations()(added.m030_open_orders_by_id)
migrations()(added.m031_watch_judged_columns)
migrations()(added.m032_alert_deliveries)

# From m033 on, in store/migrations_more.py (migrations_added.py is full too).
migrations()(more.m033_lost_before_m008)
migrations()(more.m034_idempotency_keys)
migrations()(more.m035_prune_runs)
migrations()(more.m036_prune_runs_ran_by)
migrations()(more.m037_late_checks)
migrations()(more.m038_job_runs)
migrations()(more.m039_capabilities_url)
migrations()(more.m040_capabilities_key_mark)
migrations()(more.m041_scorecard_orders_seen_or_open)
migrations()(more.m042_views_currency_case)
migrations()(more.m043_transitions_currency)
migrations()(more.m044_untracked_orders_index)
migrations()(more.m045_first_seen_as_report_and_action_currency)
migrations()(more.m046_child_orders)
migrations()(more.m047_child_orders_by_child)
migrations()(more.m048_views_infinite_charge)
migrations()(more.m049_overview_finite_charge)
migrations()(more.m050_views_odd_stored_values)
migrations()(more.m051_first_seen_completed_no_sample)
