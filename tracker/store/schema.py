"""What the schema is made of, readable without sqlite-utils.

The store checks these names against ``_sqlite_migrations`` when it opens a
database, so a read command on a current database never imports the
migration machinery. The names are read from the migration functions'
definitions in :mod:`tracker.store.migrations` (``def m00N_topic(``, or the
line registering one written in :mod:`tracker.store.migrations_added`), so a new
migration can never be missed here; tests/test_store.py checks they match
what sqlite-utils registers.
"""

from __future__ import annotations

import re
from pathlib import Path

MIGRATION_SET = "smm-tracker"


def _migration_names() -> tuple[str, ...]:
    source = Path(__file__).with_name("migrations.py").read_text(encoding="utf-8")
    # "def m00N_topic(" or "migrations()(added.m0NN_topic)", in file order.
    return tuple(re.findall(r"^(?:def |migrations\(\)\(added\.)(m\d+_\w+)\b", source, re.MULTILINE))


MIGRATIONS = _migration_names()
