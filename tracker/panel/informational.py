"""Informational (1xx) answers before a call's answer, bounded.

The HTTP library (h11 under httpcore) reads each ``103 Early Hints`` or
``100 Continue``, drops it and reads the next: a server sending them without
end held a call to its deadline with a core busy reading them, their bytes
counted against no cap. :mod:`tracker.panel.sockets` gives every read before
the answer's head to :class:`Heads`, which fails the call at the next read
once the whole heads read pass the answer's size cap (:class:`HeadsTooLarge`,
said as an answer too large) or number more than :data:`MAX_INFORMATIONAL`
(a protocol error, :mod:`tracker.panel.not_http` saying it). What came in
the read that also held the answer's head is not looked at: a read at most
(64 kB) past the cap. Pure but for the state of one call's reads.
"""

from __future__ import annotations

import httpcore

# The informational (1xx) answers read before an answer: the HTTP library
# drops each and reads the next, so a server sending them without end held
# a call (and a core) to its deadline. More than these fail the call.
MAX_INFORMATIONAL = 100
TOO_MANY_INFORMATIONAL = f"more than {MAX_INFORMATIONAL} informational (1xx) answers"


class HeadsTooLarge(Exception):
    """The informational answers read before an answer's head passed the
    answer's size cap (:func:`tracker.panel.sockets.deadline_at`'s ``heads``)."""


class Heads:
    """What a call read before its answer's head: the whole heads among it
    (1xx answers: the answer's own head is whole only in the last read),
    their bytes and their count, each read's looked at before the next."""

    def __init__(self, limit: int):
        self.limit, self.read, self.whole, self.count, self.tail = limit, 0, 0, 0, b""
        self.final = False  # the first head is the answer's own: none before it

    def check(self) -> None:
        if self.whole > self.limit:
            raise HeadsTooLarge(self.limit)
        if self.count > MAX_INFORMATIONAL:
            raise httpcore.RemoteProtocolError(f"sent {TOO_MANY_INFORMATIONAL}")

    def heard(self, data: bytes) -> None:
        if not self.read and data[9:10] not in (b"1", b"") and data.startswith(b"HTTP/"):
            self.final = True  # "HTTP/1.1 200 ...": its body is not looked into
        if self.final:
            return
        seen = self.tail + data
        for end in _head_ends(seen):
            if end > len(self.tail):  # not one the last read ended
                self.count += 1
                self.whole = self.read + end - len(self.tail)
        self.read, self.tail = self.read + len(data), seen[-3:]


def _head_ends(seen: bytes) -> list[int]:
    """Where each blank line ending a head ends in ``seen`` (``\r?\n\r?\n``,
    none overlapping another), found by ``bytes.find``: the regular
    expression took ~120 us on a 100-order answer's first read (its body
    read with its head), every status call."""
    found = []
    for mark in (b"\n\r\n", b"\n\n"):
        at = seen.find(mark)
        while at >= 0:
            start = at - 1 if at and seen[at - 1] == 13 else at  # its \r before, as the regex's
            found.append((at + len(mark), start))
            at = seen.find(mark, at + 1)
    ends, last = [], 0
    for end, start in sorted(found):
        if start >= last:
            ends.append(end)
            last = end
    return ends
