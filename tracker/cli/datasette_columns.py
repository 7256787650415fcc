"""A Datasette plugin registered by ``smm-tracker dashboard``: a table's column notes folded.

Datasette lists the description of every column of a table or view above its
rows: the 28 of Orders took two screens of a laptop, and a person who opened
the table saw a glossary, its rows out of sight. This hook adds, to table and
view pages only, a script that folds that list into a closed "What each
column means (28 columns)" disclosure, the rows under it; each description
is also in its column's menu (the cog by its name), as Datasette has it.

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

from datasette import hookimpl

TABLE_TEMPLATE = "table.html"  # Datasette's page of a table or a view
SCRIPT = """
(function () {
  const list = document.querySelector("dl.column-descriptions");
  if (!list || list.closest("details")) return;
  const fold = document.createElement("details");
  fold.className = "column-descriptions-fold";
  const title = document.createElement("summary");
  const columns = list.querySelectorAll("dt").length;
  title.textContent = `What each column means (${columns} column${columns === 1 ? "" : "s"})`;
  list.replaceWith(fold);
  fold.append(title, list);
})();
"""


@hookimpl
def extra_body_script(template: str) -> str | None:
    return SCRIPT if template == TABLE_TEMPLATE else None
