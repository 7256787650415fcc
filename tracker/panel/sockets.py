"""The thread's deadline and stop on every socket operation of an HTTP call.

While :func:`deadline_at` is active in a thread, every socket operation of a
client built by :func:`tracker.panel.deadline.http_client` (its network backend
made so by :func:`tracker.panel.dial.bind`) waits at most until the deadline: its timeout shrinks
to what is left, the host name lookup included, and a call past the deadline
fails at once. Given ``stop`` (a call that only reads: its outcome need not be
known), a set event ends the wait for the answer within a second
(:data:`STOP_SLICE` + :data:`STOP_GRACE`): :class:`Stopped` is raised. The
last bytes a call read tell a server that closed in the middle of its
answer's head from one that sent nothing (:class:`HeadCut`).
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

from tracker.panel import tls
from tracker.panel.informational import Heads
from tracker.panel.not_http import unanswered
from tracker.panel.proxies import PlainTimeout, Tunnelled

_local = threading.local()

# A read that a stop may cut waits in slices this long, the stop looked at
# between them; once it is seen, what arrives within STOP_GRACE is still read
# (an answer in whole in the socket's buffer is kept), then the read is cut.
STOP_SLICE = 0.25
STOP_GRACE = 0.5
# A write goes in pieces this large, each bounded by the time left (see Stream.write).
WRITE_PIECE = 16 * 1024
_LEAST = 0.001  # a socket timeout of 0 would not wait at all: a failure, not a timeout


class HeadCut(httpx.RemoteProtocolError):
    """The server closed the connection part-way through its answer's status
    line and headers: httpcore says "Server disconnected without sending a
    response." of this and of a close before any byte alike (its words kept:
    logged at debug). Told apart by what the call read (:func:`_head_cut`)."""


class Untaken(httpx.ReadTimeout):
    """No answer in time, bytes of the request still in this end's send queue
    (the server stopped taking them): judged as any answer not come in time."""


class Stopped(Exception):
    """A stop came while the answer of a call that only reads was awaited:
    the connection closed, the answer no longer waited for."""


@contextlib.contextmanager
def deadline_at(
    end: float, stop: threading.Event | None = None, heads: int | None = None
) -> Iterator[None]:
    """Bound every socket operation of this thread's calls by ``end`` (monotonic);
    ``stop`` set ends this thread's reads (:class:`Stopped`); ``heads``: the
    cap on the informational answers' bytes read before the answer's head,
    until :func:`heads_read` (:class:`~tracker.panel.informational.Heads`)."""
    previous, stopped_by = getattr(_local, "end", None), getattr(_local, "stop", None)
    cut, heard = getattr(_local, "cut", None), getattr(_local, "heard", None)
    capped = getattr(_local, "heads", None)
    _local.end = end if previous is None else min(end, previous)
    _local.stop, _local.cut = stop or stopped_by, cut if stop is None else None
    _local.heard = b""  # the last bytes this call read (see _head_cut)
    _local.heads = None if heads is None else Heads(heads)
    untaken, _local.untaken = getattr(_local, "untaken", False), False
    try:
        yield
    except httpx.RemoteProtocolError as exc:
        if not isinstance(exc, HeadCut) and _head_cut(_local.heard) and unanswered(str(exc)):
            raise HeadCut(str(exc)) from exc
        raise
    except httpx.ReadTimeout as exc:
        if _local.untaken and not isinstance(exc, Untaken):  # see Stream.read
            raise Untaken(str(exc)) from exc
        raise
    finally:
        _local.end, _local.stop, _local.cut, _local.heard = previous, stopped_by, cut, heard
        _local.heads, _local.untaken = capped, untaken


def heads_read() -> None:
    """Say this thread's call has its answer's head: what it reads now is the
    body, capped by its reader."""
    _local.heads = None


def _head_cut(heard: bytes) -> bool:
    """Whether a server that closed the connection before its answer had
    sent part of it: this call read bytes, and they do not end with the
    blank line that ends a head (a whole 100 Continue's does, then nothing).
    Said of a close before the answer's head was read (httpcore's words)."""
    return bool(heard) and not heard.endswith((b"\n\n", b"\n\r\n"))


def _unsent(stream: httpcore.NetworkStream) -> bool:
    """Whether bytes written to ``stream`` are still in its socket's send
    queue, not yet taken by the far end (Linux's TIOCOUTQ: unsent and
    unacknowledged); False when it cannot be told."""
    try:
        import fcntl
        import sys
        import termios

        held = bytearray(4)
        fcntl.ioctl(stream.get_extra_info("socket").fileno(), termios.TIOCOUTQ, held)
    except (AttributeError, ImportError, OSError, ValueError):  # no socket, closed, not Linux
        return False
    return int.from_bytes(held, sys.byteorder) > 0


def _cut_at() -> float | None:
    """Return when a stop ends this thread's reads (monotonic): None before one."""
    stop = getattr(_local, "stop", None)
    if stop is None or not stop.is_set():
        return None
    if getattr(_local, "cut", None) is None:  # seen now: its grace begins
        _local.cut = time.monotonic() + STOP_GRACE
    return float(_local.cut)


