"""docs/log-events.md names every event the tracker logs, at its levels, and
no event the code no longer logs: operators filter the journal by these names.

The events are read from the source, not from a run: an AST walk of tracker/
finds every call of a logger's level method (``log.warning("name", ...)``,
``(log.debug if told else log.error)(NAME, ...)``, a name bound to one,
``told = log.debug if ... else log.warning``, or returned by a helper, as
``told_at()``) and the indirect ways listed below, each by its shape. A call
whose event cannot be read (``log.warning(event)``) must be one of those ways:
a new one fails here, naming its line, until it is listed."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
DOC = ROOT / "docs" / "log-events.md"
LEVELS = ("debug", "info", "warning", "error", "critical")
METHODS = {**{level: level for level in LEVELS}, "exception": "error"}

# The calls whose event is a variable, each one of the indirect ways below
# (path, the event argument as ast.unparse writes it).
READ_ELSEWHERE = {
    ("tracker/jobs/tracker.py", "f'{ended.line}_ended'"),  # ToldLines: told_at() below
    ("tracker/panel/interpret.py", "line"),  # tell_quirk(LINE, key)
    ("tracker/store/write_waits.py", "told.event"),  # rules/slow_writes.py's events
}
# write_waits.py logs a slow write's line under the event rules/slow_writes.py
# judged: SLOW at warning, ENDED at info.
SLOW_WRITES = {"database_write_slow": {"warning"}, "database_write_slow_ended": {"info"}}

Events = dict[str, set[str]]  # event -> its levels


def _is_logger(node: ast.expr) -> bool:
    """``log`` or ``structlog.get_logger(...)``."""
    if isinstance(node, ast.Name):
        return node.id == "log"
    return isinstance(node, ast.Call) and ast.unparse(node.func).endswith("get_logger")


def _levels(node: ast.AST) -> set[str]:
    """The levels of the logger methods named anywhere in ``node``."""
    return {
        METHODS[n.attr]
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and n.attr in METHODS and _is_logger(n.value)
    }


@cache
def _nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.walk(node)``, as a list walked once: the walks below go through
    each function's nodes several times (and a nested function's again in
    its enclosing one's), ~3 s of the test when each walk was done anew."""
    return list(ast.walk(node))


def _modules() -> dict[str, ast.Module]:
    return {
        str(p.relative_to(ROOT)): ast.parse(p.read_text(), str(p))
        for p in sorted(PACKAGE.rglob("*.py"))
    }


def _constants(modules: dict[str, ast.Module]) -> dict[str, str]:
    """Every module-level ``NAME = "text"`` of the package."""
    found = {}
    for tree in modules.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        found[target.id] = node.value.value
    return found


