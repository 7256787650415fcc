"""The commands of ``smm-tracker``, without importing them: which module
defines each (imported by :mod:`tracker.cli.main` when that command runs), and
each one's first help paragraph, which ``smm-tracker --help`` lists."""

from __future__ import annotations

# Which module defines each command. Commands are imported when used, so a
# quick read command does not pay for the daemon, refill or alert code.
COMMAND_MODULES = {
    "track": "track",
    "add": "add",
    "orders": "orders",
    "history": "history",
    "run": "run",
    "demo": "demo_command",
    "services": "services",
    "refills": "refills",
    "refill": "refill",
    "balance": "balance",
    "alerts": "alerts",
    "doctor": "doctor",
    "automation": "automation",
    "report": "report",
    "dashboard": "dashboard",
    "untrack": "untrack",
    "prune": "prune",
    "cancel": "cancel",
    "simulate": "simulate",
    "init": "init",
    "unit": "unit",
    "backup": "backup",
}


# Each command's first help paragraph, so `smm-tracker --help` lists the
# commands without importing them (tests/test_cli.py keeps it in step with the
# docstrings; a command missing here is imported to get its help).
COMMAND_HELP = {
    "add": "Place an order, start tracking it and print its ID.",
    "backup": "Copy the database to DEST consistently, even while the daemon runs.",
    "alerts": "List alerts, oldest first, and the episodes still open.",
    "automation": "Show what the automation did and skipped, spend against the cap, stalls.",
    "balance": "Show each panel's last balance, its recent history and the runway to zero.",
    "dashboard": "Browse the database in Datasette, read-only: tables, views, canned queries "
    "and dashboards (needs the 'dashboard' extra).",
    "demo": "Watch the tracker follow orders on a built-in simulated panel until every "
    "one is final (Ctrl-C stops it sooner).",
    "doctor": "Check the setup: config, database, each panel's answer and key source.",
    "history": "Show every status change of one order, then its charge, child orders and "
    "runs (drip-feed, subscription), refill and cancel requests, next automatic refill and "
    "what the automation did with it.",
    "prune": "Delete orders, balance checks and alerts older than DURATION (asks first).",
    "orders": "List tracked orders, newest first (the table: the newest 100 unless --limit/--all).",
    "refill": "Request a refill of one tracked order now, recorded like automatic ones.",
    "refills": "List refill requests and their outcome, newest first (the table: the newest 100).",
    "report": "Which services deliver: the scorecard per panel and service, highest spend first.",
    "run": "Run the tracker: poll statuses (and the other jobs) on their schedule.",
    "services": "List the panels' services as last synced, with their refill and cancel flags.",
    "track": "Follow existing orders (IDs, or - to read them from stdin). Works offline.",
    "untrack": "Stop polling orders (IDs, or - for stdin). History is kept; `track ID` resumes.",
    "cancel": "Ask the panel to cancel orders (IDs, or - for stdin), 100 per call.",
    "simulate": "Run the built-in simulated panel on 127.0.0.1 until Ctrl-C, to practise on.",
    "init": "Write the commented example config to PATH (default ./tracker.toml).",
    "unit": "Print the hardened systemd unit (smm-tracker.service) to stdout.",
}
