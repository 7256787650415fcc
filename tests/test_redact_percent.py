"""tracker.redact: a key with characters URL encoders disagree about ('/', '~',
'!', '*', "'", '(', ')') is blanked however the panel percent-encoded it:
Python's quote() keeps '/', JavaScript's encodeURIComponent keeps ``!'()*~``,
PHP's urlencode writes '~' as %7E. Each got through, echoed in an error."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest

from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

KEY = "Qa+k3y/Wi~th=Sp3c!al&ch*a'r(s)Zz"

WRITTEN = {
    "python quote()": quote(KEY),
    "encodeURIComponent": quote(KEY, safe="!'()*"),
    "PHP urlencode": quote_plus(KEY).replace("~", "%7E"),
    "PHP rawurlencode before 5.3": quote(KEY, safe="").replace("~", "%7E"),
    "python quote(), lower-case hex": quote(KEY).lower(),
}


@pytest.fixture(params=list(WRITTEN.values()), ids=list(WRITTEN))
def written(request) -> str:
    return request.param


def test_every_percent_encoding_is_blanked(written):
    text = f'{{"error": "Access denied for key {written} (try again)"}}'
    register_secret(KEY)
    for result in (
        scrub(text, [KEY]),
        scrub_bytes(text.encode(), [KEY]).decode(),
        redact_text(text),
    ):
        assert result == '{"error": "Access denied for key *** (try again)"}'