def _factories(modules: dict[str, ast.Module]) -> dict[str, set[str]]:
    """Functions returning a logger's method (``told_at``), with its levels."""
    found: dict[str, set[str]] = {}
    for tree in modules.values():
        for fn in _nodes(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                returns = [r.value for r in _nodes(fn) if isinstance(r, ast.Return)]
                levels = set().union(*(_levels(value) for value in returns if value))
                if levels:
                    found[fn.name] = levels
    return found


def _literal(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _tellers(fn: ast.AST, factories: dict[str, set[str]]) -> dict[str, set[str]]:
    """Names bound in ``fn`` to a logger's method, with its levels."""
    found: dict[str, set[str]] = defaultdict(set)
    for node in _nodes(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if not isinstance(target, ast.Name):
                continue
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                found[target.id] |= factories.get(value.func.id, set())
            elif not isinstance(value, ast.Call):
                found[target.id] |= _levels(value)
    return {name: levels for name, levels in found.items() if levels}


def _indirect(call: ast.Call, constants: dict[str, str], factories: dict[str, set[str]]) -> Events:
    """The events of the indirect ways, read from a call's shape."""
    name = ast.unparse(call.func)
    args = [_literal(a, constants) for a in call.args]
    keywords = {k.arg: _literal(k.value, constants) for k in call.keywords}
    found: Events = defaultdict(set)
    if name == "FewLines" and len(args) >= 3 and args[2]:
        # the first lines at a level, the rest at debug; one <event>_many (or many=)
        levels = _levels(call.args[0]) | _levels(call.args[1])
        found[args[2]] |= levels
        many = keywords.get("many") or (args[5] if len(args) > 5 else None) or f"{args[2]}_many"
        found[many] |= _levels(call.args[0])
    elif name == "tell_named" and len(args) >= 3 and args[2]:
        # jobs/few_lines.py: one line at a level, any more orders at debug
        found[args[2]] |= _levels(call.args[0]) | _levels(call.args[1])
    elif name.endswith(".tell_quirk") and args and args[0]:
        found[args[0]] |= {"warning", "debug"}  # panel/interpret.py: at debug once told
    elif isinstance(call.func, ast.Name) and call.func.id in factories:
        # told_at(client, LINE): a ToldLines line, its episode ended by <line>_ended: jobs/tracker
        for line in (a for a in args[1:2] if a):
            found[f"{line}_ended"] |= {"info"}
    return found


@cache
def logged_events() -> tuple[Events, list[str]]:
    """Every event the package logs with its levels, and the calls whose event
    could not be read that are no indirect way listed here."""
    modules = _modules()
    constants, factories = _constants(modules), _factories(modules)
    events: Events = defaultdict(set)
    unread: list[str] = []
    for path, tree in modules.items():
        tellers: dict[int, dict[str, set[str]]] = {}  # call id -> its function's tellers
        for fn in _nodes(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                bound = _tellers(fn, factories)
                for node in _nodes(fn):
                    tellers.setdefault(id(node), {}).update(bound)
        for call in _nodes(tree):
            if not isinstance(call, ast.Call):
                continue
            for event, levels in _indirect(call, constants, factories).items():
                events[event] |= levels
            func, arg = call.func, call.args[0] if call.args else None
            if isinstance(func, ast.Attribute) and func.attr == "log" and _is_logger(func.value):
                arg, levels = call.args[1], _log_levels(call.args[0])
            elif isinstance(func, ast.Name):
                levels = tellers.get(id(call), {}).get(func.id, set())
            elif isinstance(func, ast.Attribute) and not _is_logger(func.value):
                levels = set()
            else:
                levels = _levels(func)
            if not levels:
                continue
            event = _literal(arg, constants)
            if event is not None:
                events[event] |= levels
            elif (path, ast.unparse(arg) if arg else "") not in READ_ELSEWHERE:
                unread.append(f"{path}:{call.lineno}: {ast.unparse(call)[:100]}")
    for event, levels in SLOW_WRITES.items():
        events[event] |= levels
    return dict(events), unread


def _log_levels(node: ast.expr) -> set[str]:
    """``log.log(40 if ... else 30, ...)``: the levels of its numbers."""
    names = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
    numbers = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
    return {names[n] for n in numbers if n in names}


def documented() -> Events:
    """The doc's events: each row of its tables starting with an event in
    backquotes, its levels the level words of its second cell."""
    found: Events = {}
    for line in DOC.read_text().splitlines() if DOC.exists() else ():
        if row := re.match(r"\|\s*`([a-z][a-z0-9_]*)`\s*\|([^|]*)\|", line):
            found[row.group(1)] = set(re.findall(r"\b(" + "|".join(LEVELS) + r")\b", row.group(2)))
    return found


def test_every_logged_event_is_documented_and_every_documented_event_logged():
    events, unread = logged_events()
    cannot = "log calls whose event this test cannot read (list their way here):\n"
    assert not unread, cannot + "\n".join(unread)
    doc = documented()
    missing = sorted(set(events) - set(doc))
    gone = sorted(set(doc) - set(events))
    assert not missing, f"events logged but not in docs/log-events.md: {', '.join(missing)}"
    assert not gone, f"events in docs/log-events.md the code no longer logs: {', '.join(gone)}"


def test_documented_levels_are_those_the_code_logs_at():
    events, _ = logged_events()
    doc = documented()
    wrong = [
        f"{e}: logged at {', '.join(sorted(events[e]))}; "
        f"the doc says {', '.join(sorted(doc[e])) or 'none'}"
        for e in sorted(set(events) & set(doc))
        if events[e] != doc[e]
    ]
    assert not wrong, "docs/log-events.md gives wrong levels:\n" + "\n".join(wrong)


# An episode's end: good news, at info (debug when it says nothing new). The
# alert event is no such line: a recovery alert is logged at warning, as every
# alert (tracker/alerts/alerter.py says why).
ENDINGS = re.compile(r"_(recovered|ended|resumed|supported_again)$")


def test_every_line_ending_an_episode_is_good_news_at_info():
    # panel_resumed and balance_supported_again were warnings, where every
    # other recovery (status_reask_failed_ended, database_write_slow_ended,
    # unknown_status_resumed, multi_status_supported_again) was info.
    events, _ = logged_events()
    endings = {e: levels for e, levels in events.items() if ENDINGS.search(e)}
    assert "panel_resumed" in endings and "database_write_slow_ended" in endings
    loud = {e: sorted(levels) for e, levels in endings.items() if levels - {"info", "debug"}}
    assert not loud, f"episode ends logged louder than info: {loud}"


def test_the_walk_finds_the_events_readme_names():
    """The walk reads each way events are logged: one event of each."""
    events, _ = logged_events()
    for event in (
        "poll_done",  # (log.info if changed else log.debug)("poll_done")
        "panel_retry",  # told = log.warning if ... else log.debug
        "balance_failed",  # a constant of rules/failing_jobs.py
        "order_charge_changed_many",  # FewLines
        "order_charge_raised_many",  # FewLines(..., many=)
        "status_reask_failed_ended",  # told_at(): ToldLines
        "absurd_number",  # tell_quirk
        "panel_answers_part_of_each_call",  # tell_quirk
        "database_write_slow_ended",  # rules/slow_writes.py
        "alert",  # log.log(level, "alert")
    ):
        assert event in events, event
