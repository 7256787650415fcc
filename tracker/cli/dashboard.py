"""``smm-tracker dashboard``: Datasette over the database, read-only.

The metadata shipped in tracker/data/datasette.yml (titles, descriptions,
canned queries, datasette-dashboards dashboards) is completed at start with the
database's name, the config's low-balance thresholds and the stylesheet
tracker/data/dashboard.css (the scorecard table on a phone), then served as
``datasette serve`` would, on a socket bound first (so ``--port 0`` prints the
port it got). Datasette opens a file it may not write to (``mode=ro``)
and, unlike ``--immutable``, still sees what the running daemon writes.
"""

from __future__ import annotations

import importlib
import os
import shlex
import socket
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from tracker.cli.bounds import PORT
from tracker.cli.database import database_option
from tracker.cli.main import EXIT_USAGE, Context, fail, handle_errors, main, pass_ctx
from tracker.cli.report import database_path, open_database

# The pip of the Python running this: a bare `pip` is often another one (the
# system's, refusing or installing beside the venv the command runs from).
INSTALL = (
    f"the dashboard needs Datasette: {shlex.quote(sys.executable)} -m pip install "
    "'smm-tracker[dashboard]'"
)
# sql_time_limit_ms: per query; Datasette's default is 1 s. suggest_facets:
# suggesting facets tries every column of a table page three ways (up to 50 ms
# each): 1.8 s of the orders page at 80k orders, for nothing suggested.
# facet_time_limit_ms: per facet; Datasette's default, 200 ms, left a busy
# reseller's pages saying "These facets timed out" (100k orders, 950k
# transitions: transitions' to_status 310 ms of CPU, order_overview's status
# 150 ms, daily_activity's panel 90 ms, more on a loaded host): a slower page
# beats one whose facets are missing (bench/dashboard_times.py).
SETTINGS = {"sql_time_limit_ms": 10_000, "suggest_facets": False, "facet_time_limit_ms": 1_000}
TEMPLATE_NAME = "tracker"  # the database's name as written in datasette.yml
NO_THRESHOLDS = "VALUES (NULL, NULL)"
# The scorecard's link to every service, as written in datasette.yml: the
# canned query listing the service_scorecard view's rows ranked as the
# scorecard ranks them, made the served database's (its name in a URL as
# Datasette writes it, tilde-encoded).
RANKED_QUERY = "every_service_ranked"
SCORECARD_LINK = f'href="/{TEMPLATE_NAME}/{RANKED_QUERY}"'


def datasette_installed() -> bool:
    """Return whether Datasette and datasette-dashboards can be imported."""
    try:
        importlib.import_module("datasette")
        importlib.import_module("datasette_dashboards")
    except ImportError:
        return False
    return True


def thresholds_sql(thresholds: dict[str, float]) -> str:
    """Given each panel's low-balance threshold, return the VALUES list of the
    balance chart's ``thresholds (panel, low)``."""
    if not thresholds:
        return NO_THRESHOLDS
    rows = (
        f"('{name.replace(chr(39), chr(39) * 2)}', {low!r})" for name, low in thresholds.items()
    )
    return "VALUES " + ", ".join(sorted(rows))


def build_metadata(database: str, thresholds: dict[str, float]) -> dict[str, Any]:
    """Given the database's name in Datasette and the panels' thresholds, return
    the metadata to serve it with."""
    import yaml  # a dependency of Datasette
    from datasette.utils import tilde_encode

    data = yaml.safe_load(files("tracker.data").joinpath("datasette.yml").read_text())
    # Inside the query's printf() format: each % of the URL written %%.
    link = f'href="/{tilde_encode(database)}/{RANKED_QUERY}"'.replace("%", "%%")
    data["databases"] = {database: data["databases"][TEMPLATE_NAME]}
    for board in data["plugins"]["datasette-dashboards"].values():
        for item in [*board.get("filters", {}).values(), *board["charts"].values()]:
            if item.get("db") == TEMPLATE_NAME:
                item["db"] = database
            if "query" in item:
                query = item["query"].replace(NO_THRESHOLDS, thresholds_sql(thresholds))
                item["query"] = query.replace(SCORECARD_LINK, link)
    # Inline: the page needs no route of its own to fetch it from.
    css = files("tracker.data").joinpath("dashboard.css").read_text()
    data["extra_css_urls"] = ["data:text/css;charset=utf-8," + quote(css)]
    return data


def listen(host: str, port: int) -> socket.socket:
    """Return a socket listening on ``host:port`` (port 0: one the system picks),
    to be handed to the server as it is: no other process can take the port in
    between, and the port to print is known. Exit with one line if it cannot be
    listened on (uvicorn would only log it and exit 3)."""
    if not host:  # `--host "$UNSET"`: no name getaddrinfo resolves
        fail("--host is empty: name an address to listen on, or leave the option out", EXIT_USAGE)
    try:
        # Resolved first: bind() reports a name it cannot resolve as a bare errno.
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        return socket.create_server((host, port), family=found[0][0])  # ::1 too
    except socket.gaierror as exc:
        fail(f"--host {host}: cannot resolve it to an address ({exc.strerror})", EXIT_USAGE)
    except UnicodeError as exc:  # no IDNA form: a format character, a label past 63
        from tracker.cli.render import safe_text
        from tracker.panel.values import said

        why = safe_text(exc.__cause__ or exc)
        fail(f"--host {said(host)}: not a host name or address ({why})", EXIT_USAGE)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        fail(f"cannot listen on {host}:{port}: {reason}")


