"""Exception types shared across the tracker.

Every message here is written for the user: one line, naming the problem.
None of them ever contains the API key (the client never puts it in one).
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""


class ConfigError(TrackerError):
    """The configuration is invalid; ``problems`` lists every mistake found,
    ``file`` the config file they are in, when they do not name it themselves."""

    def __init__(self, problems: list[str], file: object = None):
        self.problems = list(problems)
        self.file = file
        super().__init__("; ".join(self.problems))


class PanelChoiceError(ConfigError):
    """A command's ``--panel`` names no configured panel, or is missing among
    several: the option's mistake, said as the option's (``--panel: ...``),
    not as the config file's."""


class EnvironmentProblem(TrackerError):
    """A variable of the process's environment the tracker cannot work with
    (a proxy variable naming a proxy httpx cannot use): fixed before the
    command can run, like a config problem (exit 2); one line naming the
    variable, never its value (a proxy URL may carry a password)."""


class PanelError(TrackerError):
    """A panel answered, or failed to answer, in a way we cannot use.

    ``transient`` errors (timeouts, 429, 5xx, gateway pages) may heal on retry;
    the others (the panel's own ``{"error": ...}`` answers, garbage) will not.
    ``status`` is the HTTP code of the answer the error is about, as data (the
    fixes said after a failure read it, never the words: a panel's text may
    name any code); None when no answer came, or none is known.
    """

    transient = False

    def __init__(
        self, message: str, *, panel: str = "", action: str = "", status: int | None = None
    ):
        self.panel = panel
        self.action = action
        self.status = status
        prefix = f"{panel}: " if panel else ""
        where = f"{action}: " if action else ""
        super().__init__(f"{prefix}{where}{message}")
        self.detail = message


class PanelAnswerError(PanelError):
    """The panel answered ``{"error": "..."}`` (its own words, kept verbatim)."""

    def __init__(
        self, message: str, *, panel: str = "", action: str = "", status: int | None = None
    ):
        super().__init__(message, panel=panel, action=action, status=status)
        self.panel_message = message


class AuthError(PanelAnswerError):
    """The panel refused the key or the account."""


class BadAnswerError(PanelError):
    """The answer was not the JSON shape the action promises (HTML, truncated...)."""


class MisfiledAnswerError(BadAnswerError):
    """The answer to a call about one order or refill named another: no news
    of the one asked, and no sign the panel as a whole is failing (the others
    of its batch are still asked)."""


class NoOrderNamedError(BadAnswerError):
    """A multi-order answer named none of the orders asked (items without an
    ``order``, a one-order answer): which were acted on cannot be told, and
    the panel is asked one order at a time from then on."""


class AnswerTooLargeError(BadAnswerError):
    """The answer was larger than the configured cap; reading stopped there."""


class UnreadAnswerError(PanelError):
    """The panel answered, but its large answer was not read by the call's
    deadline: the process reads one at a time and another held the slot
    (:mod:`tracker.panel.large_answers`). The tracker's wait, not the
    panel's failure: an answer for its reachability. Not retried."""


class TransientError(PanelError):
    """Worth retrying: timeout, connection failure, 429, 5xx, gateway page."""

    transient = True

    def __init__(
        self,
        message: str,
        *,
        panel: str = "",
        action: str = "",
        retry_after: float | None = None,
        maybe_sent: bool = False,
        status: int | None = None,
    ):
        super().__init__(message, panel=panel, action=action, status=status)
        self.retry_after = retry_after
        # True when the request may have reached the panel (read timeout, 5xx
        # after sending): a non-idempotent action must not be resent.
        self.maybe_sent = maybe_sent


class RateLimitedError(TransientError):
    """The panel said it is limiting our calls: an HTTP 429 (not a bot
    check), the same in words ("Too many requests", "Rate limit exceeded"),
    or a limit it said was spent that outlasts the call's retry budget.
    Nothing of the request was acted on; the key was not refused (``doctor``
    warns, it does not fail). A panel busy or in maintenance is not this."""


class MisdirectedError(TransientError):
    """The panel's URL leads nowhere a retry could reach: its host does not
    exist (the resolver said so), or an https:// URL reached a port that
    answers without TLS. Raised while connecting, so nothing was sent (never
    ``maybe_sent``). Not retried within the call, but still transient for the
    daemon: a whole-panel failure like any unreachable panel's, asked again at
    its next run (a config reload may have fixed the URL)."""


