"""What a reload (SIGHUP) of the running daemon can apply, and how its
problems are said in one line. Decisions only: :mod:`tracker.service.process`
reads the new config and acts on them."""

from __future__ import annotations

from tracker.config.model import Config


def reload_blockers(old: Config, new: Config) -> list[str]:
    """Given the running config and a newly read one, return why a reload cannot
    apply it (empty when it can)."""
    problems = []
    if old.database.path != new.database.path:
        problems.append(
            f"database.path changed ({old.database.path} -> {new.database.path}): "
            "restart to use another database"
        )
    if old.metrics.listen != new.metrics.listen:
        problems.append("metrics.listen changed: restart to move the metrics endpoint")
    return problems


def summarize_problems(problems: list[str]) -> str:
    """Given a list of problems, return them as one short line."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]}{more}" if problems else "unknown problem"
