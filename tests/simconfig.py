"""The tracker.toml the end-to-end suites write for one simulated panel, and the
clock they give it."""

from __future__ import annotations

from datetime import UTC, datetime


class PanelClock:
    """The simulated panels' (and trackers') time: moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


def sim_config(
    url: str,
    *,
    panel: str = "",
    database: str = "",
    schedule: str = "",
    json_logs: bool = False,
    key_env: str = "SIM_KEY",
) -> str:
    """Given the simulator's URL, return a config for one panel named "sim"
    (database t.db, key from $SIM_KEY); extra lines go into their tables as
    written, so each test still shows what it changes."""
    lines = ["[database]", 'path = "t.db"', database]
    lines += ["[[panels]]", 'name = "sim"', f'url = "{url}"', f'key_env = "{key_env}"', panel]
    if schedule:
        lines += ["[schedule]", schedule]
    if json_logs:
        lines += ["[logging]", 'format = "json"']
    return "\n".join(line for line in lines if line) + "\n"
