"""A Datasette plugin registered by ``smm-tracker dashboard``: the filters' "all" choice is named.

datasette-dashboards renders the choice that sets no filter as a blank
option, so the Panel filter of a fresh page showed an empty box. This hook
adds, to the dashboards' pages only, a script that labels that blank option
("all panels"); its value stays empty, so choosing it still sets no filter.
The same script keeps each filter's select within the page's width.

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

import json

from datasette import hookimpl

DASHBOARD_TEMPLATE = "dashboard_view.html"  # datasette-dashboards' page of one dashboard
# The label of each select filter's blank choice, by the filter's key in datasette.yml.
ALL_LABELS = {"panel": "all panels"}
SCRIPT = """
(function (labels) {
  for (const [key, label] of Object.entries(labels)) {
    const blank = document.querySelector(`.dashboard-filters select#${key} option[value=""]`);
    if (blank && !blank.textContent.trim()) blank.textContent = label;
  }
  // A select is as wide as its longest choice: a 53-character panel name took
  // the Panel filter past the right edge of a phone's screen.
  // (A fieldset is at least as wide as what it holds, unless told otherwise.)
  for (const select of document.querySelectorAll(".dashboard-filters select")) {
    select.style.maxWidth = "100%%";
    const box = select.closest("fieldset");
    if (box) box.style.minWidth = "0";
  }
})(%s);
"""


@hookimpl
def extra_body_script(template: str) -> str | None:
    if template != DASHBOARD_TEMPLATE:
        return None
    return SCRIPT % json.dumps(ALL_LABELS)
