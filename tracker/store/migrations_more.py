"""Bodies of the migrations from m033 on (:mod:`tracker.store.migrations_added`
reached the size limit).

Each is registered in :mod:`tracker.store.migrations`, in numeric order, by one
line: ``migrations()(more.m033_...)``. Same rules: never edit an applied one.
"""

from __future__ import annotations

from sqlite_utils import Database

from tracker.store.daily import (
    recreate_daily_activity_m042,
    recreate_daily_activity_m045,
    recreate_daily_activity_m048,
    recreate_daily_activity_m050,
)
from tracker.store.order_overview import recreate_order_overview_m049, recreate_order_overview_m051
from tracker.store.scorecard import (
    recreate_service_scorecard_m041,
    recreate_service_scorecard_m042,
    recreate_service_scorecard_m048,
    recreate_service_scorecard_m050,
)

# tracker.panel.statuses.TERMINAL as every version has had it: an order in
# one of these stops being polled because it finished.
FINISHED = "('Completed', 'Partial', 'Canceled', 'Refunded')"


def m033_lost_before_m008(db: Database) -> None:
    # Orders an older version gave up on (0.1.0 up to m009: three per-order
    # errors in a row, "Incorrect order ID") were only set polling = 0; m008
    # added stopped_by and left them NULL, so `orders --status lost`, doctor
    # and the metrics never counted them. Marked lost as the tracker marks
    # one now: stopped_by 'panel', the panel's words, stopped when the row
    # last changed. `track ID` resumes one, as any lost order.
    db.execute(
        "UPDATE orders SET stopped_by = 'panel', stop_reason = error, stopped_at = updated_at "
        f"WHERE polling = 0 AND stopped_by IS NULL AND (status IS NULL OR status NOT IN {FINISHED})"
    )


def m034_idempotency_keys(db: Database) -> None:
    # `add --idempotency-key`: one row per panel and key, written (Sending) and
    # committed before the order is sent, so an add run again under the key
    # never sends: it prints the order placed (Placed) or says the outcome is
    # unknown (Sending: interrupted; Unknown: the answer lost). A refusal
    # deletes its row (nothing was placed). ``request`` is what was asked, as
    # JSON: the key used for another order is refused.
    db.execute(
        """
        CREATE TABLE idempotency_keys (
            panel            TEXT    NOT NULL,
            idempotency_key  TEXT    NOT NULL,
            request          TEXT    NOT NULL,
            status           TEXT    NOT NULL,
            order_id         INTEGER,
            error            TEXT,
            at               TEXT    NOT NULL,
            updated_at       TEXT    NOT NULL,
            PRIMARY KEY (panel, idempotency_key)
        )
        """
    )


def m035_prune_runs(db: Database) -> None:
    # One row per `prune` that deleted anything, so a read reaching before its
    # cutoff says its counts are incomplete. Written in the transaction of the
    # first batch that deleted rows, its counts brought up to date in each
    # batch's own: a Ctrl-C or crash between batches leaves the row with what
    # was deleted, ended_at NULL. ``cutoff``: nothing recorded at or after it
    # was deleted (a finished order in its refill window waited longer, so it
    # is the latest instant prune used). ``deleted``: rows per table, as JSON.
    db.execute(
        """
        CREATE TABLE prune_runs (
            id           INTEGER PRIMARY KEY,
            at           TEXT    NOT NULL,
            panel        TEXT,
            older_than   TEXT    NOT NULL,
            cutoff       TEXT    NOT NULL,
            deleted      TEXT    NOT NULL,
            ended_at     TEXT
        )
        """
    )


def m036_prune_runs_ran_by(db: Database) -> None:
    # Who pruned: "command" (`smm-tracker prune`) or "daemon" (its daily run,
    # database.prune_older_than). The reads' notes name the one that did it;
    # rows from before this migration are NULL, read as the command (the
    # only one there was).
    db.execute("ALTER TABLE prune_runs ADD COLUMN ran_by TEXT")


