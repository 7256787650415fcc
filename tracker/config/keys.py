"""Find a panel's API key: from the environment, a file, or the config itself.

No problem written here ever contains the key. Because people paste the key
where its *name* belongs (``key_env = "a1b2c3..."``), a name or path that
looks like a key is not echoed back either.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from tracker.config.fields import Table, problem
from tracker.config.places import tidied
from tracker.redact.layout import invisible

KEY_FIELDS = ("key_env", "key_file", "key")
MAX_KEY_FILE = 4096  # bytes; a key is a few dozen
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{16,}")
# C0, DEL and C1: no key holds one (a terminal's escape pasted with it, a
# binary file); said as "a control character", never which or where.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HOLDS_CONTROL = "it holds a control character"
# A format character (U+200B, U+FEFF, a bidi control...: tracker.redact's
# set): copied with a key from a web page or a chat, shown nowhere.
_HOLDS_INVISIBLE = "it holds an invisible character"
# A key pasted with its quotes ('"k1..."' into a key file, key = "'k1...'",
# export K="'k1...'"): sent with them, the panel said "Invalid API key".
# Only at its ends; one inside a key is the panel's to judge.
_QUOTES = "\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb"
_IN_QUOTES = "it is in quote marks: write the key alone"
# A line of an environment file, or of a panel's docs, copied whole
# ("SMM_API_KEY=k1...", "key=k1..."): the key's name before it, and "=".
_ASSIGNED = r"(?i)[a-z_]*key[a-z0-9_]*=[^=]"  # never base64's padding, at its end
_HOLDS_ASSIGNED = (
    "it starts with a name and =, as an environment file writes it: write the key alone"
)
# Letters and marks that show as nothing or as a blank, no format character
# nor whitespace (those a key's strip() and split() see): the Hangul fillers
# (U+115F, U+1160, U+3164, U+FFA0), the braille blank (U+2800), the
# combining grapheme joiner, the variation selectors, the Mongolian free
# variation selectors, the Khmer inherent vowels. Said as invisible too.
_BLANK_LOOKING = (
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u2800\u3164"
    "\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
# What the variable a panel's key_env names holds (not set, empty, not only
# a key), never its name written wrong: only the environment cures these.
_UNSET = (
    r"at '[^']*\.key_env': environment variable .* (?:is not set|is empty|must hold only the key)"
)
# $NAME, ${NAME}; a variable's name as a shell's are written.
_VARIABLE = r"\$(\{)?([A-Za-z_][A-Za-z0-9_]*)(?(1)\})"
_CONVENTIONAL_ENV_NAME = r"[A-Z_][A-Z0-9_]*"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """Those above, of a key or a config's problems that are not the usual
    case, compiled at their first use (~4M instructions of every start else)."""
    return re.compile(pattern)


def unset_variable(problem: str) -> bool:
    """Given one config problem line, return True when it says the variable a
    panel's ``key_env`` names is not set, is empty or holds more than a key
    (a reload says what cures that: the daemon's environment, a restart)."""
    return bool(_compiled(_UNSET).search(problem))


def _no_key(key: str) -> str:
    """Given a key, return why no panel gave it ("it holds ..."), "" when
    nothing says so: a control character or an invisible one in it (a
    format character, or one that shows as a blank: a Hangul filler), quote
    marks at its ends, or its name and "=" before it."""
    if _CONTROL.search(key):
        return _HOLDS_CONTROL
    if key and (key[0] in _QUOTES or key[-1] in _QUOTES):
        return _IN_QUOTES
    if "=" in key and _compiled(_ASSIGNED).match(key):
        return _HOLDS_ASSIGNED
    if key.isascii():
        return ""
    return _HOLDS_INVISIBLE if invisible(key) or _compiled(_BLANK_LOOKING).search(key) else ""


def looks_like_key(text: str) -> bool:
    """Given a variable name or a path, return True if it might be a key pasted there."""
    if not _TOKEN_LIKE.fullmatch(text):
        return False
    return not _compiled(_CONVENTIONAL_ENV_NAME).fullmatch(text)


def read_key(t: Table, env: Mapping[str, str], base_dir: Path, resolve: bool) -> tuple[str, str]:
    """Given a panel's table, return (key, description of where it came from).

    Exactly one of key_env, key_file and key must be set. With ``resolve``
    False the key is not looked up and "" is returned in its place.
    Problems are recorded on ``t``; the key is then "".
    """
    values = {name: t.raw(name) for name in KEY_FIELDS}
    given = [name for name in KEY_FIELDS if values[name] is not None]
    if len(given) != 1:
        got = " and ".join(given) if given else "none"
        message = f"set exactly one of key_env, key_file or key (got {got})"
        if given:
            t.problems.append(problem(t.path, message))
        else:  # unless a key of the table is one of them misspelt
            t.missing(t.path, message, *KEY_FIELDS)
        return "", "none"
    field = given[0]
    value = values[field]
    if not isinstance(value, str) or not value.strip():
        t.fail(field, "must be a non-empty string")
        return "", "none"
    if "\0" in value:  # os calls raise ValueError on it; no key or file name holds one
        t.fail(field, "must not contain a NUL character (\\u0000)")
        return "", "none"
    if field == "key_env":
        return _from_env(t, value.strip(), env, resolve)
    if field == "key_file":
        return _from_file(t, value.strip(), env, base_dir, resolve)
    named = _named_variable(value.strip())
    if resolve and named:  # a shell's way: sent as it is, the panel said "Invalid API key"
        t.fail("key", f'the config expands no variables: write key_env = "{named}" instead')
        return "", "inline in config"
    if resolve and len(value.split()) > 1:  # a key is one word, as key_file's must be
        t.fail("key", "must be only the key (it holds several words)")
        return "", "inline in config"
    if resolve and (why := _no_key(value.strip())):
        t.fail("key", f"must be only the key ({why})")
        return "", "inline in config"
    return (value.strip() if resolve else ""), "inline in config"


def _named_variable(text: str) -> str | None:
    """Given a key or key_env value, return NAME when it is a shell's variable
    reference, ``$NAME`` or ``${NAME}`` (never a name that may be a key)."""
    found = _compiled(_VARIABLE).fullmatch(text)
    return found[2] if found and not looks_like_key(found[2]) else None


def _from_env(t: Table, name: str, env: Mapping[str, str], resolve: bool) -> tuple[str, str]:
    shown = "named here" if looks_like_key(name) else name
    if not _ENV_NAME.fullmatch(name):
        named = _named_variable(name)
        said = f'must be the variable\'s name, without "$": key_env = "{named}"' if named else ""
        t.fail("key_env", said or "must be the name of an environment variable, like SMM_API_KEY")
        return "", "none"
    source = f"environment variable {shown}"
    if not resolve:
        return "", source
    if name not in env:
        hint = (
            " (is this the key itself? put it in a file and use key_file)" if shown != name else ""
        )
        t.fail("key_env", f"{source} is not set{hint}")
        return "", source
    key = env[name].strip()
    if not key:
        t.fail("key_env", f"{source} is empty")
    # Pasted with a label or a second key: the panel said "Invalid API key".
    elif len(key.split()) > 1:
        t.fail("key_env", f"{source} must hold only the key (it holds several words)")
        key = ""
    elif why := _no_key(key):
        t.fail("key_env", f"{source} must hold only the key ({why})")
        key = ""
    return key, source


class NotARegularFile(OSError):
    """A key file that is a FIFO, a device, a directory, or too large."""


_KINDS = {
    stat.S_IFIFO: "Is a FIFO",
    stat.S_IFCHR: "Is a character device",
    stat.S_IFBLK: "Is a block device",
    stat.S_IFDIR: "Is a directory",
    stat.S_IFSOCK: "Is a socket",
}


def read_small_file(path: Path, limit: int) -> bytes:
    """Given a path, return the bytes of the regular file there, at most ``limit`` of them.

    Opened without blocking (a FIFO with no writer would otherwise hang the
    caller, a signal handler's main thread included) and checked before any
    read: raise NotARegularFile for anything else or anything larger.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(_KINDS.get(stat.S_IFMT(info.st_mode), "Not a regular file"))
        if info.st_size > limit:
            raise NotARegularFile(f"Holds {info.st_size} bytes")
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise NotARegularFile("Grew past the limit while read")
    return data


def key_file_path(name: str, env: Mapping[str, str], base_dir: Path) -> Path:
    """Given key_file as written, return the file to read.

    An absolute path is used as is. A relative one is looked up first in
    ``$CREDENTIALS_DIRECTORY`` (systemd ``LoadCredential=``) when that is set
    and holds it, then relative to the config file's directory.
    """
    path = Path(name).expanduser()
    if path.is_absolute():
        return tidied(path)
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials:
        candidate = Path(credentials) / path
        if candidate.exists():
            return candidate
    return tidied(base_dir / path)


def _from_file(
    t: Table, name: str, env: Mapping[str, str], base_dir: Path, resolve: bool
) -> tuple[str, str]:
    path = key_file_path(name, env, base_dir)
    shown = "named here" if looks_like_key(name) else str(path)
    source = f"file {shown}"
    if not resolve:
        return "", source
    try:
        # utf-8-sig: a byte order mark (Notepad's "UTF-8 with BOM") is no part of the key
        key = read_small_file(path, MAX_KEY_FILE).decode("utf-8-sig").strip()
    except NotARegularFile as exc:
        limit = f"a regular file of at most {MAX_KEY_FILE} bytes"
        t.fail("key_file", f"cannot read {source}: {exc}; a key file must be {limit}")
        return "", source
    except FileNotFoundError:
        where = (
            " (also looked in $CREDENTIALS_DIRECTORY)" if env.get("CREDENTIALS_DIRECTORY") else ""
        )
        t.fail("key_file", f"{source} does not exist{where}")
        return "", source
    except UnicodeDecodeError:
        t.fail("key_file", f"{source} is not UTF-8 text")
        return "", source
    except OSError as exc:
        t.fail("key_file", f"cannot read {source}: {exc.strerror}")
        return "", source
    if not key:
        t.fail("key_file", f"{source} is empty")
    elif len(key.split()) > 1:
        t.fail("key_file", f"{source} must hold only the key (it holds several words)")
        key = ""
    elif why := _no_key(key):
        t.fail("key_file", f"{source} must hold only the key ({why})")
        key = ""
    return key, source
