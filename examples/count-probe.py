#!/usr/bin/env python3
"""Example drop probe for smm-tracker (refill.detect = "command").

Contract (what smm-tracker expects of any probe, in any language):

  Called as:  count-probe LINK START_COUNT QUANTITY
  Env:        SMM_PANEL, SMM_ORDER_ID, SMM_LINK, SMM_START_COUNT, SMM_QUANTITY
              (plus the daemon's own environment, minus anything holding an API key)
  Stdout:     exactly one integer: the link's current count (followers, views...)
  Exit:       0 on success. Any other exit status, no integer on stdout, or
              running past refill.command_timeout skips the order for this
              round with a warning; it is probed again next round.

smm-tracker counts the order as dropped when the count is below
START_COUNT + DELIVERED - QUANTITY * refill.drop_threshold, where DELIVERED
is QUANTITY less the remains of a Partial order (QUANTITY for a Completed
one). The probe only prints the count; smm-tracker does the comparison.

This example reads counts measured elsewhere (your own monitoring, a scraper
run by cron...) from a JSON file mapping each link to its current count:

  {"https://instagram.com/someone": 15234, "https://t.me/channel": 880}

The file is $SMM_COUNTS_FILE (default: counts.json in the working directory).
Replace current_count() with a call to whatever can measure your links.
"""

from __future__ import annotations

import json
import os
import sys


def current_count(link: str) -> int:
    """Return the link's current count. Raise LookupError if it is not known."""
    path = os.environ.get("SMM_COUNTS_FILE", "counts.json")
    try:
        with open(path, encoding="utf-8") as handle:
            counts = json.load(handle)
    except (OSError, ValueError) as exc:
        raise LookupError(f"cannot read counts file {path}: {exc}") from None
    value = counts.get(link) if isinstance(counts, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise LookupError(f"no count for {link} in {path}")
    return value


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: count-probe LINK START_COUNT QUANTITY", file=sys.stderr)
        return 2
    try:
        print(current_count(argv[1]))
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
