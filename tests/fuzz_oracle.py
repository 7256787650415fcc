"""One fuzzed answer through the client's real entry points, and what must hold.

:func:`run_case` answers a :class:`tracker.panel.client.PanelClient` (its
transport an ``httpx.MockTransport``: the whole path from response bytes to
parsed values runs as on a real answer) with a body from
:mod:`fuzzing`, calls one entry point, and returns the broken invariants:
an exception outside the panel error hierarchy, the key in any produced
text (results, exception, log events), a number out of its documented
bounds, a report for an ID nobody asked about, a whole-call failure or
refusal (in any shape the tracker reads as one) come out as an order's
report, a status, a balance or a catalogue, or a text that cannot be
written as UTF-8.
"""

from __future__ import annotations

import dataclasses
import json
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
from fuzzing import KEY, Fuzzer, key_forms, write
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.errors import AuthError, PanelError
from tracker.jobs.asking import ask_batch
from tracker.jobs.batch_answer import Answer
from tracker.panel.body import decode_document
from tracker.panel.client import PanelClient
from tracker.panel.deadline import MAX_ANSWER, MAX_SERVICES_ANSWER
from tracker.panel.encoding import as_utf8
from tracker.panel.ids import ID_MAX
from tracker.panel.models import (
    Balance,
    CancelResult,
    NewOrder,
    OrderStatus,
    RefillRequest,
    RefillStatus,
    Service,
)
from tracker.panel.values import AMOUNT_LIMIT
from tracker.redact.pieces import blank_pieces
from tracker.redact.scrub import scrub_bytes

# Entry point -> the action its call sends.
WIRE = {"status": "status", "statuses": "status", "poll": "status", "add": "add",
        "balance": "balance", "services": "services", "refill": "refill",
        "refills": "refill", "refill_status": "refill_status",
        "refill_statuses": "refill_status", "cancel": "cancel"}  # fmt: skip
ENTRY_POINTS = sorted(WIRE)
MULTI = {"statuses", "poll", "refills", "refill_statuses", "cancel"}
SINGLE_ID = {"status", "refill", "refill_status"}
# Where a refusal of the whole call ({"error": "Incorrect request"}, in any
# shape read as one) must come out as no result: a multi call's, and a
# single status's (never an order's status), balance's or catalogue's.
REFUSED = MULTI | {"status", "balance", "services"}
_FORMS = [form.lower() for form in key_forms().values()]
_INT64 = 2**63
WITNESS = {"balance": b'{"balance": "1.50", "currency": "USD"}', "services": b"[]"}


@dataclasses.dataclass
class Case:
    entry: str
    ids: list[int]
    body: bytes
    content_type: str | None
    code: int
    whole: str | None  # "garbage", "key", "error": a failure of the whole call
    witness_too: bool  # every action answered with the body (else witnesses answer)

    def shown(self) -> str:
        return (f"{self.entry} ids={self.ids} code={self.code} whole={self.whole} "
                f"same={self.witness_too} ctype={self.content_type!r} "
                f"body={self.body[:300]!r}{'...' if len(self.body) > 300 else ''}")  # fmt: skip


def make_case(fz: Fuzzer, entry: str) -> Case:
    """Given a fuzzer and an entry point, return its next case."""
    r = fz.r
    ids = sorted({r.randint(1, 10**6) for _ in range(1 if entry in SINGLE_ID else r.randint(1, 6))})
    kind, whole, ctype = r.random(), None, None
    if kind < 0.08:
        body, whole = fz.garbage(), "garbage"
    elif kind < 0.2:
        echo = f" (key {r.choice(list(key_forms().values()))})" if r.random() < 0.3 else ""
        tree, whole = fz.whole_failure(WIRE[entry], entry in MULTI, echo)
        body, ctype = fz.body(write(tree), bend=False)
    else:
        tree = fz.answer(entry, ids)
        if r.random() < 0.85:
            tree = fz.mutate(tree)
        body, ctype = fz.body(write(tree))
    limit = MAX_SERVICES_ANSWER if entry == "services" else MAX_ANSWER
    if len(body) > limit or holds_no_document(body, ctype):  # UTF-16 with no mark or charset too
        whole = "garbage"
    return Case(entry, ids, body, ctype, fz.code(), whole, r.random() < 0.3)


