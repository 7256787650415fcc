"""``smm-tracker simulate``: the built-in panel on loopback, to practise on.

It serves the same simulated panel as ``demo`` (:mod:`tracker.sim.server`)
until Ctrl-C or SIGTERM, and can write a tracker.toml that points at it.
"""

from __future__ import annotations

import os
import secrets
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import click

from tracker.cli.bounds import PORT, FiniteNumber
from tracker.cli.file_args import FileToWrite
from tracker.cli.main import EXIT_FAILED, EXIT_USAGE, Context, fail, handle_errors, main, pass_ctx
from tracker.cli.render import safe_text
from tracker.cli.simulate_config import KEY_ENV, config_text, drops_note, panel_block
from tracker.config.load import load_config, read_toml
from tracker.config.places import tidied
from tracker.errors import ConfigError
from tracker.signals import Stop
from tracker.store.ids import largest_order_id, largest_refill_id

DEFAULT_PORT = 8484
SEEDED = 5  # orders already on the panel at start, for `track`


def first_order_id(databases: list[Path]) -> int:
    """Given the databases the simulator may be used with, return the first order ID
    it hands out: past the largest one they track, else a random high base, so
    a new simulator's orders are never taken for old ones."""
    known = [n for n in (largest_order_id(p) for p in databases) if n is not None]
    if known:
        return max(known) + 1
    return (100 + secrets.randbelow(900)) * 1000 + 1


def first_refill_id(databases: list[Path]) -> int:
    """Given the databases the simulator may be used with, return the first refill
    ID it hands out: past the largest one they hold, else the panel's own 12345,
    so a restarted simulator's refill 12345 is never followed as an old one's."""
    known = [n for n in (largest_refill_id(p) for p in databases) if n is not None]
    return max([_FIRST_REFILL - 1, *known]) + 1


_FIRST_REFILL = 12345  # the simulated panel's first refill ID (README's examples)


def _databases(ctx: Context, config_out: Path | None) -> list[Path]:
    """The databases this simulator is pointed at: the config's (if one is found)
    and the one a written config would use."""
    found = []
    if config_out is not None:
        found.append(config_out.parent / "tracker.db")
    try:
        found.append(load_config(ctx.config_path, os.environ, resolve_keys=False).database.path)
    except ConfigError:
        if ctx.config_path is not None:
            raise  # a config the user named must be right
    return found


def _exists(written: Path, port: int) -> str:
    """An existing --config-out's words: serve it again on its sim's port, else the asked one."""
    try:
        panels = read_toml(written)["panels"] if written.is_file() else []  # no FIFO read
        port = next(urlsplit(str(p["url"])).port or port for p in panels if p["name"] == "sim")
    except (ConfigError, OSError, ValueError, LookupError, TypeError, StopIteration):
        pass  # unreadable, no panel sim, a URL without a port or a bad one: the one asked
    return (
        f"{safe_text(written)} already exists; not overwriting it (leave --config-out out to"
        f" serve it again, with the same --port {port} and --key (or ${KEY_ENV}))"
    )


