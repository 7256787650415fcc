"""What ``smm-tracker cancel`` (:mod:`tracker.cli.cancel`) says: each order's
line, the panel's answer with its fix or what follows it, and the last line
after a Ctrl-C, what it left undone or what came of every order."""

from __future__ import annotations

import click

from tracker.cli.cancel_calls import NOT_CANCELED, NOT_SENT
from tracker.cli.panel_words import panel_words, quoting_panel
from tracker.cli.render import safe_text
from tracker.cli.screen import fitted, stdout_screen
from tracker.panel.fixes import refused_hint, unserved_hint, web_page_hint
from tracker.panel.misdirected import names_fix
from tracker.panel.proxies import says_its_fix
from tracker.rules.counts import counted
from tracker.store.cancels import ACCEPTED, REFUSED, UNKNOWN


def show(
    order_id: int,
    result: str,
    raw: str | None,
    index: int,
    status: int | None = None,
    unanswered: bool = False,
    cut: bool = False,
    follows: str = "",
    url: str | None = None,
) -> None:
    # The fixes read the whole message; the line cuts the panel's words in it
    # at PANEL_WORDS, as a refusal's (they were cut at 200, a fix with them).
    error, shown = safe_text(raw), quoting_panel(raw)
    if result == ACCEPTED:
        _say(f"#{order_id}  canceled (the panel accepted; {follows})")
    elif result == REFUSED:  # follows: an earlier accept
        _say(f"#{order_id}  refused: {panel_words(raw)}{follows}")
    elif cut:  # left as it was by a stop (not sent, a refusal not judged): no wait cures it
        _say(f"#{order_id}  {result}: {shown}")
    elif result in (NOT_SENT, NOT_CANCELED):
        # A wrong URL, a web server's 404: no wait cures it, its fix is said.
        said_fix = names_fix(error) or says_its_fix(error)
        fix = "" if said_fix else unserved_hint(error, status, index, url=url)
        if fix is None and unanswered:  # no answer came: a refused port's fix, as add's
            fix = refused_hint(error, status, index)
        later = " - try again later" if fix is None else f" - {fix}" if fix else ""
        _say(f"#{order_id}  {result}: {shown}{later}")
    else:  # said once: an "outcome unknown" error says it already
        check = "" if "check the panel" in error else " - check the panel"
        # A web page (a home page pasted as the URL): the URL's fix, as add's.
        fix = web_page_hint(error, status, index, url=url)
        if fix is None and unanswered:  # not HTTP: the URL
            fix = refused_hint(error, status, index)
        _say(f"#{order_id}  unknown: {shown}{check}{f' - {fix}' if fix else ''}")


def _say(line: str) -> None:
    """Print an order's line, wrapped at its words to a terminal's width (the
    panel's words after "refused:" ran 16 columns past an 80-column one)."""
    click.echo(fitted(line, stdout_screen()))


# What each result is said as in the last line of a Ctrl-C that left nothing unsent.
_SAID = {ACCEPTED: "canceled", REFUSED: "refused", UNKNOWN: "unknown", NOT_CANCELED: "not canceled"}


def _tally(counts: list[tuple[int, str]]) -> str:
    said = [(n, words) for n, words in counts if n]
    return ", ".join(
        f"{counted(n, 'order')} {words}" if not i else f"{n} {words}"
        for i, (n, words) in enumerate(said)
    )


def left_undone(results: list[tuple[int, str, str | None]], asked: int, cut: set[int]) -> str:
    """Given the results of ``asked`` orders (those never reached left out)
    and those a stop left as they were (``cut``), return what it left
    undone, "" for nothing: the orders not sent, those not canceled."""
    unsent = asked - sum(1 for _, result, _ in results if result != NOT_SENT)
    held = sum(1 for oid, result, _ in results if result == NOT_CANCELED and oid in cut)
    return _tally([(held, "not canceled"), (unsent, "not sent")])


def interrupted_line(results: list[tuple[int, str, str | None]], asked: int, cut: set[int]) -> str:
    """Return the last line after a Ctrl-C: what it left undone, or, when
    it left nothing, what came of every order."""
    left = left_undone(results, asked, cut)
    if left:
        return f"interrupted: {left}"
    came = [(sum(1 for _, r, _ in results if r == kind), said) for kind, said in _SAID.items()]
    return f"interrupted once every order was sent: {_tally(came)}"