def judged(case: Case) -> Case:
    """Given a case built by hand, return it with ``whole`` set to "garbage"
    when its body holds no JSON document as the transport reads it."""
    if holds_no_document(case.body, case.content_type):
        case.whole = "garbage"
    return case


def holds_no_document(body: bytes, content_type: str | None) -> bool:
    """Return True when the body, as the transport reads it (the key blanked
    first, breaks inside its forms too), holds no JSON document."""
    try:
        decode_document(blank_pieces(scrub_bytes(as_utf8(body, content_type), [KEY]), KEY))
    except PanelError:
        return True
    return False


def client_for(case: Case) -> PanelClient:
    wire = WIRE[case.entry]

    def answer(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        headers = {"Content-Type": case.content_type} if case.content_type else {}
        action = form.get("action")
        if case.witness_too or action == wire:
            return httpx.Response(case.code, content=case.body, headers=headers)
        said = WITNESS.get(action or "", b'{"error": "Incorrect request"}')
        return httpx.Response(200, content=said)

    config = PanelConfig(name="fz", url="https://panel.test/api/v2", key=Secret(KEY), retries=0)
    return PanelClient(config, transport=httpx.MockTransport(answer), sleep=lambda s: None)


def call(client: PanelClient, entry: str, ids: list[int]) -> Any:
    if entry == "status":
        return client.status(ids[0])
    if entry == "statuses":
        return client.statuses(ids)
    if entry == "poll":
        return ask_batch(client, ids)
    if entry == "add":
        return client.add(NewOrder(1, "https://example.com/p/1", 100))
    if entry in ("balance", "services"):
        return getattr(client, entry)()
    if entry == "refill":
        return client.refill(ids[0])
    if entry == "refills":
        return client.refills(ids)
    if entry == "refill_status":
        return client.refill_status(str(ids[0]))
    if entry == "refill_statuses":
        return client.refill_statuses([str(i) for i in ids])
    return client.cancel(ids)


def run_case(case: Case) -> tuple[list[str], float]:
    """Given a case, return the invariants it broke (empty: none) and its
    seconds of CPU (the process's: a loaded machine, four test workers on two
    cores, stretches the wall, not the work a quadratic read would do)."""
    client = client_for(case)
    result: Any = None
    error: BaseException | None = None
    started = time.process_time()
    try:
        with capture_logs() as events:
            try:
                result = call(client, case.entry, case.ids)
            except Exception as exc:  # judged below: only PanelErrors may escape
                error = exc
    finally:
        client.close()
    seconds = time.process_time() - started
    broken: list[str] = []
    if error is not None and not isinstance(error, PanelError):
        broken.append(f"escaped {type(error).__name__}: {str(error)[:200]!r}")
    if isinstance(error, PanelError) and ("\n" in str(error) or "\r" in str(error)):
        broken.append(f"error of more than one line: {str(error)[:200]!r}")
    texts = list(_texts(result)) + list(_texts(events))
    if error is not None:
        texts += [str(error), *(_texts(vars(error)))]
    for text in texts:
        lowered = text.lower()
        leaked = [form for form in _FORMS if form in lowered]
        if leaked:
            broken.append(f"key leaked ({leaked[0]!r}) in {text[:200]!r}")
        try:
            text.encode("utf-8")
        except UnicodeError:
            broken.append(f"text not writable as UTF-8: {text[:80]!r}")
    if error is None:
        broken += _judge(case, result)
    elif case.whole == "key" and case.code == 200 and not isinstance(error, AuthError):
        broken.append(f"key refusal raised {type(error).__name__}: {str(error)[:120]!r}")
    return broken, seconds


def _judge(case: Case, result: Any) -> list[str]:
    """Given a case that raised nothing, return what is wrong with its result."""
    broken: list[str] = []
    asked = set(case.ids)
    if case.whole in ("garbage", "key") or (case.whole == "error" and case.entry in REFUSED):
        reports = result.reports if isinstance(result, Answer) else result
        if case.entry not in ("poll",) or reports:
            broken.append(f"whole-call failure ({case.whole}) read as {str(result)[:200]}")
    items = result.reports if isinstance(result, Answer) else result
    if isinstance(items, dict):
        broken += [
            f"keyed {k} holds order {v.order_id}" for k, v in items.items() if k != v.order_id
        ]
        items = list(items.values())
    if not isinstance(items, list):
        items = [items]
    seen: list[int] = []
    for item in items:
        broken += _check_item(item, asked, case)
        if isinstance(item, CancelResult | OrderStatus | RefillRequest):
            seen.append(item.order_id)
    if len(seen) != len(set(seen)) and case.entry != "services":
        broken.append(f"an order reported twice: {seen}")
    return broken


def _check_item(item: Any, asked: set[int], case: Case) -> list[str]:
    bad: list[str] = []
    if isinstance(item, int) and not isinstance(item, bool):  # add's order ID
        if not 1 <= item <= ID_MAX:
            bad.append(f"order ID out of range: {item}")
        return bad
    if isinstance(item, OrderStatus | RefillRequest | CancelResult) and item.order_id not in asked:
        bad.append(f"report for order {item.order_id}, not asked {sorted(asked)}")
    if isinstance(item, RefillStatus) and item.refill_id not in {str(i) for i in asked}:
        bad.append(f"report for refill {item.refill_id!r}, not asked")
    refill_id = item.refill_id if isinstance(item, RefillRequest) else None
    if refill_id is not None and not (refill_id.isascii() and refill_id.isdigit()):
        bad.append(f"refill ID {refill_id!r} is no positive ID")
    elif refill_id is not None and not int(refill_id):
        bad.append(f"refill ID {item.refill_id!r} is no positive ID")
    if isinstance(item, OrderStatus):
        bad += _amount("charge", item.charge, low=Decimal(0))
        for name in ("start_count", "remains", "runs"):
            bad += _int64(name, getattr(item, name))
        bad += [f"child order {c}" for c in item.child_orders if not 1 <= c <= ID_MAX]
    if isinstance(item, Balance):
        bad += _amount("balance", item.balance, low=-AMOUNT_LIMIT)
    if isinstance(item, Service):
        if not 1 <= item.service < _INT64:
            bad.append(f"service ID {item.service}")
        bad += _amount("rate", item.rate, low=-AMOUNT_LIMIT)
        bad += _int64("min", item.min) + _int64("max", item.max)
    for text in _texts(item):
        if len(text) > 1000:
            bad.append(f"text of {len(text)} characters kept: {text[:80]!r}")
    return bad


def _amount(name: str, value: Decimal | None, low: Decimal) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, Decimal) or not value.is_finite():
        return [f"{name} {value!r} not a finite Decimal"]
    if not low <= value < AMOUNT_LIMIT or (value and value.adjusted() < -18):
        return [f"{name} {value} out of bounds"]
    return []


def _int64(name: str, value: int | None) -> list[str]:
    if value is None or (type(value) is int and -_INT64 <= value < _INT64):
        return []
    return [f"{name} {value!r} not an int64"]


def _texts(value: Any, depth: int = 0) -> Any:
    """Yield every text inside ``value`` (results, events, exception fields)."""
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(k, depth + 1)
            yield from _texts(v, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _texts(v, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield from _texts(dataclasses.asdict(value), depth + 1)
    elif isinstance(value, BaseException):
        yield str(value)
    elif value is not None and not isinstance(value, int | float | Decimal):
        yield repr(value)


def dump(case: Case) -> str:
    """Given a case, return it as JSON (to replay it as a regression test)."""
    return json.dumps({**dataclasses.asdict(case), "body": case.body.decode("latin-1")})
