"""An hour of a hostile panel, fuzzed, against the invariants users trust.

Not collected by pytest (no ``test_`` prefix): run it by hand, for as long
as you like, with one or several seeds:

    .venv/bin/python tests/soak_fuzz.py --seeds 1-4 --rounds 40
    .venv/bin/python tests/soak_fuzz.py --seeds 7 --minutes 60 --keep /tmp/soak

Each seed is a world: a simulated panel behind :class:`soak_panel.SoakPanel`
(every answer passed on, bent or replaced at random, seeded per call), a
config and database in a directory of its own, and the real CLI run as
processes (``add --idempotency-key``, ``track``, ``run --once``, the daemon
``run`` stopped by SIGTERM, ``refill``, ``cancel``, ``cancel --force``,
``untrack``, reads, ``doctor``), round after round, the panel's clock moved
on between rounds; after each command and round, the invariants of
``soak_checks`` and ``soak_cancels``: the first breach ends the seed (exit 1).
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fuzzing import KEY  # noqa: E402
from ports import free_port  # noqa: E402
from soak_cancels import cancel_breaches, forced_cancel  # noqa: E402
from soak_checks import (  # noqa: E402
    Ran,
    command_breaches,
    database_breaches,
    orders_now,
    refill_breaches,
    unanswered_changes,
)
from soak_panel import SoakPanel  # noqa: E402
from soak_setup import (  # noqa: E402
    BUSY,
    TIMEOUT,
    Clock,
    cli_env,
    cmdline,
    config_text,
    idempotency_keys,
    order_ids,
    scrape,
)

from tracker.sim.server import SimulatedPanel  # noqa: E402

SOURCE = str(Path(__file__).parents[1])
STOP_BOUND = TIMEOUT + BUSY + 4.0  # SIGTERM's bound, and a process's start and end
RUN_BOUND = 240.0  # `run --once`: its batches, retries and late checks
COMMAND_BOUND = 90.0
SERVICES = [1, 2, 3, 4, 5]
VERBOSE = False
READS = [["orders", "--json"], ["orders"], ["alerts"], ["balance"], ["refills"], ["report"]]


class Breach(Exception):
    pass


class World:
    """One seed's panel, directory and command runs."""

    def __init__(self, seed: int, directory: Path, log: list[str]):
        self.seed, self.dir, self.log = seed, directory, log
        self.r = random.Random(seed)
        self.clock = Clock()
        self.sim = SimulatedPanel(key=KEY, clock=self.clock, seed=seed, speed=8.0)
        # How often an answer is passed on untouched: a bad day, or a worse one.
        self.panel = SoakPanel(seed, self.sim, TIMEOUT, honesty=self.r.choice([34, 15, 4]))
        self.panel.server.start()
        self.metrics_port = free_port()  # below the ephemeral range: no other bind(0) takes it
        # Drawn apart from self.r (each seed's other draws as they were): refill.cooldown,
        # none or one its rounds outlast; whether a cancel names an ended order too; a --force one.
        self.cooldown = random.Random(f"{seed}:cooldown").choice([0, 60, 300])
        self.ended, self.forced = (random.Random(f"{seed}:{w}") for w in ("ended", "force"))
        (directory / "tracker.toml").write_text(
            config_text(self.panel.server.url, self.r, self.metrics_port, self.cooldown)
        )
        self.untracked: set[int] = set()
        self.keys: dict[str, list[str]] = {}  # idempotency key -> its add's flags
        self.commands, self.round, self.cancel_row = 0, 0, 0  # cancel_row: cancels' last id

    def close(self) -> None:
        self.panel.server.stop()

    # --- running the CLI ------------------------------------------------------

    def cli(
        self,
        *args: str,
        codes: tuple[int, ...] = (0, 1),
        bound: float = COMMAND_BOUND,
        stdin: str | None = None,
    ) -> Ran:
        start_calls = len(self.panel.calls)
        before = orders_now(self.dir)
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker", *args],
            cwd=self.dir,
            env=cli_env(KEY, SOURCE),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = process.communicate(stdin, timeout=bound)
            code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            code = None
        ran = Ran(list(args), code, out, err, time.monotonic() - started, frozenset(codes))
        self._judge(ran, before, start_calls)
        return ran

    def _judge(self, ran: Ran, before: dict, start_calls: int) -> None:
        self.commands += 1
        self.log.append(
            f"seed {self.seed} round {self.round}: {' '.join(ran.args)} -> "
            f"{ran.code} in {ran.seconds:.1f}s"
        )
        if VERBOSE:
            print(self.log[-1], flush=True)
        with open(self.dir / "commands.log", "a") as kept:
            kept.write(f"== {self.log[-1]}\n-- stdout\n{ran.stdout}\n-- stderr\n{ran.stderr}\n")
            calls = self.panel.calls_since(start_calls)
            for call in calls:  # inside refill.cooldown by design
                call.forced = ran.args[0] == "refill" and "--force" in ran.args
            kept.write("-- calls\n" + "".join(f"{c.action} {c.ids} {c.mode}\n" for c in calls))
        found, self.cancel_row = cancel_breaches(
            self.dir, ran.args, before, calls, self.cancel_row, ran.stdout
        )
        breaches = command_breaches(ran) + found
        if ran.args[0] not in ("track", "untrack"):
            spoken = {i for c in calls if c.readable and c.action == "status" for i in c.ids}
            breaches += unanswered_changes(before, orders_now(self.dir), spoken)
        if breaches:
            raise Breach(f"{' '.join(ran.args)}: " + "\n  ".join(breaches))

    def stopped(self, args: list[str], seconds: float, codes: tuple[int, ...]) -> None:
        """Run ``args`` for ``seconds`` (the daemon: its metrics and command
        line read meanwhile), stop it with SIGTERM; judged as a command, the
        stop within its bound."""
        start_calls = len(self.panel.calls)
        before = orders_now(self.dir)
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker", *args],
            cwd=self.dir,
            env=cli_env(KEY, SOURCE),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        extra = ""
        try:
            time.sleep(seconds)
            if args == ["run"]:
                extra = scrape(self.metrics_port) + cmdline(process.pid)
            process.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            out, err = process.communicate(timeout=STOP_BOUND)
            code: int | None = process.returncode
            took = time.monotonic() - stopped
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            code, took = None, STOP_BOUND
        if code == -signal.SIGTERM and not err.strip():
            codes = (*codes, code)  # ended by the signal before it began: nothing done
        shown = [*args, f"(SIGTERM after {seconds:.1f}s)"]
        self._judge(Ran(shown, code, out + extra, err, took, frozenset(codes)), before, start_calls)

    # --- a round --------------------------------------------------------------

    def play_round(self, number: int) -> None:
        self.round = number
        self.panel.new_round(number)
        r = self.r
        if number == 0:
            ids = self.sim.seed_orders(r.randint(5, 30), spread=60)
            self.cli("track", *map(str, ids), "999999991")
        self.settle_keys()
        for _ in range(r.randint(0, 3)):
            self.add_new()
        if r.random() < 0.3:
            ids = self.sim.seed_orders(r.randint(1, 5), spread=30)
            self.cli("track", *map(str, ids))
        pick = r.random()
        if pick < 0.1:  # stopped while its calls are on the wire, or after
            self.stopped(["run", "--once", "--all"], r.uniform(0.3, 4), (0, 1, 143))
        elif pick < 0.55:
            self.cli("run", "--once", *(["--all"] if r.random() < 0.6 else []), bound=RUN_BOUND)
        elif pick < 0.65:
            self.cli("run", "--once", "--due", bound=RUN_BOUND)
        else:
            self.stopped(["run"], r.uniform(4, 15), (0,))
        self.actions()
        self.clock.now += r.choice([5, 15, 30, 60])
        breaches = database_breaches(self.dir, self.untracked, self.panel.placed)
        breaches += refill_breaches(self.dir, self.panel.calls_since(0), self.cooldown)
        if breaches:
            raise Breach("after the round: " + "\n  ".join(breaches))

    def add_new(self) -> None:
        key = f"row-{self.seed}-{len(self.keys)}"
        service = self.r.choice(SERVICES)
        flags = [
            "--service",
            str(service),
            "--link",
            f"https://example.test/{key}",
            "--quantity",
            str(self.r.choice([500, 1000, 5000])),
        ]
        self.keys[key] = flags
        self.cli("add", *flags, "--idempotency-key", key, codes=(0, 1, 2))

    def settle_keys(self) -> None:
        """Settle each key whose add's outcome is unknown, as a user would:
        look on the panel (what it placed for the link), then track or resend."""
        for key, state, order_id in idempotency_keys(self.dir):
            if state == "Placed":
                continue
            flags = self.keys[key]
            placed = self.panel.placed.get(flags[3], [])
            if placed and order_id is None:
                self.cli("track", "--idempotency-key", key, str(placed[0]), codes=(0, 1))
            elif not placed:
                self.cli("add", *flags, "--idempotency-key", key, "--not-placed", codes=(0, 1, 2))
            else:
                self.cli("add", *flags, "--idempotency-key", key, codes=(0, 1, 2))

    def actions(self) -> None:
        r = self.r
        open_ids, done_ids = order_ids(self.dir)
        if done_ids and r.random() < 0.4:
            self.cli("refill", str(r.choice(done_ids)), *(["--force"] if r.random() < 0.7 else []))
        if open_ids and r.random() < 0.3:
            chosen = r.sample(open_ids, min(len(open_ids), r.randint(1, 3)))
            if done_ids and self.ended.random() < 0.3:  # an ended one too: not sent
                chosen.append(self.ended.choice(done_ids))
            self.cli("cancel", "--yes", *map(str, chosen))
        if forced := forced_cancel(self.forced, open_ids, done_ids):  # ended ones, on purpose
            self.cli("cancel", "--yes", "--force", *forced)
        if open_ids and r.random() < 0.1:
            chosen_id = r.choice(open_ids)
            self.cli("untrack", str(chosen_id), "--reason", "soak")
            self.untracked.add(chosen_id)
        if self.untracked and r.random() < 0.1:
            chosen_id = self.untracked.pop()
            self.cli("track", str(chosen_id))
        if r.random() < 0.5:
            self.cli(*r.choice(READS))
        if r.random() < 0.15:
            self.cli("doctor", bound=COMMAND_BOUND)


