"""A Ctrl-C raised where Python cannot raise it, as a command's module loads
(a callback of the import machinery's module locks: CI46 saw "Exception
ignored in: <function _get_module_lock.<locals>.cb>", a traceback, the
Ctrl-C lost): the console script's hook gives it to the main thread again,
nothing printed; any other such exception is said as Python says it."""

from __future__ import annotations

import signal
import sys
import time
from types import SimpleNamespace

import pytest

from tracker.cli.entry import interrupt_kept


def _unraisable(exc: BaseException) -> SimpleNamespace:
    return SimpleNamespace(
        exc_type=type(exc), exc_value=exc, exc_traceback=None, err_msg=None, object=None
    )


def test_a_ctrl_c_python_could_not_raise_is_raised_again_in_the_main_thread(capsys):
    # Python's own Ctrl-C handler, as a command has it (a pytest-xdist
    # worker ignores SIGINT, and then nothing is delivered, as for a user).
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            interrupt_kept(_unraisable(KeyboardInterrupt()))
            for _ in range(1000):  # delivered at the main thread's next check
                time.sleep(0.001)
    finally:
        signal.signal(signal.SIGINT, before)
    assert capsys.readouterr().err == ""


def test_another_exception_is_said_as_python_says_it(monkeypatch):
    said = []
    monkeypatch.setattr(sys, "__unraisablehook__", said.append)
    unraisable = _unraisable(ValueError("x"))
    interrupt_kept(unraisable)
    assert said == [unraisable]
