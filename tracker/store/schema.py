"""What the schema is made of, readable without sqlite-utils.

The store checks these names against ``_sqlite_migrations`` when it opens a
database, so a read command on a current database never imports the
migration machinery. Add a migration's name here when you add the migration
(tests/test_store.py fails until you do).
"""

MIGRATION_SET = "smm-tracker"
MIGRATIONS = (
    "m001_orders_and_transitions",
    "m002_services_and_refills",
    "m003_balances_and_alerts",
    "m005_scale",
    "m006_open_counts",
    "m007_probes",
    "m008_stopped_orders",
    "m013_automation",
)
