"""One panel account configured twice: two ``[[panels]]`` with the same url and key.

Orders are kept by panel name and order ID, and an order ID means an order
only on its own panel and account. Two entries with the same url and key
(however the url is spelt: ``www.`` or not, http or https) are one account
under two names: a key (or a url and its key) copied from
one panel to another by hand. Polled so, each entry's orders are asked of
the other's account: on panels whose order IDs overlap, one panel's answers
are stored as the other's statuses (an order of one shown Canceled because
the other's order of that number was). Two accounts on one panel (one url,
two keys) are fine: each entry asks with its own key.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from tracker.config.fields import is_http_url, problem
from tracker.config.model import PanelConfig


def _where(url: str) -> tuple[str, int | None, str, str]:
    """Given a panel's url, return what names the same endpoint however it is
    written: the host in any case, with or without ``www.`` or a root dot, by
    http or https, its default port written out or not; the path with or
    without a trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    try:
        port = parts.port
    except ValueError:  # not a port: the url is said wrong elsewhere
        port = -1
    if port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None
    return host, port, parts.path.rstrip("/"), parts.query


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_endpoint(url: str, other: str) -> bool:
    """Whether two panel urls name the same endpoint however each is written
    (``www.`` or not, http or https, a trailing slash): one panel, numbering
    all its orders in one series, whichever account (key) places them."""
    return _where(url) == _where(other)


def same_panel(panels: Sequence[PanelConfig], panel: PanelConfig) -> list[str]:
    """Given the configured panels and one of them, return the names of the
    other entries at its url, however written (:func:`same_endpoint`):
    other accounts on that panel, whose order IDs are of the same series."""
    return [p.name for p in panels if p.name != panel.name and same_endpoint(p.url, panel.url)]


def same_account(panels: Sequence[PanelConfig]) -> list[str]:
    """Given the configured panels, return one problem for each panel whose
    url and key are those of an earlier one (a name used twice is said
    already; a panel without a key read, or a url that is none, is skipped).
    The key is compared, never said."""
    found: list[str] = []
    first: dict[tuple[tuple[str, int | None, str, str], str], int] = {}
    names: set[str] = set()
    for index, panel in enumerate(panels):
        key, named_before = panel.key.reveal(), panel.name in names
        names.add(panel.name)
        if named_before or not key or not is_http_url(panel.url):
            continue
        earlier = first.setdefault((_where(panel.url), key), index)
        if earlier != index:
            other = panels[earlier].name
            found.append(
                problem(
                    f"panels[{index}]",
                    f"{panel.name!r} has the url and key of panels[{earlier}] ({other!r}): "
                    "one account configured twice, its answers stored for both panels' "
                    "orders; put back the key (or url) copied from the other panel",
                )
            )
    return found
