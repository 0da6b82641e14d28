"""Cart and order arithmetic (docs/api.md, "Cart"): shipping, 8 % tax rounded half up, total."""

from __future__ import annotations

from dataclasses import dataclass

SHIPPING_METHODS = {"standard": 500, "express": 1500}
FREE_STANDARD_FROM = 5000
TAX_PERCENT = 8


@dataclass(frozen=True)
class Totals:
    subtotal: int
    shipping: int
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping + self.tax


def shipping_for(subtotal: int, method: str, item_count: int) -> int:
    if item_count == 0:
        return 0
    if method == "standard" and subtotal >= FREE_STANDARD_FROM:
        return 0
    return SHIPPING_METHODS[method]


def tax_for(subtotal: int) -> int:
    """8 % of the subtotal in minor units, rounded half up (integers only: no float error)."""
    return (subtotal * TAX_PERCENT + 50) // 100


def totals(line_totals: list[int], quantities: list[int], method: str) -> Totals:
    subtotal = sum(line_totals)
    return Totals(subtotal, shipping_for(subtotal, method, sum(quantities)), tax_for(subtotal))