class UnservedError(TransientError):
    """A 3xx or 4xx answer without the panel's JSON whose code says the panel's
    script never ran: a web server's or WAF's own 401/403, no such endpoint
    (404, 405), the request refused for its size or form (411, 413, 414,
    431). Nothing was acted on (never ``maybe_sent``): ``add``, ``refill`` and
    ``cancel`` fail as not sent. Not retried within the call: the same request
    gets the same page (see :mod:`tracker.panel.unserved`)."""


class StopRequested(PanelError):
    """The tracker is stopping: the request was not sent (certainly not acted
    on), or, for a call that only reads, its answer no longer waited for."""


class JobPaused(TrackerError):
    """A job's run was skipped: its panel is paused, the panel having refused
    the key; or the run was refused the key, which pauses the panel (the
    same for a user whichever of its jobs asked first; the balance probe of
    the paused panel refused it again too).
    Neither a success nor a failure (``job_paused_total``, not
    ``job_failures_total``); the pause and its end are logged once each
    (``panel_paused``, ``panel_resumed``)."""


class JobHeld(TrackerError):
    """A panel's refill round was held, not run: the panel's calls have been
    failing (the message says since when, and which). A hold on purpose,
    neither a success nor a failure (``job_holds_total``, not
    ``job_failures_total``); ``refill_round_held`` says why."""


# What not to do twice without looking, by action.
_AGAIN = {"add": "placing it again", "refill": "asking again", "cancel": "canceling again"}


_UNKNOWN = "outcome unknown — check the panel before"


def outcome_cause(text: str) -> str:
    """Given an error's words as stored, return what came back instead of an
    answer when they are :meth:`OutcomeUnknownError.because`'s (a message
    saying "check the panel" itself quotes only that); other words as given."""
    if text.startswith(_UNKNOWN) and text.endswith(")") and " (" in text[len(_UNKNOWN) :]:
        return text[text.index(" (", len(_UNKNOWN)) + 2 : -1]
    return text


class OutcomeUnknownError(PanelError):
    """A non-idempotent request may have been acted on, but the answer was lost
    (or it came without the ID that would say what was done)."""

    cause: str | None = None  # what was seen instead of an answer (timed out, the panel's words)
    # No answer read: the call failed on its way (a connection closed, not
    # HTTP): the fix its line says is for what answered, never the panel's words.
    unanswered: bool = False

    @classmethod
    def because(
        cls,
        detail: str,
        *,
        panel: str,
        action: str,
        status: int | None = None,
        unanswered: bool = False,
    ) -> OutcomeUnknownError:
        """Return the error telling the user to check the panel, with ``detail``
        (and the HTTP code of the answer it quotes, if any; ``unanswered``:
        the call failed on its way, no answer read)."""
        again = _AGAIN.get(action, "trying again")
        error = cls(
            f"{_UNKNOWN} {again} ({detail})",
            panel=panel,
            action=action,
            status=status,
        )
        error.cause, error.unanswered = detail, unanswered
        return error

    @classmethod
    def already_tracked(
        cls, order_id: int, *, panel: str, on: str | None = None
    ) -> OutcomeUnknownError:
        """Return the error for an ``add`` answered with an order ID the tracker
        tracks already (``on``: under that other entry for the same panel's
        url): no proof that a new order exists."""
        where = f" on {on}, the same panel's url" if on is not None else ""
        detail = f"the panel answered order {order_id}, which is already tracked{where}"
        return cls.because(detail, panel=panel, action="add")


class StoreError(TrackerError):
    """The database could not be opened or written."""

    missing: object = None  # no_database's path: none made yet there
    # The open outage whose alert already told this failure (store_unwritable):
    # the job's ``job_failed`` line then goes at debug, still a failure.
    told_by: str | None = None

    @classmethod
    def no_database(cls, path: object, also: str = "") -> StoreError:
        """Return the error for a command that needs a database none has made
        yet; ``also`` another way to make one, for the command that has it."""
        said = f"no database at {path} yet: track or add an order, or start the daemon, first"
        error = cls(said + (f"; {also}" if also else ""))
        error.missing = path
        return error


def failure_words(exc: BaseException) -> str:
    """What ended a write, as a line says it: the store's own words, or any
    other error's with its type ("OSError: [Errno 28] No space left on device")."""
    return str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