READ_ONLY = b"the dashboard is read-only: it answers GET and HEAD, and writes nothing\n"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_only(app: Any) -> Any:
    """Wrap the ASGI ``app`` so that an HTTP request of any other method than
    GET, HEAD or OPTIONS is answered 405 before Datasette sees it: its pages
    answered a POST with 500 "Internal Server Error" (Datasette 0.65)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in _READS:
            await app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(READ_ONLY)).encode()),
            (b"allow", b"GET, HEAD, OPTIONS"),
        ]
        await send({"type": "http.response.start", "status": 405, "headers": headers})
        await send({"type": "http.response.body", "body": READ_ONLY})

    return wrapped


def serve(path: Path, metadata: dict[str, Any], sock: socket.socket) -> None:
    """Serve ``path`` with Datasette on the listening ``sock`` in this process
    until interrupted (as ``datasette serve`` would: the same app and server)."""
    import uvicorn
    from datasette.app import Datasette

    register_plugins()
    # Datasette's 1 s limit per query blanked the dashboard's cards on a large
    # database (the cards' queries load together); a slow card beats an empty one.
    app = read_only(Datasette([str(path)], metadata=metadata, settings=SETTINGS).app())
    # Warnings and errors only: uvicorn's "Started server process", "Waiting for
    # application startup"... lines at each start and stop, and a line per
    # request (a dashboard page makes dozens), said nothing the URL line had not.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", workers=1)
    _until_stopped(uvicorn.Server)(config).run(sockets=[sock])


def register_plugins() -> list[Any]:
    """Register the dashboard's own Datasette plugins (those not registered
    yet); return the ones this call registered (a test unregisters them).
    Imported only once Datasette is known to be installed."""
    from datasette.plugins import pm

    from tracker.cli import (
        datasette_columns,
        datasette_fields,
        datasette_figures,
        datasette_filters,
        datasette_links,
        datasette_money,
        datasette_times,
    )

    plugins = {
        "links": datasette_links,
        "filters": datasette_filters,
        "columns": datasette_columns,
        "money": datasette_money,  # money(), exact_total() in the SQL
        "fields": datasette_fields,  # a canned query's defaults shown
        "times": datasette_times,  # a time broken after its T alone
        "figures": datasette_figures,  # figures right-aligned, found by their values
    }
    added = []
    for name, plugin in plugins.items():
        if not pm.is_registered(plugin):
            pm.register(plugin, name=f"smm-tracker-{name}")
            added.append(plugin)
    return added


def _until_stopped(server: type[Any]) -> type[Any]:
    """Given uvicorn's Server class, return one a stop (Ctrl-C, SIGTERM) ends
    as a stop asked for: shut down, then exit 0, as demo and simulate do.
    uvicorn raises the signal again once it has shut down (since 0.29), so
    the dashboard ended "interrupted", 130, or killed by SIGTERM, 143: a
    failure to a script or a service manager that stopped it."""
    import signal
    import threading
    from contextlib import contextmanager

    class Server(server):
        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            stops = (signal.SIGINT, signal.SIGTERM)
            before = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
            try:
                yield
            finally:
                for sig, handler in before.items():
                    signal.signal(sig, handler)

    return Server


@main.command()
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=PORT,
    help="Port to listen on (0: any free port; the URL printed names it).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@database_option
@pass_ctx
@handle_errors
def dashboard(ctx: Context, port: int, host: str, database: Path | None) -> None:
    """Browse the database in Datasette, read-only: tables, views, canned queries
    and dashboards (needs the 'dashboard' extra)."""
    if not datasette_installed():
        fail(INSTALL, EXIT_USAGE)
    thresholds: dict[str, float] = {}
    if database is None:
        config = ctx.config(keys=False)
        for panel in config.panels:
            low = config.balance_low(panel)
            if low > 0:
                thresholds[panel.name] = float(low)
    path, _ = database_path(ctx, database, None)
    open_database(path).close()  # the views come with migration m010
    sock = listen(host, port)
    where = f"[{host}]" if ":" in host else host
    bound = sock.getsockname()[1]  # the real one, for --port 0 too
    from tracker.cli.screen import fitted, stdout_screen  # on a terminal, wrapped at its words

    said = f"dashboard of {path} at http://{where}:{bound}/-/dashboards (Ctrl-C stops)"
    click.echo(fitted(said, stdout_screen()))
    serve(path, build_metadata(path.stem, thresholds), sock)
