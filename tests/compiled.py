"""The suite's bytecode made once, by the process that starts the workers,
where every process made its own.

``make test`` runs four xdist workers, and each one collects every test
module: pytest rewrote the asserts of all ~350 of them four times over (its
cached pyc is written only where ``PYTHONDONTWRITEBYTECODE`` is unset, and a
clean clone has none), ~10 s of CPU a worker on this 2-core machine. And
every ``smm-tracker`` subprocess a test starts compiled the tracker modules
it imports from source (0.1-0.2 s each, a few hundred of them). Here the
controlling process, before it starts the workers, writes pytest's
rewritten pyc of each test module it will collect (two processes at once)
and compiles tracker/: the workers and the subprocesses read them, as they
would from a second run. What is checked does not change: the code is the
one pytest would rewrite, and a pyc whose source changed is not read
(pytest's are checked by the source's hash, Python's by its size and time).

Nothing is done in a single process (it rewrites each module once anyway)
nor in a worker; any failure leaves things as they were."""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(config: pytest.Config) -> list[Path]:
    """The test modules (and conftest) this run collects, from its arguments."""
    found: set[Path] = set()
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path.is_dir():
            found.update(path.rglob("test_*.py"))
            found.update(path.rglob("conftest.py"))
        elif path.suffix == ".py":
            found.add(path)
    return sorted(p for p in found if p.is_file())


def _rewrite(config: pytest.Config, paths: list[Path]) -> None:
    """Write pytest's rewritten pyc of each module, as its import would."""
    from _pytest.assertion import rewrite

    for path in paths:
        pyc = rewrite.get_cache_dir(path) / (path.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(path, pyc) is not None:
            continue
        source_hash, code = rewrite._rewrite_test(path, config)
        pyc.parent.mkdir(exist_ok=True)
        part = pyc.with_name(f"{pyc.name}.{os.getpid()}")
        with open(part, "wb") as out:
            rewrite._write_pyc_fp(out, source_hash, code)
        os.replace(part, pyc)


def compile_ahead(config: pytest.Config) -> None:
    workers = getattr(config.option, "numprocesses", None)
    if hasattr(config, "workerinput") or not workers or config.getoption("assertmode") != "rewrite":
        return
    try:
        compileall.compile_dir(ROOT / "tracker", quiet=2)
        paths = _modules(config)
        children = []
        for share in (paths[0::2], paths[1::2]):
            pid = os.fork()
            if pid == 0:  # pragma: no cover (the child)
                status = 1
                try:
                    _rewrite(config, share)
                    status = 0
                finally:
                    os._exit(status)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
    except Exception:  # the workers rewrite what is missing, as before
        return
