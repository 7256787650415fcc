"""A Datasette plugin registered by ``smm-tracker dashboard``: a canned query's defaults shown.

Datasette 0.65 opens a canned query with its fields empty and has no default
or placeholder for a parameter (its query page writes a bare text input per
parameter); the queries read an empty field as a default (24 hours, 30 days,
the order changed last), which the fields did not show. This hook adds, to a
canned query's page, a script that writes each field's default as its
placeholder, grey in the empty field: the ``placeholders`` of the query in
tracker/data/datasette.yml (a key Datasette leaves alone), by parameter.
And a canned query's page is Datasette's, read as a named report: named by
its title (the browser's tab, its history, a bookmark), where Datasette 0.65
names it "<database>: <its SQL>", 20 lines of SQL cut to "tracker: WITH
listed AS MATERIALIZED (SELECT * ..."; no "Custom SQL query returning 200
rows" over its fields (tracker/data/query.html says how).

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl

QUERY_TEMPLATE = "query.html"  # Datasette's page of a query, a canned one too
SCRIPT = """
(function (placeholders) {
  for (const [name, text] of Object.entries(placeholders)) {
    const field = document.querySelector(`form.sql input[name="${CSS.escape(name)}"]`);
    if (field && !field.placeholder) field.placeholder = text;
  }
})(%s);
"""


@hookimpl
def extra_body_script(template: str, database: Any, request: Any, datasette: Any) -> Any:
    if template != QUERY_TEMPLATE or request is None or "table" not in request.url_vars:
        return None

    async def script() -> str:
        name = request.url_vars["table"]
        query = await datasette.get_canned_query(database, name, request.actor)
        placeholders = (query or {}).get("placeholders")
        if not placeholders:
            return ""  # Datasette writes what it is given: None would be "None"
        # "<" written as \\u003c: no text of the metadata can close the <script>.
        return SCRIPT % json.dumps(placeholders).replace("<", "\\u003c")

    return script()


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    from importlib.resources import files

    from jinja2 import ChoiceLoader, DictLoader

    # Datasette's own query.html but for a canned query's page; it extends
    # "default:query.html", Datasette's own template however overridden.
    page = files("tracker.data").joinpath(QUERY_TEMPLATE).read_text(encoding="utf-8")
    env.loader = ChoiceLoader([DictLoader({QUERY_TEMPLATE: page}), env.loader])
