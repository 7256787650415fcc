"""Answers whose texts are not UTF-8 (a PHP panel with a Windows-1252 or
Windows-1251 database): through the real CLI and a scripted panel on
loopback, every byte is read, a byte a character, and nothing fails.

Read as UTF-8, "Canceled \\x96 link removed" (0x96: an en dash in
Windows-1252) was "Canceled \\ufffd link removed": a status the tracker did
not know, the order left open; an error in Cyrillic was a row of U+FFFD.
"""

from __future__ import annotations

import sqlite3

import pytest
from hostile import Reply
from simconfig import scripted_panel

KEY = "hostile-key-OneByte5Kq8"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
REFUSED = "Недостаточно средств на балансе"  # "not enough funds on balance"


def raw(*parts: bytes | str, content_type: str = "text/html") -> Reply:
    """A body of ``parts``: bytes as they are, text as UTF-8."""
    body = b"".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    return Reply(body, headers={"Content-Type": content_type})


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli): ``replies`` maps an action to its Reply."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as scripted:
        yield scripted


def _orders(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        sql = "SELECT order_id, status, raw_status, error FROM orders ORDER BY order_id"
        return list(db.execute(sql))


def test_a_status_with_a_windows_1252_dash_is_read_as_the_panel_wrote_it(panel, tmp_path):
    server, replies, cli = panel
    replies["status"] = raw(
        '{"7": {"status": "Canceled ',
        b"\x96",
        ' link removed", "remains": "40"},',
        ' "8": {"status": "Completed", "remains": "0"}}',
    )
    assert cli("track", "7", "8").exit_code == 0
    run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "unknown_status" not in run.output and "\ufffd" not in run.output
    assert _orders(tmp_path) == [
        (7, "Canceled", "Canceled \u2013 link removed", None),
        (8, "Completed", "Completed", None),
    ]
    assert [f["action"] for f in server.requests if f["action"] == "status"] == ["status"]


def test_a_refusal_in_windows_1251_under_its_charset_reads_in_cyrillic(panel, tmp_path):
    server, replies, cli = panel
    replies["add"] = raw(
        '{"error": "',
        REFUSED.encode("cp1251"),
        '"}',
        content_type="text/html; charset=windows-1251",
    )
    result = cli(*ADD)
    assert result.exit_code == 1
    assert result.stderr == f"smm-tracker: sim: add: {REFUSED}; no order placed\n"  # a refusal
    assert [f["action"] for f in server.requests] == ["add"]


def test_cyrillic_in_windows_1251_without_a_charset_reads_in_cyrillic(panel, tmp_path):
    # A Russian panel's script sends no charset: its bytes decide. Read as
    # Windows-1252 its words were "Íåâåðíûé ID çàêàçà", its status unknown
    # and garbled; read as Windows-1251 (they spell Cyrillic words) as it wrote them.
    _server, replies, cli = panel
    words = "Неверный ID заказа".encode("cp1251")  # "wrong order ID"
    status = "Выполняется".encode("cp1251")  # "in progress": no word the tracker knows
    replies["status"] = raw(
        '{"7": {"error": "', words, '"}, "8": {"status": "', status, '", "remains": "5"}}'
    )
    assert cli("track", "7", "8").exit_code == 0
    run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    [(_, _, _, error), (_, _, raw_status, _)] = _orders(tmp_path)
    assert error == "Неверный ID заказа"
    assert raw_status == "Выполняется"
    assert "Выполняется" in run.output  # the unknown status, as the panel wrote it


def test_latin_text_without_a_charset_stays_windows_1252(panel, tmp_path):
    _server, replies, cli = panel
    replies["status"] = raw(
        '{"7": {"error": "Commande annul', b"\xe9", "e ", b"\xc0", ' voir"}, "8": "Completed"}'
    )
    assert cli("track", "7", "8").exit_code == 0
    assert cli("run", "--once", "--all").exit_code == 0
    assert _orders(tmp_path)[0][3] == "Commande annulée À voir"


def test_utf8_beside_a_stray_windows_1252_byte_stays_utf8(panel, tmp_path):
    _server, replies, cli = panel
    replies["status"] = raw('{"7": {"error": "Заказ ', b"\x96", ' not found"}, "8": "Completed"}')
    assert cli("track", "7", "8").exit_code == 0
    assert cli("run", "--once", "--all").exit_code == 0
    assert _orders(tmp_path)[0][3] == "Заказ \u2013 not found"


def test_a_single_byte_answer_shows_no_key_and_no_control_characters(panel, tmp_path):
    _server, replies, cli = panel
    replies["add"] = raw(
        '{"error": "Key ', KEY, b" refused \x81\x96 \x9b31m", '"}', content_type="text/html"
    )
    result = cli(*ADD)
    assert result.exit_code == 1
    assert KEY not in result.output and "\x81" not in result.output
    assert "\x9b" not in result.output
    assert result.stderr.startswith("smm-tracker: sim: add: Key ")
    assert "refused \\x81\u2013 \u203a31m" in result.stderr  # 0x9b is "›" in Windows-1252


def test_read_a_byte_a_character_a_body_stays_within_three_times_its_size():
    from tracker.panel.encoding import as_utf8

    euros = b"\x80" * 1000  # the euro sign in Windows-1252: three bytes of UTF-8
    assert as_utf8(euros) == "\u20ac".encode() * 1000
    latin = "Ÿ".encode("iso-8859-15") * 10
    assert as_utf8(latin, "text/plain; charset=ISO-8859-15") == "Ÿ".encode() * 10
    undefined = bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D])  # none in Windows-1252: Latin-1's
    assert as_utf8(undefined).decode() == undefined.decode("latin-1")
    plain = '{"order": 1, "name": "Заказ"}'.encode()
    assert as_utf8(plain) is plain  # UTF-8: untouched, not copied


