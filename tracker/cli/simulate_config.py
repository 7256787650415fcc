"""The tracker.toml ``smm-tracker simulate`` writes for its panel
(:mod:`tracker.cli.simulate`), the ``[[panels]]`` block it prints to paste
instead, and, with ``--quirk drops``, the refill settings that follow a
simulated day, written or said."""

from __future__ import annotations

from tracker.config.durations import format_duration

KEY_ENV = "SMM_SIM_KEY"


def config_text(url: str, day: float | None = None) -> str:
    """Given the simulator's URL and, with ``--quirk drops``, its day (seconds),
    return a ready tracker.toml for it: with a day, its refills paced to it."""
    return f"""\
# Written by `smm-tracker simulate` for its built-in panel at {url}.
# Every key and its default: `smm-tracker init example.toml`.

[database]
path = "tracker.db"            # next to this file

[[panels]]
name = "sim"
url = "{url}"
key_env = "{KEY_ENV}"        # export {KEY_ENV}=... (simulate prints the line)
timeout = "10s"

[schedule]
status_every = "10s"           # the simulator moves fast; a real panel: "5m"
status_max_every = "1m"
""" + (_refill_text(day) if day is not None else "")


def panel_block(url: str) -> str:
    """The ``[[panels]]`` entry of the simulator at ``url``, indented to paste."""
    block = config_text(url).split("[[panels]]\n", 1)[1].split("\n\n", 1)[0]
    lines = [line.split("  #", 1)[0].rstrip() for line in block.splitlines()]  # no comments
    return "\n".join(f"  {line}" for line in ["[[panels]]", *lines])


def _refill_text(day: float) -> str:
    """The refill settings of a simulator whose orders drop each simulated
    ``day`` (``--quirk drops``): asked a day after they end, once a day, for
    30 days, as its refill rules count them; the comments in the file's column."""
    pace, every = format_duration(day), _rounds_every(day)
    lines = [
        (f'refill_every = "{every}"', f"--quirk drops: a simulated day is {pace}"),
        ("", ""),
        ("[refill]", ""),
        (f'first_check = "{pace}"', "a simulated day after an order ends"),
        (f'cooldown = "{pace}"', "the simulator's own: one simulated day"),
        (f'window = "{format_duration(30 * day)}"', "30 simulated days"),
        ("window_from_name = false", 'not "Refill 30 days" in real days'),
    ]
    return "".join(f"{k:<31}# {c}\n" if c else f"{k}\n" for k, c in lines)


def drops_note(drops: float, day: float, written: bool) -> str:
    """What ``--quirk drops`` does, and the tracker settings that follow it."""
    said = f"drops: an ended order loses up to {drops * 100:g}% of its count each simulated day"
    said += f" ({format_duration(day)}; refills: once a day, for 30 days)"
    if written:
        return said + "; the config written asks for refills at that pace"
    pace = format_duration(day)
    return (
        f"{said}; in the tracker's config: [refill] first_check and cooldown"
        f' "{pace}", window "{format_duration(30 * day)}", window_from_name false,'
        " [schedule] refill_every"
        f' "{_rounds_every(day)}"'
    )


def _rounds_every(day: float) -> str:
    """``schedule.refill_every`` for a simulated ``day``: a stage (a second at least)."""
    from tracker.sim.refills import DAY_STAGES

    return format_duration(max(1.0, round(day / DAY_STAGES)))
