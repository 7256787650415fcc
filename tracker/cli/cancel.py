"""``smm-tracker cancel``: ask the panel to cancel orders, and keep its answers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from tracker.cli.main import EXIT_FAILED, Context, fail, handle_errors, main, open_store, pass_ctx
from tracker.cli.orders import panel_option, parse_order_ids
from tracker.cli.render import safe_text
from tracker.clock import utcnow
from tracker.errors import AuthError, PanelAnswerError, PanelError, TransientError
from tracker.panel.refusals import is_busy
from tracker.store.cancels import ACCEPTED, REFUSED, UNKNOWN, record_cancels
from tracker.store.capabilities import is_unsupported, learn

if TYPE_CHECKING:
    from tracker.panel.client import PanelClient

MAX_IDS = 100  # the API's limit per cancel call
# Not a stored result: the call certainly did not reach the panel (HTTP 429,
# "Too many requests"), so nothing is recorded and nothing was canceled.
NOT_SENT = "not sent"


def interactive() -> bool:
    """True when a person can answer a question (stdin and stdout are terminals)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(ids: list[int], panel: str) -> bool:
    shown = ", ".join(map(str, ids[:10])) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    try:
        return click.confirm(f"Cancel {len(ids)} order(s) on {panel}: {shown}?", default=False)
    except click.Abort:
        return False


def cancel_orders(
    client: PanelClient, ids: list[int]
) -> Iterator[list[tuple[int, str, str | None]]]:
    """Given a panel client and order IDs, cancel them <=100 per call; yield
    each call's (order_id, result, error) for its IDs, in the order given.

    A call of several orders refused as a whole while the panel answers other
    calls (one order of it may have provoked it; nothing was canceled) is
    asked again in halves, down to the orders refused alone: at most 2n - 1
    calls for n orders."""
    from tracker.panel.client import WholeCallRefused  # httpx: only when cancelling

    todo = [ids[start : start + MAX_IDS] for start in range(0, len(ids), MAX_IDS)]
    while todo:
        chunk = todo.pop(0)
        try:
            answers = {a.order_id: a for a in client.cancel(chunk)}
        except PanelAnswerError as exc:  # the panel refused the whole call
            if is_busy(exc.detail):  # HTTP 429 in words: nothing was canceled
                yield [(i, NOT_SENT, f"panel busy: {exc.detail}") for i in chunk]
                continue
            refusal = client.refusal("cancel", exc)
            if isinstance(refusal, AuthError):  # the key, in words of its own: nothing done
                raise AuthError(refusal.detail, panel=client.name, action="cancel") from None
            if (
                isinstance(refusal, WholeCallRefused)
                and len(chunk) > 1
                and not client.lacks_action("cancel", exc.detail)
            ):
                half = len(chunk) // 2
                todo[:0] = [chunk[:half], chunk[half:]]
                continue
            yield [(i, REFUSED, exc.detail) for i in chunk]
            continue
        except PanelError as exc:  # no usable answer: it may or may not have happened
            sent = not isinstance(exc, TransientError) or exc.maybe_sent
            yield [(i, UNKNOWN if sent else NOT_SENT, str(exc)) for i in chunk]
            continue
        results: list[tuple[int, str, str | None]] = []
        for order_id in chunk:
            answer = answers.get(order_id)
            if answer is None:
                results.append((order_id, UNKNOWN, "not in the panel's answer"))
            elif answer.ok:
                results.append((order_id, ACCEPTED, None))
            elif answer.unknown:  # neither yes nor no: it may have been canceled
                results.append((order_id, UNKNOWN, answer.error))
            else:
                results.append((order_id, REFUSED, answer.error or "refused"))
        yield results


def _show(order_id: int, result: str, raw: str | None) -> None:
    error = safe_text(raw, 200)  # the panel's words: no terminal escapes
    if result == ACCEPTED:
        click.echo(f"#{order_id}  canceled (the panel accepted; status follows on its next check)")
    elif result == REFUSED:
        click.echo(f"#{order_id}  refused: {error}")
    elif result == NOT_SENT:
        click.echo(f"#{order_id}  not sent: {error} - try again later")
    else:  # said once: an "outcome unknown" error says it already
        check = "" if "check the panel" in error else " - check the panel"
        click.echo(f"#{order_id}  unknown: {error}{check}")


@main.command()
@click.argument("order_ids", nargs=-1, required=True, metavar="ORDER_ID... | -")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@panel_option
@pass_ctx
@handle_errors
def cancel(ctx: Context, order_ids: tuple[str, ...], yes: bool, panel: str | None) -> None:
    """Ask the panel to cancel orders (IDs, or - for stdin), 100 per call.

    Each order's answer is printed and stored in the cancels table. Asks first
    on a terminal unless --yes. Exit 1 when any cancel was refused or its
    answer was lost.
    """
    ids = list(dict.fromkeys(parse_order_ids(order_ids)))
    config = ctx.config(keys=True)
    panel_config = config.panel(panel)
    name = panel_config.name
    if not yes and interactive() and not _ask(ids, name):
        fail("nothing canceled", EXIT_FAILED)
    store = open_store(config)
    from tracker.panel.client import PanelClient  # httpx costs start-up; only here

    client = PanelClient(panel_config)
    results: list[tuple[int, str, str | None]] = []
    try:
        for answered in cancel_orders(client, ids):
            # Stored before shown: a closed pipe or a full disk under stdout
            # must not cost the record of what the panel did.
            record_cancels(store, name, [r for r in answered if r[1] != NOT_SENT], utcnow())
            results.extend(answered)
            for order_id, result, raw in answered:
                _show(order_id, result, raw)
    finally:
        client.close()
    if any(r == ACCEPTED for _, r, _ in results) and is_unsupported(store, name, "cancel"):
        learn(store, name, "cancel", True, "a cancel was accepted", utcnow())
        click.echo(f"{name} accepts cancels again: the automation may send them")
    refused = sum(1 for _, result, _ in results if result != ACCEPTED)
    if refused:
        fail(f"{refused} of {len(results)} cancel(s) not accepted", EXIT_FAILED)
