"""Plain-text and JSON rendering for the CLI. Pure: rows in, text out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return str(obj)
        if isinstance(obj, set | frozenset | tuple):
            return list(obj)
        return str(obj)

    return json.dumps(value, indent=2, default=default, ensure_ascii=False)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None
) -> str:
    """Given rows and the columns to show, return an aligned text table."""
    heads = list(headers or columns)
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    for row_cells in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row_cells, widths, strict=True)).rstrip())
    return "\n".join(lines)


def transition_line(t: dict[str, Any]) -> str:
    """Given a transition row, return one human line: "main #23501  Pending -> In progress"."""
    before = t.get("from_status") or "(first seen)"
    extra = []
    remains = t.get("remains")
    if remains is not None:
        # Panels report over-delivery as negative remains: -2 means 2 extra.
        extra.append(f"remains {remains}" if remains >= 0 else f"over-delivered +{-remains}")
    if t.get("charge") is not None:
        extra.append(f"charge {t['charge']:g}")
    tail = f"  ({', '.join(extra)})" if extra else ""
    at = str(t.get("at", ""))[11:19]
    return f"{at}  {t['panel']} #{t['order_id']}  {before} -> {t['to_status']}{tail}"


def alert_line(alert: Any) -> str:
    """Given an alert (kind, message, at), return one human line, aligned with
    :func:`transition_line`: "10:42:57  ALERT  main: order #23503 partial (...)"."""
    at = alert.at.isoformat()[11:19] if alert.at is not None else ""
    return f"{at}  ALERT  {alert.message}"
