"""A seeded grammar of panel answers and the ways a hostile panel bends them.

:class:`Fuzzer` (``random.Random(seed)``, nothing else) builds, per action,
an answer in a shape panels send (shared/api-v2.md), then mutates it: wrong
types anywhere, absurd and oddly written numbers, deep nesting, keys given
twice, hostile unicode, the API key echoed in its encodings, PHP notices,
BOMs, HTML and UTF-16 around the JSON, truncation. JSON text is written
here (not by ``json.dumps``) so that it can hold what no encoder writes:
duplicate keys, ``NaN``, ``1e999999999``, lone surrogate escapes.

An answer is a tree of :class:`Obj` (pairs, duplicates allowed), lists,
:class:`Raw` (a JSON token written as is) and plain scalars.
"""

from __future__ import annotations

import base64
import codecs
import json
import random
from typing import Any
from urllib.parse import quote, quote_plus

KEY = "Qa/Key+9zX2=mN7pL4wR"


class Obj(list):
    """A JSON object as its (key, value) pairs, in order, duplicates allowed."""


class Raw(str):
    """A JSON token (a number, a string literal with its quotes) written as is."""


def key_forms(key: str = KEY) -> dict[str, str]:
    """The forms of ``key`` a panel may echo, as they stand in decoded text."""
    raw = key.encode()
    return {
        "plain": key,
        "url": quote(key, safe=""),
        "url_plus": quote_plus(key),
        "url_twice": quote(quote(key, safe=""), safe=""),
        "base64": base64.b64encode(raw).decode(),
        "base64_url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "hex": raw.hex(),
        "hex_upper": raw.hex().upper(),
        "json_slash": key.replace("/", "\\/"),
        # the encodings hostile-panel walks found later (tracker/redact/)
        "dashes": "-".join(key),
        "dots": ".".join(key),
        "rot13": codecs.encode(key, "rot13"),
        "base64_twice": base64.b64encode(base64.b64encode(raw)).decode(),
        "decimal_list": ",".join(str(byte) for byte in raw),
        "decimal_list_spaced": "[" + ", ".join(str(byte) for byte in raw) + "]",
        "quoted_printable": "".join(f"={byte:02X}" for byte in raw),
        "first_16": key[:16],
        "last_16": key[-16:],
    }


def _escaped_in_json(key: str = KEY) -> list[Raw]:
    """String literals that decode to the key: JSON escapes as PHP writes them."""
    every = "".join(f"\\u{ord(c):04x}" for c in key)
    return [Raw(f'"{key.replace("/", chr(92) + "/")}"'), Raw(f'"{every}"')]


STATUSES = ["Pending", "In progress", "Completed", "Partial", "Canceled", "Processing",
            "Cancelled", "In Progess", "completed", "AWAITING", "Fail", "Error", "Refunded",
            "Active", "Order not found", "Canceled: invalid link", "Paused"]  # fmt: skip
REFILL_STATUSES = ["Pending", "In progress", "Completed", "Rejected", "Refilling", "Error",
                   "Refill not found", "Canceled"]  # fmt: skip
KEY_REFUSALS = ["Invalid API key", "API key is incorrect", "Your account is inactive",
                "Incorrect API key.", "Unauthorized"]  # fmt: skip
ERRORS = ["Incorrect order ID", "Incorrect request", "Not enough funds on balance",
          "Refill not found", "Too many requests", "Order not eligible for refill.",
          "neworder.error.link_duplicate", "Bad Link", "Error", "Request Invalid"]  # fmt: skip
NUMBERS = ["1e999999999", "-1e999999999", "1E+400", "1e-400", "NaN", "Infinity", "-Infinity",
           "-0", "0e0", "123456789012345678901234567890", "9" * 5000, "-" + "9" * 30,
           "1.5e15", "9223372036854775808", "-9223372036854775809", "0.000000000000000000001",
           "100", "-2", "0.27819", "1e5"]  # fmt: skip
