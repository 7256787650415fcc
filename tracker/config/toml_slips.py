"""tomllib's words for a config's slip, as said to its user: a table
written twice by its name (when the config has it), and the fix of the slips
a config written by hand makes, never its line nor a value (it may hold the
API key)."""

from __future__ import annotations

import re

# tomllib's words for the slips of a config written by hand, what to write
# instead (``{form}``: the form, with the key of the line when it is one of the
# config's own, never the line nor its value: it may hold the API key), and
# what to write when no "key =" comes before the slip on its line.
_TOML_FIXES = (
    ("Invalid value", "write text in double quotes, as in {form}", ""),
    (
        "Expected newline or end of document",
        "write text in double quotes, as in {form}",
        "one setting or [table] per line?",
    ),
    ("Cannot overwrite a value", "a key set twice in its table? keep one", ""),
)
# A table written twice: [[panels]] then [panels] is a panel missing a bracket.
_PANELS_TWICE = "each panel is its own [[panels]], with two brackets"
# tomllib's "Cannot declare ('panels', 'x') twice": said "[panels.x] written twice".
_TWICE = re.compile(r"^Cannot declare (\(.*\)) twice (\(at [^()]*\))$")
# A key alone on its line (a value pasted alone reads as one): the key, when
# nothing but it comes before the slip (at the line's start or in {...}).
_BARE = "Expected '=' after a key"
_BARE_KEY = re.compile(r"(?:^|[{,])\s*([a-z_]+)\s*$")
_AT = re.compile(r"\(at line (\d+), column (\d+)\)$")
# The key whose value the slip is in: the last "key =" before the column (in
# an inline table too), and whether its value is an array.
_KEY_BEFORE = re.compile(r"(?:^|[\s{,])([a-z_]+)\s*=\s*(\[?)[^=]*$")
_MADE_UP = 'name = "main"'
# tomllib's "Cannot overwrite a value" at a [[table]] line: its name came
# before as a [table] or a key (a [panels] then a [[panels]]), not a key twice.
_OVERWRITE = "Cannot overwrite a value"
_LISTED = re.compile(r"^\s*\[\[\s*([a-z_]+)\s*$")
# A text whose closing quote was left out: tomllib's words for it, in double
# quotes (at its line's end, at the file's) and in single quotes (a quote
# later in the file, none).
_UNCLOSED = (
    "Illegal character '\\n'",
    "Unterminated string",
    "Found invalid character '\\n'",
    'Expected "\'"',
)
_UNCLOSED_FIX = "a text without its closing quote? end it on its own line, as in"
# A value that is right, then "," or ";" (JSON's, a language's).
_AFTER_VALUE = "Expected newline or end of document after a statement"
_TRAILING = ",;"
_DROP = "nothing goes after a setting's value on its line but a # comment: drop the"
# Python's True: TOML's booleans are lower case alone.
_BOOLEAN = re.compile(r"(?i)(?:true|false)(?![A-Za-z0-9_-])")
# A Windows path's backslash in double quotes.
_ESCAPE = "Unescaped '\\' in a string"


def toml_fix(message: str, text: str) -> str:
    """Given tomllib's message and the file's text, return ": " and the fix of
    the slip it names, or "" for one without a known fix."""
    if message.startswith(_BARE):
        line = _slip_line(message, text)
        key = _BARE_KEY.search(line) if line is not None else None
        bare = f'{key[1]} = "..."' if key and key[1] in _config_keys() else _MADE_UP
        return (
            f': a line without "= value"? each setting is key = value, as in {bare} '
            "(a value pasted alone goes after its key's =)"
        )
    if message.startswith(_OVERWRITE) and (listed := _listed_name(message, text)) is not None:
        return f": {_listed_fix(listed)}"
    if message.startswith(_UNCLOSED):
        return f": {_UNCLOSED_FIX} {_quoted_form(message, text) or _MADE_UP}"
    rest = _slip_rest(message, text)
    if message.startswith(_AFTER_VALUE) and rest[:1] and rest[0] in _TRAILING:
        return f": {_DROP} '{rest[0]}'"
    if message.startswith("Invalid value") and _BOOLEAN.match(rest):
        named = _line_key(message, text)
        said = f", as in {named} = true" if named in _config_keys(r"(?:true|false)") else ""
        return f": write true or false in lower case{said}"
    if message.startswith(_ESCAPE):
        named = _line_key(message, text) or "path"
        return (
            ": a \\ in double quotes starts an escape: write the text in single quotes, "
            f"as in {named} = '...', or each \\ as \\\\"
        )
    for words, fix, keyless in _TOML_FIXES:
        if message.startswith(words):
            if (form := _quoted_form(message, text)) is None and keyless:
                return f": {keyless}"
            return ": " + fix.format(form=form or _MADE_UP)
    return ""


