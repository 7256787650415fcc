"""An alerter for tests of one job's alerts: keeps what it is given."""

from __future__ import annotations


class Raised:
    """Keeps each alert raised; knows no episode (no panel_unreachable or
    auth_failed: nothing blinds the stall watch)."""

    def __init__(self) -> None:
        self.alerts: list = []

    def raise_alert(self, alert) -> None:
        self.alerts.append(alert)

    def episode(self, panel: str, kind: str) -> None:
        return None
