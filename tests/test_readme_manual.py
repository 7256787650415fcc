"""README is the user's manual: what it names exists, and what exists it names.

Checked here, as a new user following it would find out: every key of
config.example.toml is documented, every table and view of a new database is
described in "Database", every command and flag of the CLI table exists,
every #anchor leads to a heading and every linked file is in the repository
(README, CHANGELOG and docs/, anchors into another page too),
doctor's example prints today's migration count, and every test
docs/real-panels.md's behaviour table cites exists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from tracker.cli.main import main
from tracker.service.doctor_database import known_migrations
from tracker.store.orders import Store

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PROSE = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)  # no code blocks


def example_keys() -> set[str]:
    """Return every key config.example.toml sets or shows commented out."""
    text = (ROOT / "config.example.toml").read_text()
    return set(re.findall(r"^\s*(?:#\s*)?([a-z_]+)\s*=", text, re.M))


def test_every_key_of_the_example_config_is_in_the_readme():
    undocumented = {k for k in example_keys() if not re.search(rf"\b{k}\b", README)}
    assert undocumented == set()


def test_every_table_and_view_is_described_with_its_columns(tmp_path):
    section = README[README.index("\n## Database") : README.index("\n## Reports and dashboard")]
    store = Store(tmp_path / "t.db")
    try:
        kinds = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        names = [r["name"] for r in store.rows(kinds)]
        columns = {n: [r["name"] for r in store.rows(f"PRAGMA table_info('{n}')")] for n in names}
    finally:
        store.close()
    words = set(re.findall(r"\w+", section))
    missing = {n: [c for c in cols if c not in words] for n, cols in columns.items()}
    del missing["_sqlite_migrations"]  # sqlite-utils' own record, named for its applied_at
    assert [n for n in names if f"`{n}`" not in section] == []
    assert {n: cols for n, cols in missing.items() if cols} == {}


def cli_section() -> str:
    """Return the README's CLI section."""
    return README[README.index("\n## CLI") : README.index("\n## How tracking works")]


def cli_rows() -> list[str]:
    """Return the first cell of each row of the CLI section's table."""
    return re.findall(r"^\| `([^`]+)` \|", cli_section(), re.M)


@pytest.mark.parametrize("row", cli_rows())
def test_every_command_and_flag_of_the_cli_table_exists(row):
    command = main.get_command(click.Context(main), row.split()[0])
    assert command is not None, row
    known = {o for p in [*command.params, *main.params] for o in p.opts + p.secondary_opts}
    assert [f for f in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", row) if f not in known] == []


def test_every_command_is_in_the_cli_table():
    listed = {row.split()[0] for row in cli_rows()}
    assert set(main.list_commands(click.Context(main))) - listed == set()


def test_each_row_of_the_cli_table_says_what_its_command_does_in_short():
    # The table is read in a narrow column on GitHub: a row is a sentence or
    # two and a link, its detail in the command's subsection under the table
    # (rows of up to 2,300 characters were a wall no one could search).
    rows = re.findall(r"^\| `([^`]+)` \| (.*) \|$", cli_section(), re.M)
    assert len(rows) == len(cli_rows())
    assert {command: len(said) for command, said in rows if len(said) > 300} == {}


def test_each_row_of_the_exit_codes_table_is_short():
    # A script's author looks a code up in the table: a row is its meaning in
    # a few words, the cases below the table (rows of up to 1,500 characters,
    # a pipe inside one splitting its cells, were read by no one).
    section = cli_section()[cli_section().index("\n### Exit codes, for scripts") :]
    rows = re.findall(r"^\| (\d+) \| (.*) \|$", section, re.M)
    assert [code for code, _ in rows] == ["0", "1", "2", "130", "141", "143"]
    assert {code: len(cells) for code, cells in rows if len(cells) > 100} == {}
    for code, _ in rows:  # each code's cases, below the table
        assert re.search(rf"^\*\*[^*\n]*\b{code}\b", section, re.M), code


def broken_code_spans(text: str) -> list[str]:
    """Return the places of ``text`` where a code span renders other than
    meant, as CommonMark reads it: a backtick run nothing closes (shown as a
    backtick), or a span closed early by a backtick inside it (a message
    quoted whole whose own words hold `ID`: its text glued to the span)."""
    text = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.S | re.M)
    found = []
    for para in re.split(r"\n\s*\n", text):
        at = 0
        while opening := re.compile(r"`+").search(para, at):
            if para[: opening.start()].endswith("\\"):  # an escaped backtick
                at = opening.start() + 1
                continue
            closing = re.compile(rf"(?<!`)`{{{len(opening[0])}}}(?!`)").search(para, opening.end())
            if closing is None:
                found.append(para[max(0, opening.start() - 40) : opening.end() + 40])
                at = opening.end()
                continue
            inside = para[opening.end() : closing.start()]
            before, after = para[opening.start() - 1 : opening.start()], para[closing.end() :][:1]
            glued = before.isalnum() and inside[:1].isspace()
            if glued or (after.isalnum() and inside[-1:].isspace()):
                found.append(para[max(0, opening.start() - 40) : closing.end() + 40])
            at = closing.end()
    return found