ODD_NUMBER_TEXTS = ["1,234.5", "1 250,50", "1.250,50", "0,27819", "0x1F", "\u0661\u0662",
                    " 7", "+7", "7.0", "1_000", "", "1e999999999", "-Infinity", "NaN",
                    "1\u00a0000", "\uff11\uff12", "12abc", "--1", "0" * 400 + "1",
                    "1e" + "9" * 30, "-0.0", "9" * 19]  # fmt: skip
NASTY_TEXTS = ["\u202eevil\u202c", "a\u200bb\u200d", "nul\x00byte", "\x1b[31mred\x1b[0m",
               "\x1b]0;title\x07", "\r\nSet-Cookie: x", "\ufeffbom", "\ud800", "\udfff",
               "\U0001f600", "\x7f\x85\u2028\u2029", "\\", '"', "<script>", "%00", "null",
               "\t" * 50, "A" * 100_000, "\u0301" * 1000]  # fmt: skip
NOTICES = ["Deprecated: Creation of dynamic property in /var/www/api.php on line 12\n",
           "<br />\n<b>Warning</b>:  Undefined array key \"x\" in <b>/a.php</b> on line "
           "<b>9</b><br />\n",
           '<div style="border:1px solid #990000;"><h4>A PHP Error was encountered</h4>'
           "<p>Severity: 8192</p></div>",
           "Notice: Undefined index: key in /var/www/api.php on line 3\n"]  # fmt: skip
# Shapes the tracker learnt to read since the first grammar (December 2026):
# statuses in HTML tags or entities (a reason after), in Russian (a cp1251
# body sent with no charset), success envelopes, refusals as JSON APIs
# write them, an error field only flagging one, refusals wrapped.
LEARNT_STATUSES = ["<b>Canceled</b>: not enough followers", "<b>In progress</b>",
                   '<span class="badge">Partial</span> (refunded 120)', "In&nbsp;progress",
                   "Partial&#32;", "<i>Completed</i>", "&lt;b&gt;Pending&lt;/b&gt;",
                   "Выполнен", "В процессе", "Отменен", "Частично выполнен"]  # fmt: skip
LEARNT_ERRORS = ["Неверный ID заказа", "Заказ не найден", "Недостаточно средств"]
ENVELOPES = [(("status", "success"),), (("success", True),), (("status", "ok"), ("message", "OK")),
             (("status", "success"), ("code", 200)), (("success", 1), ("msg", "done"))]  # fmt: skip
HOLDERS = ["data", "result", "response", "payload"]
REFUSAL_WORDS = ["Incorrect request", "Error", "Request Invalid"]
REASON_PHRASES = {"Unauthorized"}
CODES = [200] * 12 + [201, 400, 401, 403, 404, 422, 429, 500, 502, 503]


