"""The products a load user may buy: read once per user from the API, never hard-coded ids."""

from __future__ import annotations

import random
from typing import Any

from shopflow_qa.core.flows import Shop
from shopflow_qa.core.stock_shapes import RESERVED_SLUGS

MIN_STOCK_TO_BUY = 40  # leave the low-stock products to the functional suites


def products(shop: Shop) -> list[dict[str, Any]]:
    """Every product of the catalogue (one or two list calls)."""
    return shop.all_products(per_page=100)


def buyable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in items if p.get("stock", 0) >= MIN_STOCK_TO_BUY and p.get("slug") not in RESERVED_SLUGS]


def pick(items: list[dict[str, Any]]) -> dict[str, Any]:
    return random.choice(items)