@pytest.mark.parametrize("mark", [b"\xff\xfe", b"\xfe\xff"])
def test_a_utf16_mark_before_utf8_text_hides_no_key(panel, tmp_path, mark):
    # A stray byte order mark before a UTF-8 answer: decoded as UTF-16, the
    # key it echoed became CJK characters that its blanking did not find,
    # printed and stored ("獯楴敬..." is "stile-key-..." read back as UTF-16).
    _server, replies, cli = panel
    replies["add"] = raw(mark, '{"error": "bad key ', KEY, '"}')
    result = cli(*ADD)
    assert result.exit_code == 1
    assert result.stderr == "smm-tracker: sim: add: bad key ***; no order placed\n"  # a refusal
    replies["status"] = raw(mark, '{"7": {"error": "key ', KEY, '"}, "8": "Completed"}')
    assert cli("track", "7", "8").exit_code == 0
    assert cli("run", "--once", "--all").exit_code == 0
    assert _orders(tmp_path) == [(7, None, None, "key ***"), (8, "Completed", "Completed", None)]
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    for shift in (0, 1):  # the key read as UTF-16, from either byte
        hidden = KEY[shift:].encode()[: (len(KEY) - shift) // 2 * 2]
        assert hidden.decode("utf-16-le") not in dump and hidden.decode("utf-16-be") not in dump


@pytest.mark.parametrize(
    ("mark", "content_type"),
    [(b"\xff\xfe", "text/html"), (b"", "text/html; charset=utf-16")],
)
def test_utf8_with_a_nul_under_a_utf16_mark_or_header_hides_no_key(panel, mark, content_type):
    # A NUL byte (a PHP private property's "\0*\0", a stray one at the end)
    # is no UTF-16 text either: read as UTF-16 the key became CJK, unblanked.
    _server, replies, cli = panel
    replies["add"] = raw(mark, '{"error": "bad key ', KEY, '"}\x00', content_type=content_type)
    result = cli(*ADD)
    assert result.exit_code == 1
    assert "bad key ***" in result.stderr
    for shift in (0, 1):
        hidden = KEY[shift:].encode()[: (len(KEY) - shift) // 2 * 2]
        assert hidden.decode("utf-16-le") not in result.stderr
        assert hidden.decode("utf-16-be") not in result.stderr


def _misread(text: str) -> list[str]:
    """``text``'s UTF-8 bytes read as UTF-16, either order, from either byte."""
    raw_text = text.encode()
    pairs = [raw_text[shift:][: (len(raw_text) - shift) // 2 * 2] for shift in (0, 1)]
    return [pair.decode(codec) for pair in pairs for codec in ("utf-16-le", "utf-16-be")]


@pytest.mark.parametrize("mark", [b"\xff\xfe", b"\xfe\xff"])
def test_a_crafted_utf16_brace_before_utf8_text_is_read_as_utf8(panel, mark):
    # "{\x00" is "{" in UTF-16: a UTF-8 answer starting so was read as UTF-16,
    # "answered invalid JSON: {攢牲牯..." with the key it echoed in CJK, unblanked.
    _server, replies, cli = panel
    brace = b"{\x00" if mark == b"\xff\xfe" else b"\x00{"
    replies["add"] = raw(mark, brace, '"error": "bad key ', KEY, '"}')
    result = cli(*ADD)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "invalid JSON" in result.stderr and "bad key ***" in result.stderr, result.stderr
    assert not any(form in result.stderr for form in _misread(KEY)), result.stderr


def test_utf8_text_inside_utf16_json_is_stored_without_the_key(panel, tmp_path):
    # The same bytes may be both UTF-8 and UTF-16: JSON in UTF-16 holding the
    # key in UTF-8 is read as UTF-16 (as written), the key in it as CJK: blanked.
    _server, replies, cli = panel
    words = "xx key " + KEY  # an even length: the UTF-16 after it stays in step
    assert len(words.encode()) % 2 == 0
    wide = "utf-16-le"
    replies["status"] = raw(
        b"\xff\xfe",
        '{"7": {"error": "'.encode(wide),
        words,
        '"}, "8": "Completed"}'.encode(wide),
    )
    assert cli("track", "7", "8").exit_code == 0
    assert cli("run", "--once", "--all").exit_code == 0
    (seven, error), eight = [(o[0], o[3]) for o in _orders(tmp_path)][0], _orders(tmp_path)[1]
    assert (seven, eight[1]) == (7, "Completed")
    assert error is not None and "***" in error, error
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    assert not any(form in dump for form in _misread(KEY))


SHORT_KEY = "Ab3dE9xZ"  # 8 characters: real panels issue such keys too


@pytest.mark.parametrize(
    "words", ["xxx key " + SHORT_KEY, "xx key " + SHORT_KEY + "!"], ids=["in step", "a byte on"]
)
def test_a_short_key_in_utf8_inside_utf16_json_is_kept_from_log_and_database(
    tmp_path, monkeypatch, words
):
    # Read as UTF-16, an 8-character key is 4 CJK characters (3 from its
    # second byte): looked for only from 12 characters on, it went to the
    # unknown_status line, the alert and every stored copy of the status.
    assert len(words.encode()) % 2 == 0  # the UTF-16 after it stays in step
    wide = "utf-16-le"
    with scripted_panel(tmp_path, monkeypatch, SHORT_KEY) as (_server, replies, cli):
        replies["status"] = raw(
            b"\xff\xfe",
            '{"7": {"status": "'.encode(wide),
            words,
            '", "remains": "5"}, "8": {"error": "'.encode(wide),
            words,
            '"}}'.encode(wide),
        )
        assert cli("track", "7", "8").exit_code == 0
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "unknown_status" in run.stderr and "***" in run.stderr, run.stderr
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    (seven, status, said, _), (eight, _, _, error) = _orders(tmp_path)
    assert (seven, eight) == (7, 8)
    assert "***" in status and "***" in said and "***" in error, (status, error)
    for form in _misread(SHORT_KEY):  # its readings of 3 characters or more
        assert form not in run.stderr and form not in dump, form


def _status_with_key_stray(tmp_path, monkeypatch, key: str, codec: str, written: str):
    """Run a status call whose UTF-16 answer (``codec``, its mark first) holds
    ``key`` in ``written`` between two stray bytes; return the run's stderr,
    a dump of the database and order 7's stored status."""
    mark = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    with scripted_panel(tmp_path, monkeypatch, key) as (_server, replies, cli):
        replies["status"] = raw(
            mark,
            '{"7": {"status": "key '.encode(codec),
            b"x" + key.encode(written) + b"y",
            '", "remains": "5"}, "8": "Completed"}'.encode(codec),
        )
        assert cli("track", "7", "8").exit_code == 0
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "unknown_status" in run.stderr and "***" in run.stderr, run.stderr
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    (seven, status, _, _), (_, done, _, _) = _orders(tmp_path)
    assert (seven, done) == (7, "Completed") and "***" in status, status
    return run.stderr, dump, status


@pytest.mark.parametrize("key", [SHORT_KEY, KEY], ids=["8 characters", "23 characters"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_key_in_utf16_a_byte_out_of_step_is_kept_from_log_and_database(
    tmp_path, monkeypatch, key, codec
):
    # A stray byte before the key's UTF-16 in a UTF-16 body, one after it:
    # the answer reads as JSON, the key in it as CJK ("k" as U+6B00), which
    # went unblanked whatever its length to the log line, the alert and the
    # stored status.
    stderr, dump, _ = _status_with_key_stray(tmp_path, monkeypatch, key, codec, codec)
    moved = "".join(chr(ord(char) << 8) for char in key)
    for form in (moved[1:-1], moved[2:]):  # either end shares a unit with a stray byte
        assert form not in stderr and form not in dump, form


@pytest.mark.parametrize("key", [SHORT_KEY, "Ab3dE9xZq7Lm"], ids=["8 characters", "12 characters"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_key_in_the_other_utf16_a_byte_out_of_step_is_kept_from_log_and_database(
    tmp_path, monkeypatch, key, codec
):
    # The key's UTF-16 in the other byte order after a stray byte, in a
    # UTF-16 body: it read as the key but one end, that end's letter the low
    # byte of the character beside it ("xAb3dE9x" then U+795A, "Z" and the
    # "y" after it). Under 16 characters it went as it was to the log line,
    # the alert and the stored status.
    other = "utf-16-be" if codec == "utf-16-le" else "utf-16-le"
    stderr, dump, status = _status_with_key_stray(tmp_path, monkeypatch, key, codec, other)
    assert status in ("key x***", "key ***y"), status  # the stray byte standing alone kept
    for rest in (key[1:], key[:-1]):  # the key but the end read with a neighbour
        assert rest not in stderr and rest not in dump, rest