class Fuzzer:
    """Given a seed, build hostile answers for each action, repeatably."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    # --- scalars ------------------------------------------------------------

    def number(self) -> Any:
        r = self.r
        pick = r.randrange(6)
        if pick == 0:
            return Raw(r.choice(NUMBERS))
        if pick == 1:
            return r.choice(ODD_NUMBER_TEXTS)
        if pick == 2:
            return r.choice([r.randint(-(10**20), 10**20), r.randint(0, 10**6)])
        if pick == 3:
            return r.choice([r.uniform(-1e6, 1e6), r.random() * 10 ** r.randint(-30, 30)])
        return str(r.randint(0, 10**6)) if pick == 4 else f"{r.uniform(0, 100):.5f}"

    def text(self) -> Any:
        r = self.r
        pick = r.randrange(5)
        if pick == 0:
            return r.choice(NASTY_TEXTS if r.random() < 0.8 else LEARNT_STATUSES + LEARNT_ERRORS)
        if pick == 1:
            return self.key_echo()
        if pick == 2:
            return r.choice(STATUSES + REFILL_STATUSES + ERRORS + KEY_REFUSALS)
        if pick == 3:
            return "".join(chr(r.choice([r.randint(0, 0x7F), r.randint(0, 0x10FFFF)]))
                           for _ in range(r.randint(0, 40)))  # fmt: skip
        return r.choice(["", " ", "0", "1", "true", "yes", "[]", "{}"])

    def key_echo(self) -> Any:
        """The key in one of its forms, alone or inside words."""
        forms = [*key_forms().values(), *_escaped_in_json()]
        form = self.r.choice(forms)
        if isinstance(form, Raw) or self.r.random() < 0.4:
            return form
        return self.r.choice(["your key ", "key=", "<", "Invalid API key ", ""]) + form + " !"

    def scalar(self) -> Any:
        r = self.r
        pick = r.randrange(6)
        if pick == 0:
            return self.number()
        if pick == 1:
            return self.text()
        return [None, True, False, Obj(), [], Raw("-0.0")][r.randrange(6)]

    def value(self, depth: int = 0) -> Any:
        """Any JSON value, shallow."""
        if depth > 2 or self.r.random() < 0.6:
            return self.scalar()
        if self.r.random() < 0.5:
            return [self.value(depth + 1) for _ in range(self.r.randint(0, 4))]
        return Obj((self.any_key(), self.value(depth + 1)) for _ in range(self.r.randint(0, 4)))

    def any_key(self) -> str:
        r = self.r
        fields = ["error", "status", "order", "orders", "refill", "remains", "charge",
                  "balance", "service", "cancel", "start_count", "currency", "runs"]  # fmt: skip
        pick = r.randrange(4)
        if pick == 0:
            return r.choice(fields)
        if pick == 1:
            return str(self.r.choice(["", "0", "78.0", "+1", " 1", "1e0", "١"]))
        text = self.text() if pick == 2 else self.key_echo()  # a Raw: written as is
        return text if isinstance(text, str) else "k"

    def an_id(self, ids: list[int]) -> Any:
        r = self.r
        if r.random() < 0.8:
            chosen = r.choice(ids)
            return chosen if r.random() < 0.5 else str(chosen)
        return r.choice([0, -1, 10**19, "007", f"{r.choice(ids)}.0", r.randint(1, 10**6)])

    # --- answers by action --------------------------------------------------

    def order_item(self, order_id: int | None = None, name: str = "order") -> Any:
        r = self.r
        item = Obj([("status", r.choice(STATUSES if r.random() < 0.85 else LEARNT_STATUSES))])
        for name in ("charge", "start_count", "remains"):
            if r.random() < 0.8:
                item.append((name, self.number() if r.random() < 0.3 else str(r.randint(0, 999))))
        if r.random() < 0.7:
            item.append(("currency", r.choice(["USD", "RUB", "INR", "EUR"])))
        if r.random() < 0.1:
            item += [("runs", str(r.randint(1, 9))), ("orders", [r.randint(1, 10**6), "5"])]
        if order_id is not None:
            item.append((name, order_id if r.random() < 0.5 else str(order_id)))
        if r.random() < 0.2:
            r.shuffle(item)
        return item

    def status_multi(self, ids: list[int]) -> Any:
        r = self.r
        items = []
        for order_id in ids:
            if r.random() < 0.15:
                continue  # dropped silently
            item = (
                r.choice([Obj([("error", "Incorrect order ID")]), "Incorrect order ID"])
                if r.random() < 0.15
                else self.order_item()
            )
            items.append((order_id, item))
        if r.random() < 0.05:  # the one-order shape, to orders=
            return self.order_item()
        if r.random() < 0.3:  # a list naming its orders by order, id or order_id
            name = r.choice(["order", "order", "id", "order_id"])
            return [self.order_item(order_id, name) for order_id, _ in items]
        return Obj((str(order_id), item) for order_id, item in items)

    def answer(self, action: str, ids: list[int]) -> Any:
        tree = self._answer(action, ids)
        if action != "services" and self.r.random() < 0.06:
            # One holding nothing ({}, [], null) now and then: read as bare (hostile182).
            held = self.r.choice([Obj([]), [], None]) if self.r.random() < 0.15 else tree
            return self.envelope(held)
        return tree

    def envelope(self, tree: Any) -> Any:
        """``tree`` in a success envelope: ``{"status": "success", "data": ...}``."""
        r = self.r
        beside = list(r.choice(ENVELOPES))
        at = r.randrange(len(beside) + 1)
        return Obj([*beside[:at], (r.choice(HOLDERS), tree), *beside[at:]])

    def _answer(self, action: str, ids: list[int]) -> Any:
        r = self.r
        if action == "status":
            return self.order_item(ids[0] if r.random() < 0.2 else None)
        if action in ("statuses", "poll"):
            return self.status_multi(ids)
        if action == "add":
            return Obj([("order", self.an_id([r.randint(1, 10**9)]))])
        if action == "balance":
            return Obj([("balance", self.number()), ("currency", r.choice(["USD", "RUB"]))])
        if action == "services":
            return [self.service(r.randint(1, 5000)) for _ in range(r.randint(0, 6))]
        if action in ("refill", "refills"):
            items = [Obj([("order", self.an_id(ids)), ("refill", self.refill_value())])
                     for _ in ids]  # fmt: skip
            if action == "refill":
                return Obj([("refill", self.refill_value())])
            if r.random() < 0.3:
                return Obj((str(i), Obj([("refill", self.refill_value())])) for i in ids)
            return items
        if action in ("refill_status", "refill_statuses"):
            if action == "refill_status":
                return Obj([("status", self.refill_status_value())])
            return [Obj([("refill", self.an_id(ids)), ("status", self.refill_status_value())])
                    for _ in ids]  # fmt: skip
        if action == "cancel":
            if r.random() < 0.05:  # an error envelope of no words (hostile189): outcome unknown
                return r.choice([Obj([("status", "error"), ("data", Obj([]))]),
                                 Obj([("success", False)])])  # fmt: skip
            if r.random() < 0.3:
                return Obj((str(i), r.choice([1, 0, "1", Obj([("error", "No")])])) for i in ids)
            return [Obj([("order", self.an_id(ids)), ("cancel", self.cancel_value())])
                    for _ in ids]  # fmt: skip
        raise ValueError(action)

    def refill_value(self) -> Any:
        r = self.r
        return r.choice([r.randint(1, 10**6), str(r.randint(1, 10**6)),
                         Obj([("error", r.choice(ERRORS))]), "Incorrect order ID"])  # fmt: skip

    def refill_status_value(self) -> Any:
        r = self.r
        word = r.choice(REFILL_STATUSES if r.random() < 0.85 else LEARNT_STATUSES)
        return r.choice([word, Obj([("error", "Refill not found")])])

    def cancel_value(self) -> Any:
        error = self.r.choice(["Incorrect order ID", *LEARNT_ERRORS])
        return self.r.choice([1, 0, True, "1", Obj([("error", error)])])

    def service(self, number: int) -> Any:
        r = self.r
        return Obj([("service", number if r.random() < 0.5 else str(number)),
                    ("name", self.text() if r.random() < 0.2 else "Followers"),
                    ("type", "Default"), ("category", "IG"), ("rate", self.number()),
                    ("min", self.number()), ("max", self.number()),
                    ("refill", r.choice([True, 1, "1", "0", None])),
                    ("cancel", r.choice([True, False, "0"]))])  # fmt: skip

    def whole_failure(
        self, action: str = "", multi: bool = False, echo: str = ""
    ) -> tuple[Any, str]:
        """An answer failing the whole call: the key refused, or an error
        object (its words followed by ``echo``); for a wire ``action``
        (``multi``: asking many IDs), in the refusal shapes the tracker reads
        for it too (:meth:`refusal`)."""
        r = self.r
        if r.random() < 0.5:
            words, kind = r.choice(KEY_REFUSALS) + echo, "key"
        else:
            words, kind = r.choice(REFUSAL_WORDS) + echo, "error"
        if action and r.random() < 0.4:
            return self.refusal(action, multi, words), kind
        answer = Obj([("error", words)])
        if r.random() < 0.3:
            answer.append(("status", r.choice(["102", 102, "error"])))
        return answer, kind

    def refusal(self, action: str, multi: bool, words: str) -> Any:
        """A refusal of ``words`` to the whole call, in one of the shapes the
        tracker reads as ``{"error": words}`` for ``action``: the error field
        only flagging one, the message beside; JSON APIs' (``{"status":
        "error", "message": ...}``, ``{"success": false, ...}``); wrapped in
        one key (``data``, ``result``...), the words alone there too; under
        ``orders`` (a multi call)."""
        r = self.r
        shapes = ["flag", "wrapped"]
        if action in ("status", "balance", "services", "add", "refill", "cancel"):
            shapes.append("json_api")  # to add, refill, cancel since hostile182
        if action == "refill_status":  # with a holder (hostile189); without, maybe the refill's
            shapes.append("json_api")
        # The words alone: an HTTP reason phrase ("Unauthorized") may be a
        # proxy's, read as the panel's refusal of the key to a read only.
        alone = action == "status" or words not in REASON_PHRASES
        if action in ("status", "refill", "cancel") and alone:
            shapes.append("words_wrapped")
        if multi and action in ("status", "refill", "cancel"):
            shapes.append("orders")
        shape = r.choice(shapes)
        said = r.choice(["message", "msg"])
        if shape == "flag":
            return Obj([("error", r.choice([True, 1, "true"])), (said, words)])
        if shape == "json_api":  # an error envelope's holder beside, null or empty, at times
            holds = r.random() < 0.3 or action == "refill_status"
            held = [(r.choice(HOLDERS), r.choice([None, Obj([]), []]))] if holds else []
            return r.choice([Obj([("status", r.choice(["error", "fail"])), (said, words), *held]),
                             Obj([("success", False), (said, words), *held])])  # fmt: skip
        if shape == "wrapped":
            return Obj([(r.choice(HOLDERS[:2]), Obj([("error", words)]))])
        if shape == "words_wrapped":
            return Obj([(r.choice(HOLDERS), words)])
        held = words if alone and r.random() < 0.5 else Obj([("error", words)])
        return Obj([("orders", held)])

    # --- mutations of the tree ----------------------------------------------

    def mutate(self, tree: Any) -> Any:
        """Return ``tree`` with one to three nodes bent (wrong type, absurd
        number, nasty text, key twice, deep nesting, key echoed as a key)."""
        for _ in range(self.r.randint(1, 3)):
            tree = self._mutate_once(tree)
        return tree

    def _mutate_once(self, tree: Any) -> Any:
        nodes = list(_nodes(tree))
        path = self.r.choice(nodes)
        node = _get(tree, path)
        r = self.r
        pick = r.randrange(9)
        if pick == 0:
            new = self.value()
        elif pick == 1:
            new = self.number()
        elif pick == 2:
            new = self.text()
        elif pick == 3:
            new = self.nest(node)
        elif pick == 4 and isinstance(node, Obj) and node:
            new = Obj(node)
            key, value = r.choice(node)
            new.insert(r.randrange(len(new) + 1), (key, r.choice([value, self.value()])))
        elif pick == 5 and isinstance(node, Obj) and node:
            new = Obj(node)
            index = r.randrange(len(new))
            new[index] = (self.any_key(), new[index][1])
        elif pick == 6 and isinstance(node, Obj | list):
            new = (
                list(v for _, v in node)
                if isinstance(node, Obj)
                else Obj((str(r.randint(0, 3)), v) for v in node)
            )
        elif pick == 7 and isinstance(node, Obj | list) and node:
            new = type(node)(node)
            del new[r.randrange(len(new))]
        else:
            new = r.choice([None, Obj(), [], "", Raw("null")])
        return _set(tree, path, new)

    def nest(self, node: Any) -> Any:
        depth = self.r.choice([5, 100, 900, 990, 1000, 3000, 100_000])
        if self.r.random() < 0.5:
            return Raw("[" * depth + write(node) + "]" * depth)
        return Raw('{"a":' * depth + write(node) + "}" * depth)

    # --- the body -----------------------------------------------------------

    def body(self, text: str, bend: bool = True) -> tuple[bytes, str | None]:
        """Given JSON text, return the body bytes a hostile panel sends (and a
        Content-Type): notices, BOMs, HTML, UTF-16; with ``bend`` truncation
        and stray bytes too."""
        r = self.r
        content_type = r.choice([None, "application/json", "text/html; charset=UTF-8"])
        if r.random() < 0.04 and text[-1:] in ("}", "]"):  # a trailing comma
            text = text[:-1] + r.choice([",", ", ", ",\n"]) + text[-1]
        if r.random() < 0.04:  # JSONP
            text = f"{r.choice(['callback', 'jQuery1113_1700', 'cb'])}({text}){r.choice([';', ''])}"
        if r.random() < 0.2:
            text = r.choice(NOTICES) + text
        if r.random() < 0.05:
            text = text + "\n" + r.choice(NOTICES)
        if r.random() < 0.03:
            text = f"<html><head><title>{self.key_echo()}</title></head><body>{text}</body></html>"
        if r.random() < 0.05:
            text = " " * r.choice([10, 10_000, 1_000_000]) + text
        data = text.encode("utf-8", "surrogatepass")
        if r.random() < 0.05:
            data = codecs.BOM_UTF8 + data
        if r.random() < 0.05:  # Windows-1251, no charset said (where it can be)
            try:
                data = text.encode("cp1251")
                content_type = r.choice([None, "application/json", "text/html"])
            except UnicodeEncodeError:
                pass
        if r.random() < 0.05:
            wide = r.choice(["utf-16", "utf-16-le", "utf-32"])
            data = text.encode(wide, "surrogatepass")
            content_type = f"application/json; charset={wide}" if r.random() < 0.5 else None
        if bend and r.random() < 0.1:
            data = data[: r.randrange(len(data) + 1)]
        if bend and r.random() < 0.05 and data:
            at = r.randrange(len(data))
            stray = r.choice([b"\x00", b"\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\x1b[2J", b"\n"])
            data = data[:at] + stray + data[at:]
        return data, content_type

    def garbage(self) -> bytes:
        r = self.r
        return r.choice([
            b"",
            b"<html><head><title>502 Bad Gateway</title></head></html>",
            b"Just a moment...",
            bytes(r.randrange(256) for _ in range(r.randint(1, 200))),
            ("<b>Fatal error</b>: " + KEY).encode(),
            b"{" * 100_000,
            b'{"order": ' + b"1" * 2_000,
            KEY.encode(),
        ])  # fmt: skip

    def code(self) -> int:
        return self.r.choice(CODES)


def write(value: Any) -> str:
    """Given a tree, return JSON text (duplicates, raw tokens and lone surrogates kept)."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Obj):
        return "{" + ",".join(f"{_string(k)}:{write(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(write(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, float):
        return repr(value)  # nan, inf never: json.dumps would write NaN
    return json.dumps(value)


def _string(text: str) -> str:
    if isinstance(text, Raw):
        return str(text)
    return json.dumps(text, ensure_ascii=any(0xD800 <= ord(c) <= 0xDFFF for c in text))


def _nodes(tree: Any, path: tuple[int, ...] = ()) -> Any:
    yield path
    if isinstance(tree, Obj):
        for i, (_, v) in enumerate(tree):
            yield from _nodes(v, (*path, i))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _nodes(v, (*path, i))


def _get(tree: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        tree = tree[i][1] if isinstance(tree, Obj) else tree[i]
    return tree


def _set(tree: Any, path: tuple[int, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = type(tree)(tree)
    if isinstance(tree, Obj):
        copy[head] = (tree[head][0], _set(tree[head][1], rest, new))
    else:
        copy[head] = _set(tree[head], rest, new)
    return copy
