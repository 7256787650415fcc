"""Words in odd answers a hostile panel sent, read as the rest of the
tracker already reads them (against an in-process fake panel):

- a status word in full-width letters ("Ｃｏｍｐｌｅｔｅｄ") was an unknown
  status, the order kept open; Cyrillic look-alikes still are unknown;
- the line "Error" in plain text (or a bare JSON "Error" with a 4xx) to a
  single status call was a broken answer retried at every poll, where
  ``{"error": "Error"}`` is the panel's refusal of that call.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_client import FakePanel, make_client, ok

from tracker.config.load import config_from_dict
from tracker.errors import PanelError

BALANCE = {"balance": "5.00", "currency": "USD"}


FULL_WIDTH = {
    "1": ("Ｃｏｍｐｌｅｔｅｄ", "Completed"),
    "2": ("Ｉｎ ｐｒｏｇｒｅｓｓ", "In progress"),
    "3": ("ＣＡＮＣＥＬＥＤ", "Canceled"),
}
# Cyrillic С, о, е, р: another word that looks the same, never read as it.
HOMOGLYPH = "\u0421\u043emp\u043b\u0435t\u0435d"


def test_a_full_width_status_word_is_its_ascii_word_kept_as_sent():
    answer = {
        key: {"status": word, "charge": "1", "remains": "0"}
        for key, (word, _) in FULL_WIDTH.items()
    }
    answer["4"] = {"status": HOMOGLYPH, "charge": "1", "remains": "0"}
    client = make_client(FakePanel(ok(answer)))
    read = client.statuses([1, 2, 3, 4])
    for key, (word, status) in FULL_WIDTH.items():
        # Before: each the unknown status "Ｃｏｍｐｌｅｔｅｄ", the order kept open.
        assert (read[int(key)].status, read[int(key)].known_status) == (status, True)
        assert read[int(key)].raw_status == word
    assert read[4].known_status is False and read[4].status == HOMOGLYPH


def test_a_full_width_refill_status_is_its_ascii_word():
    answer = [
        {"refill": 5, "status": "Ｃｏｍｐｌｅｔｅｄ"},
        {"refill": 6, "status": "Ｒｅｊｅｃｔｅｄ"},
        {"refill": 7, "status": "C\u043empleted"},  # a Cyrillic о
    ]
    client = make_client(FakePanel(ok(answer)))
    read = {r.refill_id: r for r in client.refill_statuses(["5", "6", "7"])}
    assert (read["5"].status, read["5"].known_status) == ("Completed", True)
    assert (read["6"].status, read["6"].known_status) == ("Rejected", True)
    assert read["7"].known_status is False


def _single_status(answer: httpx.Response) -> str:
    """What a single status call answered ``answer`` (the witness, balance,
    answering) fails with: its error's type and words."""
    client = make_client(FakePanel(answer, ok(BALANCE)), retries=0)
    with pytest.raises(PanelError) as failed:
        client.status_alone(1001)
    return f"{type(failed.value).__name__}: {failed.value}"


@pytest.mark.parametrize("code", [200, 400, 403])
@pytest.mark.parametrize(
    "body,kind",
    [(b'"Error"', "application/json"), (b"Error", "text/plain"), (b"Error\n", "text/html")],
)
def test_a_bare_or_plain_error_to_a_single_status_is_read_as_the_error_object(code, body, kind):
    as_object = _single_status(ok({"error": "Error"}, code))
    said = _single_status(httpx.Response(code, content=body, headers={"Content-Type": kind}))
    # Before: "answered invalid JSON: Error" (a 200), "HTTP 400: Error" (a page).
    assert said == as_object
    assert "status refused for every order asked" in said


@pytest.mark.parametrize("word", ["canceled", "ｃａｎｃｅｌｅｄ", "ＣＡＮＣＥＬＥＤ"])
def test_a_full_width_status_word_in_longer_words_is_a_status_word_there_too(word):
    # Not-found words beside a status word are a status with the panel's
    # reason in other words: an unknown status, the order polled on and
    # alerted once; never "the order does not exist", given up in time.
    said = f"Link not found, order {word}"
    answer = {"1": {"status": said, "charge": "1", "remains": "0"}, "2": {"status": "Completed"}}
    read = make_client(FakePanel(ok(answer))).statuses([1, 2])[1]
    # Before (full-width): the order's error "Link not found, order ｃａｎｃｅｌｅｄ".
    assert (read.error, read.status, read.known_status) == (None, said, False)


def test_a_full_width_status_word_in_the_config_is_its_ascii_word():
    config = config_from_dict(
        {
            "panels": [{"name": "main", "url": "https://panel.example/api/v2", "key": "k"}],
            "automation": {"stall_after": {"Ｐｅｎｄｉｎｇ": "2h", "Ｉｎ ｐｒｏｇｒｅｓｓ": "3h"}},
        },
        base_dir=Path("."),
        env={},
    ).automation
    # Before: "must be an open order status", where `orders --status Ｐｅｎｄｉｎｇ`
    # and a panel's "Ｐｅｎｄｉｎｇ" were Pending.
    assert config.stall_threshold("Pending", 3) == 7200.0
    assert config.stall_threshold("In progress", 3) == 3 * 3600.0


def _full_width(words: str) -> str:
    """``words`` in full-width letters and spaces, as some panels' scripts send them."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in words
    )


@pytest.mark.parametrize("words", ["Order not found", "Incorrect order ID"])
def test_a_full_width_not_found_is_the_order_not_found(words):
    said = _full_width(words)
    answer = {"1": {"status": said}, "2": {"error": said}, "3": {"status": "Completed"}}
    read = make_client(FakePanel(ok(answer))).statuses([1, 2, 3])
    # Before: order 1 kept open for ever at the unknown status "Ｏｒｄｅｒ ｎｏｔ ｆｏｕｎｄ".
    # Its words as one line (full-width spaces as one blank each), as any status's.
    one_line = " ".join(said.split())
    assert (read[1].error, read[1].status) == (one_line, None)
    assert read[2].error == one_line
