"""The products a load user may buy: read from the API once per Locust process and target (the
first user fetches, the others wait for it), never hard-coded ids.

Why once per process: a catalogue page of 100 products is the largest body a profile decodes;
every user fetching it at start cost the generator more CPU than minutes of the flows it feeds.
"""

from __future__ import annotations

import random
from typing import Any

from gevent.lock import BoundedSemaphore

from shopflow_qa.core.flows import Shop
from shopflow_qa.core.stock_shapes import RESERVED_SLUGS

MIN_STOCK_TO_BUY = 40  # leave the low-stock products to the functional suites

_fetching = BoundedSemaphore()
_by_host: dict[str, list[dict[str, Any]]] = {}


def products(shop: Shop, host: str = "") -> list[dict[str, Any]]:
    """Every product of the catalogue at `host` (one or two list calls, the first time in this process)."""
    with _fetching:
        if host not in _by_host:
            _by_host[host] = shop.all_products(per_page=100)  # a FlowError caches nothing: the next user retries
        return _by_host[host]


def buyable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in items if p.get("stock", 0) >= MIN_STOCK_TO_BUY and p.get("slug") not in RESERVED_SLUGS]


def pick(items: list[dict[str, Any]]) -> dict[str, Any]:
    return random.choice(items)
