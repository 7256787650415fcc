"""The tree shows the architecture: imports point down the layers of
docs/architecture.md, no two modules import each other (directly or round a
circle), and no module outgrows a screenful of screenfuls."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
BASE = "(base)"  # the shared bottom modules directly under tracker/
BASE_MODULES = {
    "__init__",
    "__main__",
    "errors",
    "clock",
    "signals",
    "terminal",
}
MAX_LINES = 320  # the house guide says ~300


def layers() -> list[str]:
    """Return the layer names of docs/architecture.md, bottom first."""
    block = re.search(r"```layers\n(.*?)```", ARCHITECTURE.read_text(), re.S)
    assert block, "docs/architecture.md has no ```layers block"
    names = [line.split()[0] for line in block.group(1).splitlines() if line.strip()]
    return list(reversed(names))  # the page lists them top first


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return BASE  # tracker itself (the version)
    if len(parts) == 2 and (PACKAGE / f"{parts[1]}.py").exists():
        return "cli" if parts[1] == "__main__" else BASE
    return parts[1]


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """Return the tracker modules a file imports anywhere in it (TYPE_CHECKING
    blocks and function bodies count: they are dependencies all the same)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tracker"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("tracker"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {name for name in found if name in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def test_the_layers_are_the_packages():
    packages = {
        p.name
        for p in PACKAGE.iterdir()
        if (p / "__init__.py").exists() and len(list(p.glob("*.py"))) > 1  # data/: no code
    }
    assert set(layers()) - {BASE} == packages


def test_only_the_shared_bottom_modules_sit_beside_the_packages():
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose <= BASE_MODULES, f"move {sorted(loose - BASE_MODULES)} into a package"


def test_imports_point_down_the_layers():
    order = {name: rank for rank, name in enumerate(layers())}
    upward = [
        f"{importer} ({layer_of(importer)}) imports {imported} ({layer_of(imported)})"
        for importer, targets in graph().items()
        for imported in targets
        if order[layer_of(imported)] > order[layer_of(importer)]
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circles():
    edges = graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    circles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not circles, "\n".join(circles)


def test_no_module_is_too_long():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these along their seams: {long}"


def unlisted(doc: str) -> list[str]:
    """Return the modules of tracker/ that docs/architecture.md does not name:
    a package's module in that package's row of the table (`` `name.py` ``),
    a shared bottom module in the layers block."""
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)/` \|.*$", doc, re.M)}
    block = re.search(r"```layers\n(.*?)```", doc, re.S)
    bottom = block.group(1) if block else ""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) == 1:
            if parts[0] not in bottom:
                missing.append(parts[0])
        elif parts[-1] != "__init__.py" and f"`{parts[-1]}`" not in rows.get(parts[0], ""):
            missing.append("/".join(parts))
    return missing


def test_every_module_is_named_in_the_architecture_page():
    # A reader finds a module by its package's row: a new one must be there.
    doc = ARCHITECTURE.read_text()
    assert not unlisted(doc), f"name these in docs/architecture.md: {unlisted(doc)}"
    # and the check sees one left out
    assert "panel/sockets.py" in unlisted(doc.replace("`sockets.py`", "`socket.py`"))


def test_the_checks_see_a_violation():
    # The checks above would pass on an empty graph: prove the parser reads
    # this tree's imports (the CLI's config of a command imports the loader).
    edges = graph()
    assert "tracker.config.load" in edges["tracker.cli.configured"]
    assert layer_of("tracker.cli.main") == "cli"
    assert layer_of("tracker.errors") == BASE
    # The secret blanker is the bottom, under the base modules (terminal.py
    # imports it): an import of theirs, or of any layer, in it points up.
    assert layers()[:2] == ["redact", BASE]
    assert layer_of("tracker.redact.scrub") == layer_of("tracker.redact.forms") == "redact"
    assert "tracker.redact.layout" in edges["tracker.terminal"]


def test_no_source_holds_control_characters():
    # A regex's "\b" typed into a raw string as a real backspace (0x08) never
    # matches text: refusals.py read "API key: no access" as busy words.
    for path in sorted([*PACKAGE.rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        bad = sorted({hex(ord(c)) for c in text if ord(c) < 32 and c not in "\n\t"})
        assert not bad, f"{path.relative_to(ROOT)} holds control characters {bad}"


def test_a_packages_init_holds_a_docstring_and_nothing_else():
    # docs/architecture.md's house rule: importing one module of a package
    # never drags in its neighbours (tracker/__init__.py holds the version).
    for path in sorted(PACKAGE.glob("*/__init__.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        kinds = [type(node).__name__ for node in body]
        assert kinds == ["Expr"], f"{path.relative_to(ROOT)} holds code: {kinds}"