def time_left(timeout: float | None, fail: type[Exception]) -> float | None:
    """Return ``timeout`` cut to what is left of this thread's deadline (``timeout``
    itself with none in force); past it, raise ``fail``."""
    end = getattr(_local, "end", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise fail("deadline passed")
    return left if timeout is None else min(timeout, left)


def _send(sock: Any, piece: bytes, timeout: float | None) -> None:
    """Send ``piece`` on a plain socket as httpcore does (its exceptions), each
    send given only the time left: a server taking a few bytes just before
    each send's timeout no longer holds the piece that many timeouts."""
    view = memoryview(piece)
    while view:
        left = time_left(timeout, httpcore.WriteTimeout)
        try:
            sock.settimeout(left)
            view = view[sock.send(view) :]
        except TimeoutError as exc:  # socket.timeout
            raise httpcore.WriteTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.WriteError(exc) from exc


class Stream(httpcore.NetworkStream):
    """A socket whose every read and write ends by the thread's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, *, plain: bool = True):
        self._stream, self._plain = stream, plain  # plain: no TLS on it (yet)
        self.reader: Any = None  # h11's reader of this stream's answers (see watch)
        self.trailed = 0  # the bytes it held after an answer: the connection closed
        self._written = False  # a proxy's CONNECT (or SOCKS greeting): a tunnel asked for

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        heads = getattr(_local, "heads", None)
        if heads is not None:  # before the answer's head: informational answers
            heads.check()
        try:
            if getattr(_local, "stop", None) is None:
                data = self._stream.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))
            else:
                data = self._sliced(max_bytes, timeout)
        except httpcore.ReadTimeout as exc:  # to https://, only a proxy's answer is read plain
            _local.untaken = getattr(_local, "untaken", False) or _unsent(self._stream)
            if not self._plain:
                raise
            raise PlainTimeout(str(exc)) from exc
        heard = getattr(_local, "heard", None)
        if heard is not None and data:  # its last bytes only: a blank line is 3 at most
            _local.heard = (heard + data[-3:])[-3:]
        if heads is not None:
            heads.heard(data)
        return data

    def _sliced(self, max_bytes: int, timeout: float | None) -> bytes:
        """Read as :meth:`read` does, waiting in slices of :data:`STOP_SLICE`,
        the stop looked at before each: once its grace is over, Stopped."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            left = time_left(None if end is None else end - time.monotonic(), httpcore.ReadTimeout)
            if left is not None and left < _LEAST:  # the read's own timeout
                raise httpcore.ReadTimeout("timed out")
            wait = STOP_SLICE if left is None else min(left, STOP_SLICE)
            cut = _cut_at()
            if cut is not None:
                if (grace := cut - time.monotonic()) < _LEAST:
                    raise Stopped("stopping: the answer no longer waited for")
                wait = min(wait, grace)
            with contextlib.suppress(httpcore.ReadTimeout):  # a slice: looked at again
                return self._stream.read(max_bytes, wait)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write ``buffer`` by the deadline: in pieces of :data:`WRITE_PIECE`,
        the time left looked at before each (httpcore gives each send of a
        write the whole timeout again: a panel taking a large body slowly held
        an ``add`` many times its timeout). On a plain socket, before each
        send too: a piece's sends, each given the time left at the piece's
        start, ended up to several times that after the deadline."""
        self._written = True
        sock = self._socket()
        for start in range(0, len(buffer), WRITE_PIECE):
            piece = buffer[start : start + WRITE_PIECE]
            if sock is None:  # TLS: one send is bounded as a whole by its timeout
                self._stream.write(piece, time_left(timeout, httpcore.WriteTimeout))
            else:
                _send(sock, piece, timeout)

    def _socket(self) -> Any:
        """Return the plain socket this stream writes to, None for TLS (or a
        stream without one: tests' own networks)."""
        sock = self._stream.get_extra_info("socket") if self._plain else None
        if sock is None or isinstance(sock, ssl.SSLSocket) or not hasattr(sock, "send"):
            return None
        return sock

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        context = tls.trusting(ssl_context)
        try:
            return Stream(self._stream.start_tls(context, server_hostname, left), plain=False)
        except httpcore.ConnectError as exc:
            if not self._written:  # a direct connection's handshake, or a proxy's own TLS
                raise
            # httpcore starts TLS after a tunnel only once the proxy said 2xx to it
            raise Tunnelled(str(exc)) from exc

    def get_extra_info(self, info: str) -> Any:
        # Asked by httpcore's pool of an idle connection before it is used
        # again: readable, it is closed. Bytes the server sent after the last
        # answer that h11 already read off the socket count too.
        if info == "is_readable" and self.reader is not None:
            behind = len(self.reader.trailing_data[0])
            if behind:
                self.trailed = behind
                return True
        return self._stream.get_extra_info(info)


def watch(response: httpx.Response) -> Stream | None:
    """Given an answer whose head is read, its body not yet: have its
    connection's stream know the h11 state that reads its answers, so that
    bytes the server sent behind an answer (another answer, a stray
    newline), read off the socket with it, keep the connection from ever
    being used again (:meth:`Stream.get_extra_info`), from the moment the
    body's end gives it back to the pool. Kept, they were read as the answer
    to the next request on it, sent before that request was made
    ("Completed" for an order in progress): httpcore's pool closes a
    connection whose socket is readable while idle, but bytes already in
    h11's buffer it does not see. Return the stream (its ``trailed`` says
    such bytes once the answer is read); None when httpx's private
    attributes are not found (a test's transport): nothing done."""
    stream = getattr(getattr(response.stream, "_stream", None), "_httpcore_stream", None)
    connection = getattr(getattr(stream, "_stream", None), "_connection", None)
    state, network = (getattr(connection, name, None) for name in ("_h11_state", "_network_stream"))
    if state is None or not isinstance(network, Stream):
        return None
    network.reader = state  # one h11 state for the connection's life
    return network