def _listed_name(message: str, text: str) -> str | None:
    """Given tomllib's message and the file's text, return the name of the
    [[table]] the slip is at ("" for one none of the config's), or None when
    the slip is not at a [[table]]."""
    line = _slip_line(message, text)
    if line is None or not line.lstrip().startswith("[["):
        return None
    found = _LISTED.match(line)
    return found[1] if found and found[1] in _config_keys() else ""


def _listed_fix(name: str) -> str:
    """Given the name of a [[table]] whose name came before (one of the
    config's, or ""), return the fix: a panel is [[panels]]; another table of
    the config takes one bracket; another name is said as "a [[table]]"."""
    if name == "panels":
        return f"a panel written [panels], with one bracket, before this one? {_PANELS_TWICE}"
    if name:
        return f"[{name}] is one table, with one bracket: merge the two into one [{name}]"
    return "a [[table]] named as a [table] or a key before it? give each its own name"


def _quoted_form(message: str, text: str) -> str | None:
    """Given tomllib's message and the file's text, return the form of a value
    in quotes for the key the slip is at (``status_every = "..."``) when it is
    one of the config's keys, else a made-up one (``name = "main"``); None when
    no "key =" comes before the slip on its line."""
    line = _slip_line(message, text)
    if line is None:
        return _MADE_UP
    found = _KEY_BEFORE.search(line)
    if found is None:
        return None
    if found[1] not in _config_keys():
        return _MADE_UP
    return f'{found[1]} = ["...", "..."]' if found[2] else f'{found[1]} = "..."'


def _slip_line(message: str, text: str) -> str | None:
    """Given tomllib's message and the file's text, return the line of the
    slip up to its column, or None when the message names no line of it."""
    at = _AT.search(message)
    lines = text.split("\n")  # tomllib counts lines by "\\n" alone
    if at is None or not 0 < int(at[1]) <= len(lines):
        return None
    return lines[int(at[1]) - 1][: int(at[2]) - 1]


def _slip_rest(message: str, text: str) -> str:
    """Given tomllib's message and the file's text, return the line of the
    slip from its column on ("" when the message names no line of it)."""
    at = _AT.search(message)
    lines = text.split("\n")
    if at is None or not 0 < int(at[1]) <= len(lines):
        return ""
    return lines[int(at[1]) - 1][int(at[2]) - 1 :]


def _line_key(message: str, text: str) -> str | None:
    """Given tomllib's message and the file's text, return the key whose
    value the slip is in when it is one of the config's, else None."""
    line = _slip_line(message, text)
    found = _KEY_BEFORE.search(line) if line is not None else None
    return found[1] if found and found[1] in _config_keys() else None


def toml_words(message: str) -> str:
    """Given tomllib's message, return it as said: "Cannot declare ('panels',
    'x') twice" as "[panels.x] written twice" (a table the config has; "a
    table" for another, its name never said back: it may be a pasted key)
    and the fix for that table."""
    found = _TWICE.match(message)
    if found is None:
        return message
    import ast  # a TOML slip only

    try:  # tomllib's repr of the names: ('panels', 'x')
        names = ast.literal_eval(found[1])
    except (ValueError, SyntaxError):
        names = ()
    known = bool(names) and all(name in _config_keys() for name in names)
    table = f"[{'.'.join(names)}]" if known else "a table"
    fix = "merge the two into one" + (f" {table}" if known else "")
    return f"{table} written twice {found[2]}: {_PANELS_TWICE if table == '[panels]' else fix}"


def _config_keys(value: str = "") -> set[str]:
    """Return the keys and tables of the config: those the packaged example
    sets or shows commented out (it shows each one); given a ``value``
    pattern, only the keys it shows set to a value matching it."""
    from importlib.resources import files  # a TOML slip only

    example = files("tracker.data").joinpath("config.example.toml").read_text(encoding="utf-8")
    keys = re.findall(rf"^\s*(?:#\s*)?([a-z_]+)\s*=\s*{value}", example, re.M)
    if value:
        return set(keys)
    return set(keys) | set(re.findall(r"^\s*(?:#\s*)?\[\[?([a-z_]+)\]", example, re.M))
