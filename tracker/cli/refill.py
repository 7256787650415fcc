"""The ``refill ID`` command: one tracked order's refill requested now,
recorded like automatic ones (the list of requests: :mod:`tracker.cli.refills`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from shlex import quote
from typing import Any, NoReturn

import click

from tracker.cli.child_of import REFILL, tell_parent
from tracker.cli.command import OnceCommand
from tracker.cli.main import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    Context,
    fail,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.order_args import order_panel, parse_order_id
from tracker.cli.panel_words import panel_words, quoting_panel
from tracker.cli.panels import name_is_one_of, note_held_elsewhere, panel_holding
from tracker.cli.render import safe_text
from tracker.cli.screen import stderr_screen
from tracker.cli.shield import Waits, shield, tell_wait
from tracker.cli.store_open import open_store
from tracker.clock import utcnow
from tracker.config.model import Config
from tracker.errors import StopRequested, failure_words
from tracker.jobs.learned import told_once_answered
from tracker.jobs.refill_outcomes import RequestResult
from tracker.jobs.refill_requests import PanelModes, request_refills
from tracker.panel.client import PanelClient
from tracker.panel.failures import WEB_PAGE
from tracker.panel.fixes import refused_hint, unserved_hint, web_page_hint
from tracker.panel.misdirected import names_fix
from tracker.panel.proxies import says_its_fix
from tracker.redact.scrub import register_secret
from tracker.rules.capabilities import refused_once
from tracker.rules.refill_eligibility import past_request
from tracker.rules.refill_states import REFUSED, UNKNOWN
from tracker.rules.refills import manual_blocker
from tracker.store.capabilities import is_unsupported, learn
from tracker.store.orders import Store
from tracker.store.readings import panels_holding
from tracker.store.refills import newest_request, requests_of


@main.command(cls=OnceCommand)
@click.argument("order_id")
@click.option(
    "--force", is_flag=True, help="Send even inside the cooldown or while a refill is open."
)
@order_panel
@pass_ctx
@handle_errors
def refill(ctx: Context, order_id: str, force: bool, panel: str | None) -> None:
    """Request a refill of one tracked order now, recorded like automatic ones.

    The service, status and window rules are not applied (you may know
    better); the cooldown and open refills are, unless --force. A request
    whose answer is lost is never resent: check the panel.
    """
    oid = parse_order_id(order_id)
    config = ctx.config(keys=True)
    store = open_store(config, existing=True)  # no database: no tracked order to refill
    name = _panel_of(config, store, oid, panel)
    history = requests_of(store, name, [oid])[oid]
    panel_config = config.panel(name)
    # An open refill never followed (no refill_status) holds it only inside the cooldown.
    followed = not is_unsupported(store, name, "refill_status", panel_config.url)
    past = [past_request(r, followed=followed) for r in history]
    blocker = manual_blocker(past, config.refill.cooldown, utcnow())
    if blocker and not force:
        from tracker.cli.next_refill import refused_last  # `history ID`'s words too

        refused = refused_last(history, stderr_screen())  # a refusal: said, with its words
        why = f"{blocker} ({refused})" if refused else blocker
        fail(f"order {oid}: {why}; not sent (pass --force to send anyway)")
    register_secret(panel_config.key.reveal())
    waits = Waits()  # a first Ctrl-C ends a wait to send (a retry's, a rate limit's)
    client = PanelClient(panel_config, on_wait=tell_wait, **waits.hooks())
    # No balance: a refusal's witness is services; another key's rows: forgotten once answered.
    answered = told_once_answered(store, client, utcnow())
    recorded: list[bool] = []  # the request recorded, whole: from then on it may be sent
    waits.waiting = True  # nothing on the wire until recorded: a Ctrl-C ends it, not sent
    result = RequestResult()  # what was answered, kept if storing it fails
    try:
        # A first Ctrl-C waits for the answer, more once it is in: it is recorded.
        # The answer stays in hand while a refusal is judged (its balance check).
        with shield(
            "the refill request just sent", waits, answer_settles=True, judged_in_hand=True
        ) as stop:

            @contextmanager
            def recording() -> Iterator[None]:
                # A Ctrl-C before the request is recorded: nothing recorded nor
                # sent; as it is recorded: nothing sent, the record given back;
                # a second one too, once the write is done (whole), and any
                # more during the give-back, part of the step (undone).
                if stop.stopping:
                    raise StopRequested("stopping: request not sent", panel=name, action="refill")
                with waits.idle(), stop.whole(undone=True):
                    yield
                if stop.stopping:
                    raise StopRequested("stopping: request not sent", panel=name, action="refill")
                stop.go_on()
                waits.waiting = False  # recorded: from now on it may be on the wire
                recorded.append(True)

            request_refills(
                store,
                client,
                [oid],
                clock=utcnow,
                modes=PanelModes(
                    multi_refill=False, key_answered=answered, record_first_refusal=True
                ),
                source="manual",
                # Not sent if the daemon's round asked meanwhile (unless --force).
                seen=None if force else {oid: newest_request(history)},
                recording=recording,
                result=result,
            )
    except (Exception, KeyboardInterrupt) as exc:
        if oid in result.unstored:  # answered, the answer not stored: named
            _unstored(oid, name, result.unstored[oid], exc, several=bool(config.panels[1:]))
        if not isinstance(exc, KeyboardInterrupt):
            raise
        # A second Ctrl-C before the answer came: recorded before it left.
        if not recorded:  # stopped before or as it was recorded: given back, never sent
            fail(f"interrupted: order {oid}: refill not sent, nothing recorded", EXIT_INTERRUPTED)
        fail(
            f"interrupted: order {oid}: the refill request may have reached the panel; "
            "recorded as sent, so it is not resent inside the cooldown",
            EXIT_INTERRUPTED,
        )
    finally:
        client.close()
    # Asked anyway, even on a panel learned to lack refill: the answer re-learns it.
    if result.unsupported is not None:
        learn(
            store, name, "refill", False, result.unsupported, utcnow(),
            url=panel_config.url, key=panel_config.key,
        )  # fmt: skip
        fail(
            f"order {oid}: {name} does not support refill: it answers {result.unsupported!r}, "
            "as it does an action that does not exist; automatic refill requests stay off"
        )
    if result.refused_once:  # the first in a row: a flaky panel's, or a missing action's
        # Recorded as Refused, as any refusal: `history` and `refills` show it.
        said, first = result.errors[-1], result.answers.get(oid)
        if first is not None and first["error"]:  # its words cut, the tracker's whole
            said = f"{name}: {refused_once('refill', panel_words(first['error']))}"
        fail(f"order {oid}: the panel refused the refill: {said}")
    if result.raced:
        fail(
            f"order {oid}: a refill request of it was recorded meanwhile (the daemon's round?); "
            f"not sent (see smm-tracker refills --order {oid})"
        )
    answer = result.answers.get(oid)
    if answer is None and stop.stopping:  # stopped before sending, or not sent again
        fail(f"interrupted: order {oid}: refill not sent, nothing recorded", EXIT_INTERRUPTED)
    accepted = answer is not None and answer["refill_id"] is not None
    url = panel_config.url  # what was learned at another URL holds no more
    if accepted and answer and is_unsupported(store, name, "refill", url):
        said = f"refill {answer['refill_id']} accepted"
        learn(store, name, "refill", True, said, utcnow(), url=url, key=panel_config.key)
        click.echo(
            f"note: {name} accepts refill requests again: automatic requests resume", err=True
        )
    if accepted and is_unsupported(store, name, "refill_status", url):
        # A new refill to follow: refill_status is tried again (and re-learned).
        said = "refill accepted: asked again"
        learn(store, name, "refill_status", True, said, utcnow(), url=url, key=panel_config.key)
    index = config.index(name)  # panels[N] in a fix said
    status = result.statuses[0] if result.statuses else None
    unanswered = bool(result.unanswered) and result.unanswered[0]
    unserved = bool(result.unserved) and result.unserved[0]  # a page before the script
    running = result.running
    _report(oid, name, answer, result.errors, running, index, status, unanswered, unserved, url)


def _unstored(
    oid: int, name: str, answer: dict[str, Any], exc: BaseException, several: bool
) -> NoReturn:
    """End the command naming what the panel answered to a refill request
    whose answer was not stored (``exc``: why), and what to do: its row
    stays Requesting, read as sent (Unknown, no refill ID) once settled."""
    stopped = isinstance(exc, KeyboardInterrupt)
    refill_id = answer["refill_id"]
    if refill_id is not None:
        shown = safe_text(refill_id, 40)
        said = f"the panel accepted the refill request (refill {shown})"
        todo = (
            f"check refill {shown} on the panel (past refill.cooldown, an automatic request "
            "may ask for another while it runs)"
        )
    elif answer["status"] == REFUSED:
        said = f"the panel refused the refill request: {panel_words(answer['error'])}"
        again = f"smm-tracker refill{f' --panel {quote(name)}' if several else ''} --force {oid}"
        todo = f"nothing was refilled: `{again}` asks again"
    else:
        said = f"its answer gave no usable refill ID ({quoting_panel(answer['error'])})"
        todo = "check the panel"
    told = f"order {oid}: {said}, but it was not recorded"
    if stopped:
        told = f"interrupted: {told}"
    else:  # not the store's: which error it was too
        told += f" ({failure_words(exc)})"
    fail(
        f"{told}; its request stays recorded as sent, with no refill ID, so it is not resent "
        f"inside the cooldown: {todo}",
        EXIT_INTERRUPTED if stopped else EXIT_FAILED,
    )


def _panel_of(config: Config, store: Store, oid: int, panel: str | None) -> str:
    names = [config.panel(panel).name] if panel else [p.name for p in config.panels]
    found, _ = panel_holding(store, [oid], names)  # several: exit 2
    left_out = [] if panel else panels_holding(store, [oid]).get(oid, [])
    if found is None and left_out:  # `track ID` would track another order of that number
        held = safe_text(", ".join(left_out))
        fail(f"order {oid} is tracked on {held}, not in the config; add it back to refill it")
    if found is None:  # a tracked order's child: that order's refill named, nothing sent
        tell_parent(store, oid, panel, None, False, REFILL, "; nothing sent")
        where = f" on {panel}" if panel else ""
        flag = "" if len(config.panels) == 1 else f" --panel {panel or 'NAME'}"  # track needs it
        one_of = f" ({name_is_one_of(config)})" if flag == " --panel NAME" else ""
        fail(f"order {oid} is not tracked{where}; run: smm-tracker track{flag} {oid}{one_of}")
    if not panel:
        note_held_elsewhere(panels_holding(store, [oid]), found, names, "refill")
    return found


def _report(
    oid: int,
    name: str,
    answer: dict[str, Any] | None,
    errors: list[str],
    running: list[str],
    index: int,
    status: int | None = None,
    unanswered: bool = False,
    unserved: bool = False,
    url: str | None = None,
) -> None:
    if answer is None:
        # Certainly never reached the panel (busy, refused key, unreachable);
        # what no wait cures (a wrong URL, a page, its size) says its fix, as
        # add's: a page answered before the panel's script (UnservedError) its
        # URL's; any other error (a refusal with its code) a web page's only.
        why = f": {quoting_panel(errors[0])}" if errors else ""
        failed = errors[0] if errors else None  # status: the HTTP code of its answer
        hint = unserved_hint if unserved else web_page_hint
        fix = (
            hint(failed, status, index, url=url)
            if failed and not names_fix(failed) and not says_its_fix(failed)
            else None
        )
        if fix is None and failed and unanswered:  # no answer came: a refused port's fix
            fix = refused_hint(failed, status, index)
        fail(f"order {oid}: refill not sent, nothing recorded{why}{f'; {fix}' if fix else ''}")
        return
    if answer["refill_id"] is not None:
        refill_id = safe_text(answer["refill_id"], 40)  # the panel's own text
        click.echo(f"refill {refill_id} requested for order {oid} on {name}")
    elif answer["status"] == UNKNOWN:
        lost = answer["error"] or ""  # no answer read (not HTTP...): what answered, its fix
        # A web page (a home page pasted as the URL): the URL's fix, as add's;
        # the outcome stays unknown: the page may be the panel script's own.
        fix = web_page_hint(lost, status, index, url=url)
        if fix is None and unanswered:
            fix = refused_hint(lost, status, index)
        # An answer read (the panel's words, an ID beside or for an error,
        # none usable) was no lost one: what it said is quoted; nor a page.
        came = "its answer was lost" if unanswered else "its answer gave no usable refill ID"
        if status is not None and status < 500 and WEB_PAGE in lost:  # a 5xx: a proxy's
            came = "it answered a web page, not the API's JSON"
        fail(
            f"order {oid}: the refill request may have reached the panel but {came} "
            f"({quoting_panel(answer['error'])}); recorded as sent, "
            "so it is not resent inside the cooldown" + (f"; {fix}" if fix else "")
        )
    elif answer["status"] == REFUSED:
        again = (  # "until the panel takes a request of it" said nothing a user could do
            "the automatic refills skip this order until the panel accepts a refill of it, "
            "asked with refill --force"
        )
        tail = f" (for good: {again})" if answer["permanent"] else ""
        if running:  # "The refill task is not completed for this order"
            ids = ", ".join(map(safe_text, running))
            tail = f" (refill {ids} still runs: followed as In progress)"
        fail(f"order {oid}: the panel refused the refill: {panel_words(answer['error'])}{tail}")
