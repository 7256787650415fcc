"""What is stored of a panel's key: a mark that tells one key from another
and names neither (``panel_capabilities.key_mark``, m040).

A daemon's reload compares the old key with the new in memory; under cron
each ``run --once`` is a process of its own, and what was learned of a
panel with the old key (no balance action, statuses one order at a time)
held after the key changed. Each row learned now keeps the mark of the key
it was learned with: a process whose key has another mark asks again.

The mark is PBKDF2-HMAC-SHA256 of the key with a random salt of 16 bytes and
:data:`ROUNDS` rounds (some 50 ms), cut to 32 bits:
``pbkdf2-sha256$50000$<salt, 32 hex digits>$<8 hex digits>``. Never the key,
nor a quick hash of it: a key of 8 letters and digits (47 bits) would fall
to a search of every such key against SHA-256 in hours on one graphics
card; against the mark each guess costs 50,000 rounds, and some 2^15 keys
of 8 letters and digits share any mark of 32 bits, so not even a search of
every key names the one. Two keys share a mark once in 2^32 changes: that
change goes unseen, as every one did before.

Computed once a process per key: the mark a process found its key to have
(a row's, checked) serves again for the rows it learns; a stored mark is
checked once a process per key, its answer kept in memory (the rows' mark,
then a first refusal's: :mod:`tracker.jobs.refused_once`).
"""

from __future__ import annotations

import os
import threading

from tracker.panel.settings import Secret

ROUNDS = 50_000
_METHOD = "pbkdf2-sha256"
_SALT = 16  # bytes
_KEPT = 4  # bytes of the digest kept: 32 bits
_MOST_ROUNDS = 10 * ROUNDS  # a mark asking more (written by hand) is not read
_made: dict[str, str] = {}  # a key -> its mark, this process's (in memory only)
_checked: dict[tuple[str, str], bool] = {}  # (a key, a stored mark) -> whether it is the key's
_lock = threading.Lock()


def _written(key: str, salt: bytes, rounds: int) -> str:
    import hashlib  # here: OpenSSL's load is no read command's (~2 ms of its start)

    digest = hashlib.pbkdf2_hmac("sha256", key.encode(), salt, rounds)[:_KEPT]
    return f"{_METHOD}${rounds}${salt.hex()}${digest.hex()}"


def key_mark(key: Secret) -> str:
    """Given a panel's key, return its mark (see the module's docstring):
    this process's, made once."""
    revealed = key.reveal()
    with _lock:
        mark = _made.get(revealed)
        if mark is None:
            mark = _made[revealed] = _written(revealed, os.urandom(_SALT), ROUNDS)
    return mark


def marks_key(mark: str, key: Secret) -> bool | None:
    """Given a stored mark and a panel's key, return whether it is that key's
    mark; None when it cannot be read (not one this module writes)."""
    method, _, rest = mark.partition("$")
    rounds, _, rest = rest.partition("$")
    salt, _, digest = rest.partition("$")
    try:
        salt_bytes, count = bytes.fromhex(salt), int(rounds)
    except ValueError:
        return None
    if method != _METHOD or not 0 < count <= _MOST_ROUNDS or len(digest) != 2 * _KEPT:
        return None
    revealed = key.reveal()
    with _lock:
        known = True if _made.get(revealed) == mark else _checked.get((revealed, mark))
    if known is not None:  # checked once a process: the rows' mark, then a first refusal's
        return known
    from hmac import compare_digest

    ours = compare_digest(_written(revealed, salt_bytes, count).encode(), mark.encode())
    with _lock:
        _checked[(revealed, mark)] = ours
        if ours:
            _made.setdefault(revealed, mark)  # the rows it learns: no second 50 ms
    return ours