def run_seed(
    seed: int, rounds: int, deadline: float, keep: Path | None, log: list[str]
) -> str | None:
    """Play ``rounds`` rounds of one seed (until ``deadline``); return its breach, else None."""
    directory = Path(tempfile.mkdtemp(prefix=f"soak-{seed}-", dir=keep))
    world = World(seed, directory, log)
    try:
        for number in range(rounds):
            if time.monotonic() > deadline:
                break
            world.play_round(number)
        print(
            f"seed {seed}: {world.round + 1} rounds, {world.commands} commands, "
            f"{len(world.panel.calls)} calls: no breach ({directory})",
            flush=True,
        )
        return None
    except Breach as breach:
        return f"seed {seed} round {world.round} (directory {directory}):\n  {breach}"
    finally:
        world.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1", help="a seed or a range, e.g. 3 or 1-8")
    parser.add_argument("--rounds", type=int, default=30, help="rounds per seed")
    parser.add_argument("--minutes", type=float, default=0, help="stop after this long (0: never)")
    parser.add_argument("--keep", type=Path, default=None, help="where the worlds' directories go")
    parser.add_argument("--verbose", action="store_true", help="print each command as it ends")
    args = parser.parse_args()
    if args.keep is not None:  # README's own command names a directory not made yet
        args.keep.mkdir(parents=True, exist_ok=True)
    global VERBOSE
    VERBOSE = args.verbose
    low, _, high = args.seeds.partition("-")
    deadline = time.monotonic() + (args.minutes * 60 or 10**9)
    log: list[str] = []
    for seed in range(int(low), int(high or low) + 1):
        breach = run_seed(seed, args.rounds, deadline, args.keep, log)
        if breach:
            print("BREACH " + breach, flush=True)
            print("last commands:\n  " + "\n  ".join(log[-8:]), flush=True)
            return 1
        if time.monotonic() > deadline:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
