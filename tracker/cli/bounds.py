"""The numbers the command line takes: ASCII digits, bounded by what SQLite can store.

Every whole number an option hands to the store is bounded here, so that an
absurd one is refused as a usage error (one line, exit 2) before anything is
sent to a panel or written, rather than failing after an order was placed.
Digits are ASCII 0-9 only, as in order IDs and durations: click's own types
read with int() and float(), which take "١٢٣", "１２" and "1_000" too.
"""

from __future__ import annotations

import math
from typing import Any

import click

from tracker.panel.ids import ID_MAX
from tracker.panel.values import SHOWN, said

SQLITE_INT_MAX = 2**63 - 1  # SQLite's INTEGER is a signed 64-bit number
# Order IDs stay below it (the listings page back from SQLITE_INT_MAX): the
# same bound as an ID in a panel's answer, so what `add` tracks, track takes.
ORDER_ID_MAX = ID_MAX


def _refuse_foreign(kind: click.ParamType, value: Any, param: Any, ctx: Any, what: str) -> None:
    """Fail for text int()/float() would read but the CLI does not: non-ASCII
    digits, '_' separators; or text too long to say back whole."""
    if isinstance(value, str) and (not value.isascii() or "_" in value or len(value) > SHOWN):
        kind.fail(f"{said(value)} is not {what} (digits 0-9 only).", param, ctx)


def _refuse_words(
    kind: click.ParamType, value: Any, param: Any, ctx: Any, read: type, what: str
) -> None:
    """Fail for text that is no number at all, saying so: click said "'abc' is
    not a valid integer range", as if a range had been asked for."""
    if isinstance(value, str):
        try:
            read(value)
        except ValueError:
            kind.fail(f"{said(value)} is not {what}.", param, ctx)


class WholeNumber(click.IntRange):
    """click.IntRange with ASCII digits only, a refused number said cut."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        text = value.strip() if isinstance(value, str) else ""
        if len(text) > SHOWN and text.isascii() and text.lstrip("+-").isdigit():
            sign, digits = text[: len(text) - len(text.lstrip("+-"))], text.lstrip("+-0")
            if len(digits) > 30:  # past every bound (int() refuses past 4300 digits)
                shown = said(text)
                self.fail(f"{shown} is not in the range {self._describe_range()}.", param, ctx)
            value = sign + (digits or "0")  # leading zeros
        _refuse_foreign(self, value, param, ctx, "a whole number")
        _refuse_words(self, value, param, ctx, int, "a whole number")
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            number = str(value).strip().lstrip("+")
            if self.max is not None and number.isdigit() and int(number) > self.max:
                self.fail(f"{said(value)} is too large (the largest is {self.max}).", param, ctx)
            raise

    def _describe_range(self) -> str:
        # "1<=x<=9223372036854775807" on every number option's help and error:
        # the top is only the database's, said when a number passes it.
        if self.max == SQLITE_INT_MAX and self.min is not None:
            return f"x>={self.min}"
        return super()._describe_range()


class FiniteNumber(click.FloatRange):
    """click.FloatRange with ASCII digits only, and neither NaN nor an infinity
    (click lets NaN through any range)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        _refuse_foreign(self, value, param, ctx, "a number")
        _refuse_words(self, value, param, ctx, float, "a number")
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{number} is not in the range {self._describe_range()}.", param, ctx)
        return number


POSITIVE = WholeNumber(1, SQLITE_INT_MAX)  # quantities, runs, minutes, limits, service IDs
ORDER_ID = WholeNumber(1, ORDER_ID_MAX)
PORT = WholeNumber(0, 65535)
LONGEST = 36500 * 86400  # seconds: 100 years, as the longest duration (and a timer can wait)