PAGES = [
    "README.md",
    "CHANGELOG.md",
    *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")),
]


@pytest.mark.parametrize("name", PAGES)
def test_every_code_span_renders_as_written(name):
    # A message quoted whole whose words hold a command in backticks needs a
    # longer fence, `` `smm-tracker track ID` tracks ... ``: written with one
    # backtick, GitHub showed its words as code and its command as text.
    text = (ROOT / name).read_text()
    assert broken_code_spans(text) == []
    # A wrapped line starting with '>' opens a block quote mid-paragraph.
    prose = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.S | re.M)
    assert re.findall(r"^ {0,3}>.*", prose, re.M) == []


def anchor(heading: str) -> str:
    """Return GitHub's #anchor for a heading's text."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_anchor_leads_to_a_heading_and_every_link_to_a_file():
    anchors = {anchor(h) for h in re.findall(r"^#+ (.*)$", PROSE, re.M)}
    assert [a for a in re.findall(r"\]\(#([^)]+)\)", README) if a not in anchors] == []
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert links and [p for p in links if not (ROOT / p).exists()] == []


def test_doctors_example_shows_the_latest_migration_a_new_database_has():
    latest = re.findall(r"schema current \((m\d+), the latest migration\)", README)
    assert latest and set(latest) == {known_migrations()[-1].partition("_")[0]}


def test_every_test_the_panel_behaviour_table_cites_exists():
    # docs/real-panels.md ends with every way real panels answer and the
    # tests that prove what the tracker does with it: a test renamed or
    # deleted would leave a row citing nothing.
    text = (ROOT / "docs" / "real-panels.md").read_text()
    table = text.split("## Every behaviour and its test", 1)[1]
    cited = re.findall(r"`(test_[a-z0-9_]+\.py)::([A-Za-z0-9_]+)`", table)
    assert len(cited) > 100
    defined: dict[str, set[str]] = {}  # each cited file read once
    for name in {name for name, _ in cited}:
        path = ROOT / "tests" / name
        tree = ast.parse(path.read_text()) if path.exists() else ast.Module([], [])
        defined[name] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    missing = [f"{name}::{test}" for name, test in sorted(set(cited)) if test not in defined[name]]
    assert missing == []


def broken_links(path: Path) -> list[str]:
    """Return each relative link of a Markdown file whose file or #anchor is not there."""
    broken = []
    prose = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, fragment = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(f"{path.name}: {target} (no such file)")
        elif fragment and linked.suffix == ".md":
            text = re.sub(r"^```.*?^```", "", linked.read_text(), flags=re.S | re.M)
            if fragment not in {anchor(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}:
                broken.append(f"{path.name}: {target} (no such heading)")
    return broken


def test_every_link_of_the_docs_leads_to_a_file_and_a_heading_in_it(tmp_path):
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert [b for page in pages for b in broken_links(page)] == []
    # The check itself finds a heading that is not there, in the page or another.
    (tmp_path / "a.md").write_text("# A\n\n[ok](#a) [gone](#b) [other](b.md#b) [away](c.md)\n")
    (tmp_path / "b.md").write_text("# B one\n")
    assert broken_links(tmp_path / "a.md") == [
        "a.md: #b (no such heading)",
        "a.md: b.md#b (no such heading)",
        "a.md: c.md (no such file)",
    ]
