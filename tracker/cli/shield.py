"""Ctrl-C while a request that acts on the panel is on the wire.

An ``add``, ``refill`` or ``cancel`` stopped mid-call may have been carried
out by the panel with nobody told: an order placed (and charged) that is
never tracked, and placed again by a user who took "interrupted" for
"nothing happened". Inside :func:`shield`, a first Ctrl-C (or SIGTERM) is
only noted, with one line on stderr: the call on the wire is waited for (it
ends by its deadline) and its answer recorded, and the command sends nothing
more (:attr:`Shield.stopping`). A second one raises KeyboardInterrupt at
once, and the command says what may have happened; not once the answer is
in hand (:attr:`Shield.in_hand`): it is recorded (an add's order tracked, a
refill's ID, a cancel call's results), a refusal being judged aside.

Nothing is on the wire while the command's client waits to send (a retry's
backoff, a panel's rate limit spent: up to two minutes): given the client's
:class:`Waits`, a first Ctrl-C ends that wait at once, nothing is sent, and
the command says it was interrupted (exit 130), where it used to wait the
wait out and then send the order the user had tried to stop. Such a wait is
said on stderr as it begins (:func:`tell_wait`), whatever the log level.
The line a first Ctrl-C prints, "waiting for the panel's answer", is said
only while a request is on the wire (:meth:`Waits.on_send`, the client's):
one taken as a retry's wait was about to begin, nothing sent, said it of
an answer that was not coming.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click

from tracker.signals import Stop, handled_by, relayed
from tracker.terminal import escape_controls


@dataclass
class Shield:
    """How many stop signals came while shielded; ``settled`` once the answer
    is in hand: from then on every signal only waits for it to be recorded;
    ``holding`` inside :meth:`whole`; ``judging`` while a refusal in hand is
    judged (a cancel's: the judge's call is let go on, its waits not ended,
    until :meth:`judged`); ``ended``: a stop signal ended the client's waits;
    ``answer_settles``: the answer's bytes in hand (:attr:`Waits.answered`)
    settle it, before the client returns what it read (an add's order ID, a
    refill's, a cancel's results), until :meth:`recorded`."""

    asked: int = 0
    settled: bool = False
    answer_settles: bool = False
    holding: bool = False
    judging: bool = False
    ended: bool = False
    waits: Waits | None = None
    told: bool = False  # the first signal's line said (once)

    @property
    def stopping(self) -> bool:
        return self.asked > 0

    @property
    def in_hand(self) -> bool:
        """True once the answer is in hand: a stop signal only waits for it
        to be recorded. An add's, read but its ID not yet returned, was
        dropped by a second Ctrl-C: the order paid for, neither tracked nor
        named ("interrupted before its answer came")."""
        waits = self.waits
        answered = waits is not None and waits.answered and not self.judging  # a refusal judged
        return self.settled or (self.answer_settles and answered)

    def recorded(self) -> None:
        """The answer in hand is recorded: a stop signal may leave again, until
        the next answer is in hand (a cancel's next call)."""
        self.settled = False
        if self.waits is not None:
            self.waits.answered = False

    @contextmanager
    def whole(self, *, undone: bool = False) -> Iterator[None]:
        """Run the block (an add's key being claimed, a refill's request or
        a cancel call's outcome recorded: a committed write and what it
        returns) as one step: a second stop signal during it raises
        KeyboardInterrupt once it is done, its result kept. Raised inside,
        the key was claimed with the add not knowing: never given back, it
        was left Sending, an order never sent read as outcome unknown.

        ``undone``: what the block writes is undone by the caller a stop
        ends (a refill's request given back, never sent), which is part of
        the step: the shield keeps holding after the block, every signal
        only counted, until :meth:`go_on` (no stop: the request may leave).
        Raised in the give-back, a third Ctrl-C left the row Requesting,
        closed later as Unknown though nothing was sent."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = undone
        if self.asked > 1 and not self.settled:
            raise KeyboardInterrupt

    def go_on(self) -> None:
        """End the hold of a ``whole(undone=True)`` step that no stop undoes."""
        self.holding = False

    def judged(self) -> None:
        """End ``judging``: a stop signal that came meanwhile now ends the
        client's waits, so nothing more is sent."""
        self.judging = False
        if self.stopping and not self.ended and self.waits is not None:
            self.ended = True
            self.waits.end()


# The longest a wait sleeps at a time. A stop signal is taken by the
# process at once, but Python runs its handler only in the main thread, when
# it runs: one taken in the instant before the wait's sleep began, or by
# another thread, does not wake it, and was heard only once the wait was
# over (a rate limit's: 50 s, the order maybe sent after it). Waking this
# often, a handler taken so runs within this much.
SLICE = 0.25


@dataclass
class Waits:
    """A command's panel client's stop event and waits (its ``stop_event`` and
    ``sleep``): under :func:`shield`, the first stop signal sets ``stop``, so
    a wait ends at once and the client sends nothing more. ``stop`` reads as
    set as soon as the handler said so (:class:`~tracker.signals.Stop`): the
    event itself is set from a thread of its own, which may not have run yet
    when the command, back from the handler, asks whether to send."""

    stop: Stop = field(default_factory=Stop)
    waiting: bool = False  # in a wait: no request of the command on the wire
    sending: bool = False  # a request of the command on the wire (:meth:`on_send`)
    answered: bool = False  # a request's answer in hand: its :meth:`on_send` ended, no error
    # ... and still in hand through the requests after it (a refusal's check
    # call, `balance`: a read a stop cuts) until :meth:`Shield.recorded`.
    keeps_answer: bool = False
    say: Callable[[], None] | None = None  # :func:`shield`'s line: the answer waited for

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or until ``stop`` is set, waking every :data:`SLICE`."""
        self.waiting = True
        end = time.monotonic() + seconds
        try:
            while not self.stop.is_set() and (left := end - time.monotonic()) > 0:
                self.stop.wait(min(left, SLICE))
        finally:
            self.waiting = False

    @contextmanager
    def idle(self) -> Iterator[None]:
        """Run the block as a wait: nothing of the command on the wire (an
        add's key being claimed). Under :func:`shield`, a first stop signal
        is only noted, silently; the command, seeing :attr:`Shield.stopping`
        after it, sends nothing."""
        before, self.waiting = self.waiting, True
        try:
            yield
        finally:
            self.waiting = before

    def hooks(self) -> dict[str, Any]:
        """What the command's panel client is given: its stop event, its
        waits' sleep, and :meth:`on_send`."""
        return {"stop_event": self.stop, "sleep": self.sleep, "on_send": self.on_send}

    @contextmanager
    def on_send(self) -> Iterator[None]:
        """Run the block, a request on the wire (the client's ``on_send``), as
        :attr:`sending`: a first stop signal meanwhile says its answer is
        waited for. One taken after the client last asked whether to send,
        before this, did not stop the request: that is said as it leaves."""
        # The answer in hand: this request's, or one it judges (keeps_answer).
        self.sending, self.answered = True, self.answered and self.keeps_answer
        try:
            if self.stop.asked and self.say is not None:
                self.say()
            yield
            self.answered = True
        finally:
            self.sending = False

    def end(self) -> None:
        # Marked asked alone, in the handler: read as set at once, so nothing
        # is sent meanwhile; the event itself set by :func:`shield`'s relay
        # thread (no lock taken here: neither the event's nor a new thread's,
        # which the interrupted main thread may hold at that instant).
        self.stop.asked = True


def tell_wait(seconds: float, why: str) -> None:
    """Say on stderr, whatever the log level, that the command waits to send,
    why and how long at most (its client's ``on_wait``): at "warning" such a
    wait, up to the retry budget, passed in silence, as if it hung. Once a
    wait; stdout is left as it is; a closed stderr is no failure."""
    line = f"smm-tracker: waiting up to {math.ceil(seconds)} s: {escape_controls(why)}"
    with contextlib.suppress(OSError):
        click.echo(line, err=True)


@contextmanager
def shield(
    answer_to: str,
    waits: Waits | None = None,
    *,
    answer_settles: bool = False,
    judged_in_hand: bool = False,
) -> Iterator[Shield]:
    """Defer the first stop signal while the block runs (see the module);
    ``answer_to`` names the request in the line a first signal prints ("the
    order just sent"); ``waits``, the client's, are ended by it;
    ``answer_settles``: see :class:`Shield`; ``judged_in_hand``: the answer
    stays in hand while the client judges it (a refill's refusal, its
    ``balance`` check call, cut by the first stop): a second stop then
    waits for it to be recorded (:attr:`Waits.keeps_answer`)."""
    state = Shield(waits=waits, answer_settles=answer_settles)
    if waits is not None and judged_in_hand:  # kept: none of a call before the block
        waits.answered, waits.keeps_answer = False, True
    if threading.current_thread() is not threading.main_thread():
        yield state  # signals are only ever handled in the main thread
        return
    again = "(Ctrl-C again to leave without it)\n"
    line = f"smm-tracker: waiting for the panel's answer to {answer_to} {again}".encode()
    # The answer is in, a refusal of the whole call: what it means is asked.
    judging = f"smm-tracker: the panel refused {answer_to}; checking what that means {again}"

    def say(text: bytes = line) -> None:
        if state.told:
            return
        state.told = True
        try:  # unbuffered: the main thread may be inside a print
            os.write(2, text)
        except OSError:  # stderr closed (`2>&1 | tee` stopped by the same Ctrl-C):
            pass  # raised here, it would cut the call on the wire short

    def handler(_signum: int, _frame: object) -> None:
        state.asked += 1
        if state.asked > 1 and not state.in_hand and not state.holding:
            raise KeyboardInterrupt
        if state.asked > 1:
            return
        if waits is not None and not state.judging:
            state.ended = True
            waits.end()
            # Nothing on the wire (a wait, a retry's decision, a claim): the
            # command ends at once, saying so; or its request, past the last
            # ask whether to send, says it as it leaves (Waits.on_send).
            if not (waits.sending and not waits.answered) and not state.settled:
                return  # nor while an answer in hand is judged: no answer awaited
        say(judging.encode() if state.judging else line)

    if waits is not None:
        waits.say = say
    try:
        # The client's waits on its stop event ended by a relay, set within
        # RELAY_EVERY of the handler marking it asked.
        relay = relayed(waits.stop) if waits is not None else contextlib.nullcontext()
        with relay, handled_by(handler):  # one started ignored (`add ... &`) stays so
            yield state
    finally:
        if waits is not None:
            waits.say = None