@main.command()
@click.option(
    "--port",
    type=PORT,
    default=DEFAULT_PORT,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--key",
    envvar=KEY_ENV,
    metavar="K",
    help=f"API key the panel accepts (default: ${KEY_ENV}, else a random one).",
)
@click.option(
    "--speed",
    default=10.0,
    show_default=True,
    type=FiniteNumber(0.1, 3600),
    help="Seconds per delivery stage (an order takes about four).",
)
@click.option(
    "--config-out",
    type=FileToWrite(),
    metavar="PATH",
    help="Write a tracker.toml pointing at this panel (never overwrites a file).",
)
@click.option(
    "--quirk",
    "quirks",
    multiple=True,
    metavar="NAME[=VALUE]",
    help="Behave like a real panel script (repeatable): key_refusal=TEXT, notices=html|plain, "
    "misfiled, missing_actions=refill,refill_status,cancel,balance, generic_refusal=TEXT, "
    "empty_catalogue=error|list, pending_remains_zero, whole_call_refusal, twice_listed, "
    "rate_limit=N (requests a minute, said in X-RateLimit-* headers; a 429 past it), "
    "late_refund=SECONDS (a Partial or Canceled order charged in whole that long after it ended), "
    "drops=SHARE (an ended order's count drops by up to SHARE, 0.2 = 20%, each simulated "
    "day: six --speed stages, the panel's refill cooldown one such day, its window the days "
    "a service's name guarantees, else 30).",
)
@click.option(
    "--currency",
    default="USD",
    show_default=True,
    metavar="CODE",
    help="The currency its balance and charges are in: a code (3 to 5 letters: EUR, RUB, "
    "USDT...) or a panel's own label, written as given ($, ₽, руб).",
)
@pass_ctx
@handle_errors
def simulate(
    ctx: Context,
    port: int,
    key: str | None,
    speed: float,
    config_out: Path | None,
    quirks: tuple[str, ...],
    currency: str,
) -> None:
    """Run the built-in simulated panel on 127.0.0.1 until Ctrl-C, to practise on."""
    from tracker.sim.panel import HANDLERS
    from tracker.sim.scripts import in_use, quirks_from

    try:
        script = quirks_from(quirks)
    except ValueError as exc:
        fail(f"--quirk: {exc}", EXIT_USAGE)
    # A typo ("refil") would leave that action there, without a word.
    if unknown := [a for a in script.missing_actions if a not in HANDLERS]:
        shown = ", ".join(map(repr, unknown))
        fail(
            f"--quirk: missing_actions: no action {shown} (known: {', '.join(HANDLERS)})",
            EXIT_USAGE,
        )
    currency = _currency(currency)
    if key is not None and (not key.strip() or any(c.isspace() for c in key)):
        fail("--key must be non-empty and without spaces", EXIT_USAGE)
    random_key = not key
    key = key or secrets.token_urlsafe(18)
    written = Path()  # the file written, said as init says its file: absolute, tidied
    if config_out is not None:
        if str(config_out) == "-":  # no stdout here: the panel's own lines are on it
            fail("--config-out -: name the file to write (./- for a file named '-')", EXIT_USAGE)
        written = tidied(config_out)
        if config_out.exists():
            fail(_exists(written, port), EXIT_USAGE)
        if not config_out.parent.is_dir():
            fail(f"directory {safe_text(written.parent)} does not exist", EXIT_USAGE)
    databases = _databases(ctx, config_out)
    first = first_order_id(databases)

    from tracker.service.signals import stop_signals
    from tracker.sim.refills import DAY, DAY_STAGES
    from tracker.sim.server import SERVICE_FOLLOWERS, PanelServer

    # With drops, a simulated day: the drops' pace and the panel's refill rules.
    day = DAY_STAGES * speed if script.drops else DAY
    try:
        server = PanelServer(
            key=key,
            port=port,
            speed=speed,
            seed=first,
            balance="1000",
            currency=currency,
            first_order_id=first,
            first_refill_id=first_refill_id(databases),
            script=script,
            day=day,
            refill_cooldown=day,
            refill_days=30 * day / DAY,
        )
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port 0", EXIT_FAILED)
    seeded = server.panel.seed_orders(SEEDED, service=SERVICE_FOLLOWERS, quantity=1000)
    stop = Stop()  # marked asked by a stop signal's handler, set by a thread of its own
    with stop_signals(stop), server:
        if config_out is not None:  # before the panel is announced: a failure ends it
            try:
                with config_out.open("x", encoding="utf-8") as out:
                    out.write(config_text(server.url, day if script.drops else None))
            except FileExistsError:
                fail(_exists(written, port), EXIT_USAGE)
            except OSError as exc:
                fail(f"cannot write {safe_text(written)}: {exc.strerror}", EXIT_FAILED)
        from tracker.cli.screen import fitted, stdout_screen

        screen = stdout_screen()  # on a terminal, the lines of words wrapped at its width
        click.echo(f"simulated panel at {server.url}")
        click.echo(f"key: {key}")
        click.echo(f"currency: {safe_text(currency)} (its balance and charges)")
        click.echo(fitted(f"quirks: {safe_text(', '.join(in_use(script)) or 'none')}", screen))
        ids = f"{', '.join(map(str, seeded))} (new orders get IDs from {seeded[-1] + 1})"
        click.echo(fitted(f"orders already on it: {ids}", screen))
        if config_out is not None:
            # Absolute: the other shell, where the tracker runs, may be anywhere.
            click.echo(fitted(f"config written to {safe_text(written)}; in another shell:", screen))
            click.echo(f"  export {KEY_ENV}={shlex.quote(key)}")
            click.echo(safe_text(f"  smm-tracker --config {shlex.quote(str(written))} doctor"))
        elif random_key:  # a new key each start: the tracker's shell holds the last one
            click.echo(f"a new key; where the tracker runs: export {KEY_ENV}={shlex.quote(key)}")
        if config_out is None:  # a panel beside others: the block to paste, not prose
            click.echo("to track it from a config of your own, add:")
            click.echo(panel_block(server.url))
        if script.drops:
            click.echo(fitted(drops_note(script.drops, day, config_out is not None), screen))
        click.echo("serving until Ctrl-C")
        while not stop.wait(0.5):
            pass
    click.echo("simulated panel stopped")


def _currency(given: str) -> str:
    """Given --currency, return the label the panel answers: a code as
    automation.daily_cap_currency takes one, 3 to 5 letters, upper-cased
    (USDT); or a panel's own label as it takes one ("$", "руб"), as given,
    but for plain letters and digits that are no code ("EU", "E1R": a typo)."""
    from tracker.config.automation import LABEL_LONGEST, is_code, writable_label

    label = given.strip()
    if is_code(label):
        return label.upper()
    if writable_label(label) and not (label.isascii() and label.isalnum()):
        return label
    fail(
        "--currency must be a code of 3 to 5 letters (USD, EUR, RUB, USDT...), or a panel's "
        f"own label with a sign or a letter beyond ASCII in it ($, ₽, руб), up to {LABEL_LONGEST} "
        "characters",
        EXIT_USAGE,
    )
