"""Behaviours of self-hosted PHP panel scripts, as switches of the simulated panel.

Part of :mod:`tracker.sim.server`. Each switch is a keyword of
:class:`tracker.sim.state.PanelState` (see :class:`ScriptQuirks`); all are off
by default. They reproduce what shared/api-v2.md lists under "Seen on real
panel scripts": free wording of the key refusal, PHP notices printed before the
JSON, misfiled multi-status answers, missing actions, an empty catalogue,
``remains "0"`` while Pending, whole-call refusals provoked by one bad ID, and
a refund made later than the status (``late_refund``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from tracker.sim.faults import Reply

NOTICES = ("html", "plain")
HTML_NOTICE = (
    b'<div style="border:1px solid #990000;padding-left:20px;margin:0 0 10px 0;">\n'
    b"<h4>A PHP Error was encountered</h4>\n<p>Severity: 8192</p>\n"
    b"<p>Message:  Creation of dynamic property Api::$db is deprecated</p>\n"
    b"<p>Filename: controllers/Api.php</p>\n<p>Line Number: 12</p>\n</div>"
)
PLAIN_NOTICE = (
    b"\xef\xbb\xbf\nDeprecated: Creation of dynamic property Api::$db is deprecated in "
    b"/var/www/app/api.php on line 9\n<br />\n<b>Warning</b>:  Undefined array key "
    b'"x" in <b>/var/www/api.php</b> on line <b>12</b><br />\n'
)
NO_SERVICES = "No services available"
CATALOGUES = ("error", "list")
LARGEST_RATE = 1_000_000  # requests a minute


@dataclass(frozen=True)
class ScriptQuirks:
    """Which real-script behaviours the simulated panel shows.

    - ``key_refusal``: the words of a refused key, for every action.
    - ``notices``: "html" (a CodeIgniter error block) or "plain" (a BOM and
      PHP warning lines) before every answer, served as ``text/html``.
    - ``misfiled``: multi-status answers file one asked order under a key
      nobody asked for, so it goes missing (``order=`` answers it fine).
    - ``missing_actions``: actions the script lacks, answered ``generic_refusal``.
    - ``empty_catalogue``: "error" (``{"error": "No services available"}``)
      or "list" (``[]``) for ``services``.
    - ``pending_remains_zero``: ``remains`` and ``start_count`` are "0" while Pending.
    - ``whole_call_refusal``: one unknown ID in a multi-status call makes the
      whole answer ``{"error": "Incorrect order ID"}``.
    - ``twice_listed``: ``services`` lists the first service with a refill
      guarantee a second time, without it and with a lower max (a catalogue
      built by hand: the tracker believes neither listing).
    - ``rate_limit``: requests a minute the key may send (0: no limit), said
      in ``X-RateLimit-*`` headers on every answer, a 429 past it
      (:mod:`tracker.sim.limits`).
    - ``late_refund``: seconds a Partial or Canceled order is answered with
      its whole charge after it ended, before the charge drops to what it
      cost (0: at once): a script that refunds later than it sets the status.
    - ``drops``: the share (above 0, up to 1) of what an ended order delivered that may
      drop each simulated day (:mod:`tracker.sim.refills`): accounts losing
      followers, so refills restore something instead of ending Rejected.
    """

    key_refusal: str = "Invalid API key"
    notices: str | None = None
    misfiled: bool = False
    missing_actions: tuple[str, ...] = ()
    generic_refusal: str = "Incorrect request"
    empty_catalogue: str | None = None
    pending_remains_zero: bool = False
    whole_call_refusal: bool = False
    twice_listed: bool = False
    rate_limit: int = 0
    late_refund: int = 0
    drops: float = 0.0

    def __post_init__(self) -> None:
        if self.notices not in (None, *NOTICES):
            raise ValueError(f"notices must be None or one of {NOTICES}")
        if self.empty_catalogue not in (None, *CATALOGUES):
            raise ValueError(f"empty_catalogue must be None or one of {CATALOGUES}")
        if not 0 <= self.rate_limit <= LARGEST_RATE:
            raise ValueError(f"rate_limit must be between 0 and {LARGEST_RATE}")
        if not 0 <= self.late_refund <= LARGEST_RATE:
            raise ValueError(f"late_refund must be between 0 and {LARGEST_RATE}")
        if not 0 <= self.drops <= 1:
            raise ValueError("drops must be between 0 and 1")
        object.__setattr__(self, "missing_actions", tuple(self.missing_actions))


def with_notices(reply: Reply, notices: str | None) -> Reply:
    """Return ``reply`` with PHP notice text printed before its JSON body."""
    if notices is None or reply.reset or reply.body.lstrip()[:1] not in (b"{", b"["):
        return reply
    before = HTML_NOTICE if notices == "html" else PLAIN_NOTICE
    headers = {**reply.headers, "Content-Type": "text/html; charset=UTF-8"}
    return reply._replace(headers=headers, body=before + reply.body)


def misfile(answer: dict[str, object], asked: list[str]) -> dict[str, object]:
    """Return a multi-status answer with the last asked order's item under a
    key nobody asked for (a panel bug), when at least two orders were asked."""
    known = [t for t in asked if t in answer and isinstance(answer[t], dict)]
    if len(asked) < 2 or not known or not known[-1].isdigit():
        return answer
    token = known[-1]
    moved = {k: v for k, v in answer.items() if k != token}
    moved[str(int(token) + 10**9)] = answer[token]
    return moved


def listed_twice(services: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return ``services`` with the first one guaranteeing refills listed again
    at its end, without the guarantee and with a tenth of its max."""
    first = next((s for s in services if s.get("refill")), None)
    if first is None:
        return list(services)
    again = {**first, "refill": False, "max": str(int(first["max"]) // 10)}
    return [*services, again]


# The quirks whose value is one of a few words, named as a user types them.
_CHOICES = {"notices": NOTICES, "empty_catalogue": CATALOGUES}
_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def quirks_from(items: tuple[str, ...] | list[str]) -> ScriptQuirks:
    """Given ``NAME`` or ``NAME=VALUE`` words (``simulate --quirk``), return the
    ScriptQuirks. Raise ValueError naming a bad word and the known names."""
    fields = {f: t for f, t in ScriptQuirks.__annotations__.items()}
    values: dict[str, object] = {}
    for item in items:
        name, eq, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if name not in fields:
            raise ValueError(f"unknown quirk {name!r}; known: {', '.join(fields)}")
        if fields[name] == "bool":
            said = value.strip().lower()
            if eq and said not in _ON + _OFF:  # "misfiled=ture" was off, without a word
                words = ", ".join(_ON + _OFF)
                raise ValueError(f"{name}: {value.strip()!r} is not one of: {words}")
            values[name] = not eq or said in _ON
        elif fields[name] == "int":
            said = value.strip()
            if not said:
                raise ValueError(f"quirk {name} needs a value: {name}=N")
            if not (said.isascii() and said.isdigit()) or int(said) > LARGEST_RATE:
                raise ValueError(f"{name}: {said!r} is not a whole number from 0 to {LARGEST_RATE}")
            values[name] = int(said)
        elif fields[name] == "float":
            values[name] = _share(name, value.strip())
            if not values[name]:  # accepted, it quietly meant the quirk left out
                raise ValueError(
                    f"{name}: {value.strip()!r} drops nothing: give a share above 0, up to 1 "
                    "(0.2 is 20%), or leave the quirk out"
                )
        elif name == "missing_actions":
            values[name] = tuple(a.strip() for a in value.split(",") if a.strip())
            if not values[name]:
                raise ValueError(f"quirk {name} needs a value: {name}=refill,cancel...")
        elif not eq or not value.strip():
            raise ValueError(f"quirk {name} needs a value: {name}=...")
        else:
            values[name] = value.strip()
            if name in _CHOICES and values[name] not in _CHOICES[name]:
                choices = ", ".join(_CHOICES[name])
                raise ValueError(f"{name}: {value.strip()!r} is not one of: {choices}")
    return ScriptQuirks(**values)  # type: ignore[arg-type]


def in_use(script: ScriptQuirks) -> list[str]:
    """Given the quirks, return those not as by default, as ``--quirk`` takes
    them (``notices=html``, ``misfiled``, ``drops=0.2``), in their order."""
    default, said = ScriptQuirks(), []
    for field in fields(ScriptQuirks):
        value = getattr(script, field.name)
        if value == getattr(default, field.name):
            continue
        if isinstance(value, bool):
            said.append(field.name)
        elif isinstance(value, tuple):
            said.append(f"{field.name}={','.join(value)}")
        else:
            said.append(
                f"{field.name}={value:g}" if isinstance(value, float) else f"{field.name}={value}"
            )
    return said


def _share(name: str, said: str) -> float:
    """Given a quirk's value, return it as a share from 0 to 1 (``drops=0.2``).
    Raise ValueError naming it, in a user's words ("20%" is 0.2)."""
    if not said:
        raise ValueError(f"quirk {name} needs a value: {name}=0.2 (a share: 0.2 is 20%)")
    try:
        share = float(said)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:  # nan and inf too
        raise ValueError(f"{name}: {said!r} is not a share from 0 to 1 (0.2 is 20%)")
    return share
