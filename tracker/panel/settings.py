"""What the transport reads of a panel's settings: a Protocol that
``config.model.PanelConfig`` fits, so panel/ never imports config/; ``P``, the
settings type every layer of the client is generic over."""

from __future__ import annotations

from typing import Protocol, TypeVar


class Secret(Protocol):
    def reveal(self) -> str: ...


class PanelSettings(Protocol):
    """What the transport reads of a panel's config (``config.model.PanelConfig``)."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def key(self) -> Secret: ...
    @property
    def timeout(self) -> float: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def retry_budget(self) -> float: ...


P = TypeVar("P", bound=PanelSettings)