def m037_late_checks(db: Database) -> None:
    # An order that ended Partial, Canceled or Refunded, waiting for its late
    # checks (schedule.late_checks: 1h, 6h, 24h after it ended): a refund
    # some panel scripts make later than the status. One row per order,
    # written when the poll stores the answer that ended it, deleted after
    # the last check (or once the order is open again, untracked or lost);
    # ``checks``: how many it has had, failed ones too. Its own small table,
    # not an index on orders: the open orders' writes and indexes stay as
    # they were. Deleted with its order (prune).
    db.execute(
        """
        CREATE TABLE late_checks (
            panel     TEXT    NOT NULL,
            order_id  INTEGER NOT NULL,
            ended_at  TEXT    NOT NULL,
            checks    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (panel, order_id),
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id) ON DELETE CASCADE
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX late_checks_due ON late_checks (panel, checks, ended_at, order_id)")


def m038_job_runs(db: Database) -> None:
    # `run --once --due` (a cron line every minute): when each of a panel's
    # jobs last ran to success in a `run --once`, so that a run starts only
    # the jobs whose interval (schedule.services_every, balance_every,
    # refill_every, automation.every) has passed since. One row per panel and
    # job kind, replaced at each success; ``ran_at`` is the start of that run.
    db.execute(
        """
        CREATE TABLE job_runs (
            panel   TEXT NOT NULL,
            kind    TEXT NOT NULL,
            ran_at  TEXT NOT NULL,
            PRIMARY KEY (panel, kind)
        ) WITHOUT ROWID
        """
    )


def m039_capabilities_url(db: Database) -> None:
    # The panel URL each panel_capabilities row was learned at (as errors
    # show it: a password or query values as ***). What a panel script lacks,
    # or how it reads IDs, is its script's: a row learned at another URL (the
    # panel moved, or is another script) does not hold, and is asked again at
    # once. NULL: learned before m039, at a URL not recorded; it holds.
    db.execute("ALTER TABLE panel_capabilities ADD COLUMN url TEXT")


def m040_capabilities_key_mark(db: Database) -> None:
    # A mark of the key each panel_capabilities row was learned with
    # (tracker.store.key_marks: a slow, salted digest cut to 32 bits, never
    # the key): a process whose key has another mark (the key changed
    # between two `run --once`, or across a restart) forgets the panel's
    # rows and asks again, as a reload that changes the key does. NULL:
    # learned before m040; the next process stamps it with its key's mark.
    db.execute("ALTER TABLE panel_capabilities ADD COLUMN key_mark TEXT")


def m041_scorecard_orders_seen_or_open(db: Database) -> None:
    # service_scorecard leaves out an order the panel never answered for that
    # is no longer tracked (untracked before its first poll, or lost): it
    # counted in orders but in no outcome and not open, so every share read
    # low. One never answered for but still tracked is open and counts.
    recreate_service_scorecard_m041(db)


def m042_views_currency_case(db: Database) -> None:
    # service_scorecard and daily_activity add up the charges of a currency
    # written in two cases or with blanks ("USD", "usd", " USD") into one
    # figure of spend_by_currency, as `report` and the alerts read them: the
    # views (and so the dashboard) listed "10.00 USD" and "2.30 usd", and a
    # service's or day's spend and currency were NULL, as for two currencies.
    recreate_service_scorecard_m042(db)
    recreate_daily_activity_m042(db)


def m043_transitions_currency(db: Database) -> None:
    # Each status change's charge with its currency: `history` read every
    # earlier charge in the order's currency now, so an open order charged
    # 35.00 RUB that the panel went on charging in USD read as "a refund"
    # of 35.00. NULL on rows recorded before m043: read as the order's, as
    # before (the currency was not kept).
    db.execute("ALTER TABLE transitions ADD COLUMN currency TEXT")


def m044_untracked_orders_index(db: Database) -> None:
    # The orders the user stopped (`untrack`, stopped_by = 'user'), listed by
    # `orders --status untracked` from this index, newest first, as the lost
    # ones are from m024's: it read every order of the panel, newest first,
    # to find the few untracked (a database of a million orders: the whole
    # table for a listing of three). Partial, as m024's: only `untrack` and
    # `track` write to it; a status change never does.
    db.execute(
        "CREATE INDEX orders_untracked ON orders (panel, order_id, stopped_by) "
        "WHERE stopped_by = 'user'"
    )


def m045_first_seen_as_report_and_action_currency(db: Database) -> None:
    # daily_activity's orders (the dashboard's "first seen") counted an order
    # the panel never answered for that is no longer tracked (untracked
    # before its first poll, or lost), which `report` and service_scorecard
    # leave out since m041: now left out there too (same columns).
    recreate_daily_activity_m045(db)
    # automation_actions.currency: the currency estimated_cost is in, as the
    # panel's balance named it when the action was recorded (`automation
    # --json`'s actions[].currency, what the daily cap counts it in); NULL
    # when no balance had named one by then, and for an action without a
    # cost. Rows recorded before m045 get it by the same rule from the
    # balances kept; a balance pruned since leaves it NULL, never a guess.
    db.execute("ALTER TABLE automation_actions ADD COLUMN currency TEXT")
    db.execute(
        "UPDATE automation_actions SET currency = ("
        "SELECT b.currency FROM balances AS b WHERE b.panel = automation_actions.panel "
        "AND b.at <= automation_actions.at AND b.currency IS NOT NULL "
        "AND trim(b.currency) <> '' ORDER BY b.at DESC LIMIT 1) "
        "WHERE estimated_cost IS NOT NULL"
    )


def m046_child_orders(db: Database) -> None:
    # What a drip-feed or subscription order's status answer names besides
    # its status: its child order IDs (``"orders": [1001, "1002"]``), one row
    # per child, written the first time an answer names it (never again,
    # deleted only with its order: prune, by the foreign key), at most
    # store/children.MAX_CHILDREN an order; and the ``runs`` an answer naming
    # children said, one row per order, rewritten when the figure changes.
    # Their own small tables, not columns of orders: an order without
    # children writes what it did before (orders.runs stays the runs as
    # placed, which the delivery figures multiply by).
    db.execute(
        """
        CREATE TABLE child_orders (
            panel          TEXT    NOT NULL,
            order_id       INTEGER NOT NULL,
            child_id       INTEGER NOT NULL,
            first_seen_at  TEXT    NOT NULL,
            PRIMARY KEY (panel, order_id, child_id),
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id) ON DELETE CASCADE
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE child_runs (
            panel     TEXT    NOT NULL,
            order_id  INTEGER NOT NULL,
            runs      INTEGER NOT NULL,
            said_at   TEXT    NOT NULL,
            PRIMARY KEY (panel, order_id),
            FOREIGN KEY (panel, order_id) REFERENCES orders (panel, order_id) ON DELETE CASCADE
        ) WITHOUT ROWID
        """
    )


def m047_child_orders_by_child(db: Database) -> None:
    # `history ID` of an ID the tracker does not track but knows as a child
    # of an order it does (a drip-feed's run, a subscription's post, each its
    # own order on the panel's website) finds its parent from this index: by
    # m046's primary key alone it read every child of every order (100k
    # orders of up to 1000 children: the whole table for one ID). Its rows
    # carry the primary key (panel, order_id) besides: the lookup reads no row.
    db.execute("CREATE INDEX child_orders_by_child ON child_orders (child_id, panel)")


def m048_views_infinite_charge(db: Database) -> None:
    # A charge stored as infinity (0.1.0 kept a panel's "1e400" as a REAL inf)
    # is no charge in service_scorecard's and daily_activity's spend, as
    # `orders` and `report` read it: the views (and so the dashboard) added
    # it, "Infinity" spend. Same rows, same columns.
    recreate_service_scorecard_m048(db)
    recreate_daily_activity_m048(db)


def m049_overview_finite_charge(db: Database) -> None:
    # order_overview's charge is NULL where the stored one is no finite
    # number: infinity (0.1.0 kept a panel's "1e400" so), or text or bytes a
    # hand edit left. The view (and the dashboard's order pages) showed
    # "Infinity" where `orders` shows none. Same rows, same columns; the
    # views reading it (service_scorecard, daily_activity, stuck_orders)
    # read it by name. orders and transitions keep what they hold.
    recreate_order_overview_m049(db)


def m050_views_odd_stored_values(db: Database) -> None:
    # Odd stored values never break service_scorecard or daily_activity: a
    # currency stored as bytes (a hand edit) is unknown, as `report` reads
    # it (every read of either view, the dashboard's scorecard page too,
    # ended "JSON cannot hold BLOB values"); daily_activity's charge stored
    # as text or bytes none, as order_overview's (m049); a spend beyond what
    # a REAL holds NULL (it read Infinity, its JSON "Inf"). Same rows, same
    # columns; orders keeps what it holds.
    recreate_service_scorecard_m050(db)
    recreate_daily_activity_m050(db)


def m051_first_seen_completed_no_sample(db: Database) -> None:
    # An order first seen already Completed (a backlog given to `track`, old
    # IDs tracked) is no sample of a time to complete: its completed_at is
    # its first poll, seconds after it was tracked. order_overview's
    # completion_seconds is NULL for it, so service_scorecard's and report's
    # MEDIAN and P90 leave it out (they read it by name); the stall watch's
    # medians leave it out by the same partial index. Same rows, same columns.
    recreate_order_overview_m051(db)
