"""The ``doctor`` command: one line per check, non-zero exit on any failure,
its lines written in one go once every check has run.
On a terminal a long line is wrapped at its words, the rest indented under
the check's name, its moments short ("15:44 UTC"); piped, one line per
check as scripts read it, its moments as stored; ``--json`` the same."""

from __future__ import annotations

import os
import sys

import click

from tracker.cli.loglines import for_terminal
from tracker.cli.main import Context, main, pass_ctx
from tracker.cli.output import OneWrite
from tracker.cli.render import safe_text, to_json
from tracker.cli.screen import fitted, moments, stdout_screen
from tracker.redact.scrub import redact_text
from tracker.rules.doctor import exit_code
from tracker.service.doctor import run_checks
from tracker.service.logs import configure as configure_logging


@main.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"ok": ..., "checks": [{"name", "state", "detail", "failed"}]}; '
    '"url" too in a line of a panel no longer in the config.',
)
@pass_ctx
def doctor(ctx: Context, as_json: bool) -> None:
    """Check the setup: config, database, each panel's answer and key source.

    Works on a broken config too: every problem gets its own line. Exit 1 if
    any check fails. The database is only read, never created or changed.
    """
    # Retry warnings would interleave with the report; --log-level shows them,
    # in the lines --log-format asks for (json: a monitor reads them); without
    # it, on a terminal, the lines for a person the other commands write.
    person = for_terminal() if ctx.log_format is None else None
    configure_logging(ctx.log_level or "error", ctx.log_format or "console", person=person)
    checks = run_checks(ctx.config_path, os.environ)
    code = exit_code(checks)
    if as_json:
        report = {
            "ok": code == 0,
            "checks": [
                {"name": c.name, "state": c.state, "detail": c.detail, "failed": c.failed}
                | ({"url": c.url} if c.url is not None else {})  # "name" says it too: kept
                for c in checks
            ],
        }
        click.echo(redact_text(to_json(report)))
    else:  # a check's detail may quote a panel: no control character shown raw
        screen, said = stdout_screen(), OneWrite()  # one write: `doctor | head -1` ends 0
        for check in checks:  # every check has run: one write holds none of them back
            line = safe_text(redact_text(check.line()))
            # On a terminal its moments as the other commands' notes say them.
            said(fitted(moments(line, screen), screen, INDENT))
        said.out()
    sys.exit(code)


# A long line wrapped at its words under the check's name, past its state
# ("FAIL "), as the other commands' notes: the terminal broke it anywhere, a
# word in two, on at column 0. Piped (no screen): one line a check.
INDENT = 5
