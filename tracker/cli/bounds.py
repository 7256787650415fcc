"""The largest numbers the command line takes: what SQLite can store.

Every whole number an option hands to the store is bounded here, so that an
absurd one is refused as a usage error (one line, exit 2) before anything is
sent to a panel or written, rather than failing after an order was placed.
"""

from __future__ import annotations

import click

from tracker.panel.values import ID_MAX

SQLITE_INT_MAX = 2**63 - 1  # SQLite's INTEGER is a signed 64-bit number
# Order IDs stay below it (the listings page back from SQLITE_INT_MAX): the
# same bound as an ID in a panel's answer, so what `add` tracks, track takes.
ORDER_ID_MAX = ID_MAX

POSITIVE = click.IntRange(1, SQLITE_INT_MAX)  # quantities, runs, minutes, limits, service IDs
ORDER_ID = click.IntRange(1, ORDER_ID_MAX)
