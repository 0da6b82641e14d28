"""The seeded products a test can rely on, by stock shape, and those the seed reserves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopflow_qa.core.flows import Shop

# Products the seed reserves for race tests: never hand them to an ordinary test.
RESERVED_SLUGS = frozenset({"limited-run-espresso-cups"})
LOW_STOCK_MAX = 3


@dataclass(frozen=True)
class StockShapes:
    """Seeded products by stock shape: plenty in stock, only a few left, none left."""

    in_stock: dict[str, Any]
    low_stock: dict[str, Any]
    out_of_stock: dict[str, Any]
    products: tuple[dict[str, Any], ...] = ()


def find_stock_shapes(shop: Shop, per_page: int = 100) -> StockShapes:
    """Read the catalogue once and pick one product of each stock shape (FlowError if missing)."""
    products = shop.all_products(per_page)
    usable = [p for p in products if p.get("slug") not in RESERVED_SLUGS]

    def pick(description: str, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        if not candidates:
            raise LookupError(f"catalogue: no {description} product among {len(products)} (is the stack seeded?)")
        return candidates[0]

    return StockShapes(
        in_stock=pick("in-stock", sorted((p for p in usable if p["stock"] > LOW_STOCK_MAX), key=lambda p: -p["stock"])),
        low_stock=pick("low-stock", [p for p in usable if 0 < p["stock"] <= LOW_STOCK_MAX]),
        out_of_stock=pick("out-of-stock", [p for p in usable if p["stock"] == 0]),
        products=tuple(products),
    )
