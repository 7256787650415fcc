"""The panel's words on a terminal line, one rule for every command: cut at
:data:`~tracker.cli.render.PANEL_WORDS` characters, the tracker's own words
around them (what failed, what follows, the fix it names) never cut.

A refusal is the panel's words alone (:func:`panel_words`). A failure is the
tracker's message, which may end quoting the panel (its page after the HTTP
code, an answer shown as Python shows it) or, said by ``cancel``, the panel's
words followed by what the tracker did with them: :func:`quoting_panel` cuts
only the quoted part. Escaped as :func:`~tracker.cli.render.safe_text` does.
Stored rows and ``--json`` keep the words as stored.
"""

from __future__ import annotations

import re

from tracker.cli.render import PANEL_WORDS, cut_text, safe_text
from tracker.panel.misdirected import names_fix
from tracker.panel.proxies import says_its_fix

# Where a tracker's message starts quoting the panel: its page or words after
# the HTTP code ("(HTTP 500: <its page>)"), an answer shown as Python shows it
# ("answered without a usable refill ID: {...}"), a busy panel's words.
_QUOTING = re.compile(r"HTTP \d{3}: |^panel busy: |: (?=[{\['\"])")
# What cancel says after a refusal's words: the tracker's, kept whole.
_SAID_AFTER = re.compile(
    r" \((?:refused as one call|and the panel failed|not judged)[^()]*\)$"  # cancel_calls'
)


def panel_words(text: object) -> str:
    """Given the panel's own words (a refusal), return them as a line shows them."""
    return safe_text(text, PANEL_WORDS)


def quoting_panel(text: object) -> str:
    """Given a tracker's message that may quote the panel, return it as a
    line shows it: the panel's part cut at PANEL_WORDS, a parenthesis the
    tracker opened before it closed after the cut, one of the tracker's
    after it ("HTTP 400: <its words> (may or may not be canceled: ...)")
    kept whole, as the words before it; one naming its fix (a URL's, a
    proxy's: said after the words it quotes) whole."""
    line = safe_text(text)
    if said := _SAID_AFTER.search(line):  # the panel's words, then the tracker's
        return cut_text(line[: said.start()], PANEL_WORDS) + said.group()
    quoting = _QUOTING.search(line)
    if quoting is None or names_fix(line) or says_its_fix(line):  # its fix may follow: whole
        return line
    head, words = line[: quoting.end()], line[quoting.end() :]
    tail = ""
    if words.endswith(")") and head.count("(") > head.count(")"):  # closes the tracker's
        words, tail = words[:-1], ")"
    elif words.endswith(")") and (opened := _opening(words)) > 0:  # the tracker's, after
        words, tail = words[:opened].rstrip(), " " + words[opened:]
    return head + cut_text(words, PANEL_WORDS) + tail


def _opening(words: str) -> int:
    """Given words ending with ")", return where the parenthesis it closes
    opens ("... found (may or may not be canceled: ...)": the tracker's
    words after the panel's); -1 when none does."""
    depth = 0
    for at in range(len(words) - 1, -1, -1):
        depth += (words[at] == ")") - (words[at] == "(")
        if depth == 0:
            return at
    return -1
