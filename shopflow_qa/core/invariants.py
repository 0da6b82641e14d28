"""Cross-resource invariants: what must hold between ShopFlow's resources and the environment,
beyond each one's schema. Pure functions over the API's JSON (no request of their own), so the
API suites, the browser journeys (reading the order back after the journey) and the load
profiles (on a sample of their orders) judge with the same rules.

Each check returns the violations it found, each naming its invariant:

- `currency`: every price, cart, order, payment is in the environment's currency;
- `money`: lines × prices → subtotal → total, cart → order, payments and refunds → the
  order's paid and refunded amounts;
- `status`: an order's status agrees with its amounts and payment history;
- `stock`: stock moves by exactly the quantities ordered and restocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Statuses before money was taken, after it was taken, and after some or all was given back.
UNPAID = ("pending", "requires_action", "payment_failed", "cancelled")
SETTLED = ("paid", "fulfilled")
REFUNDED = ("partially_refunded", "refunded")
TOTAL_PARTS = ("subtotal", "shipping", "tax")


@dataclass(frozen=True)
class Violation:
    """One broken invariant: its name (`currency`, `money`, `status`, `stock`) and what was seen."""

    invariant: str
    message: str

    def __str__(self) -> str:
        return f"invariant '{self.invariant}' broken: {self.message}"


class InvariantBroken(AssertionError):
    """Raised by `require`: every violation, one per line, each naming its invariant."""


def require(violations: Iterable[Violation]) -> None:
    """Fail (InvariantBroken) when any invariant is broken; quiet otherwise."""
    found = list(violations)
    if found:
        raise InvariantBroken("\n".join(str(v) for v in found))


def currency(expected: str, resources: Mapping[str, Any]) -> list[Violation]:
    """Every named resource (a product, cart, order, payment; an order's payments too) is in `expected`."""
    found = []
    for label, resource in resources.items():
        items = [(label, resource)]
        if isinstance(resource, Mapping):
            items += [(f"{label} payment {p.get('id')}", p) for p in resource.get("payments", []) or []]
        for where, item in items:
            seen = item.get("currency") if isinstance(item, Mapping) else None
            if seen is not None and str(seen).upper() != expected.upper():
                found.append(Violation("currency", f"{where} is in {seen}, the environment's currency is {expected}"))
    return found


def _succeeded(items: Any) -> list[Mapping[str, Any]]:
    return [item for item in items or [] if item.get("status") == "succeeded"]


def money(order: Mapping[str, Any], cart: Mapping[str, Any] | None = None) -> list[Violation]:
    """Lines add up to the subtotal, the parts to the total; the cart's figures are the order's;
    succeeded payments and refunds add up to the paid and refunded amounts; every payment
    attempt is for the order's total; nothing is refunded beyond what was paid."""
    name = f"order {order.get('number', order.get('id'))}"
    found = []
    for line in order.get("lines", []):
        if line["unit_price"] * line["quantity"] != line["line_total"]:
            found.append(
                Violation(
                    "money", f"{name} line {line.get('id')}: {line['quantity']} × {line['unit_price']} ≠ {line['line_total']}"
                )
            )
    lines_sum = sum(line["line_total"] for line in order.get("lines", []))
    if lines_sum != order["subtotal"]:
        found.append(Violation("money", f"{name}: lines add up to {lines_sum}, subtotal says {order['subtotal']}"))
    parts = sum(order[key] for key in TOTAL_PARTS)
    if parts != order["total"]:
        found.append(Violation("money", f"{name}: subtotal + shipping + tax = {parts}, total says {order['total']}"))
    if cart is not None:
        for key in (*TOTAL_PARTS, "total"):
            if cart.get(key) != order.get(key):
                found.append(Violation("money", f"{name}: the cart's {key} was {cart.get(key)}, the order's is {order.get(key)}"))
    paid = sum(p["amount"] for p in _succeeded(order.get("payments")))
    # a payment succeeds before the provider's webhook marks the order paid: only a settled
    # order's paid amount must be its succeeded payments' (an unpaid one's is 0: `status`)
    if order.get("status") not in UNPAID and paid != order["paid_amount"]:
        found.append(Violation("money", f"{name}: succeeded payments add up to {paid}, paid_amount says {order['paid_amount']}"))
    for payment in order.get("payments", []) or []:
        if payment["amount"] != order["total"]:
            found.append(
                Violation(
                    "money",
                    f"{name}: payment {payment.get('id')} is for {payment['amount']}, the order total is {order['total']}",
                )
            )
    refunded = sum(r["amount"] for r in _succeeded(order.get("refunds")))
    if refunded != order["refunded_amount"]:
        found.append(
            Violation("money", f"{name}: succeeded refunds add up to {refunded}, refunded_amount says {order['refunded_amount']}")
        )
    if order["refunded_amount"] > order["paid_amount"]:
        found.append(Violation("money", f"{name}: refunded {order['refunded_amount']} of only {order['paid_amount']} paid"))
    return found


def status(order: Mapping[str, Any]) -> list[Violation]:
    """An unpaid order records no money paid (a payment may have succeeded before the webhook
    settles it); a paid one has a succeeded payment of its total and no
    refund; a (partially) refunded one has given back (some, not all) or all of what was paid."""
    name = f"order {order.get('number', order.get('id'))}"
    state, paid, refunded = order["status"], order["paid_amount"], order["refunded_amount"]
    succeeded = _succeeded(order.get("payments"))
    found = []

    def broken(why: str) -> None:
        found.append(Violation("status", f"{name} is '{state}' but {why}"))

    if state in UNPAID:
        if paid:
            broken(f"{paid} is recorded as paid")
    elif state in SETTLED or state in REFUNDED:
        if not succeeded:
            broken("no payment succeeded")
        elif paid != order["total"]:
            broken(f"paid_amount is {paid} of a {order['total']} total")
        if state in SETTLED and refunded:
            broken(f"{refunded} was refunded")
        if state == "partially_refunded" and not 0 < refunded < paid:
            broken(f"{refunded} of {paid} was refunded")
        if state == "refunded" and refunded != paid:
            broken(f"only {refunded} of {paid} was refunded")
    return found


def stock(before: Mapping[str, Any], after: Mapping[str, Any], ordered: int = 0, restocked: int = 0) -> list[Violation]:
    """A product's stock moved by exactly `restocked - ordered` between two reads of it."""
    moved = after["stock"] - before["stock"]
    if moved != restocked - ordered:
        expected = restocked - ordered
        return [
            Violation(
                "stock",
                f"product {after.get('id')} stock went {before['stock']} → {after['stock']} ({moved:+d}); "
                f"{ordered} ordered and {restocked} restocked should move it {expected:+d}",
            )
        ]
    return []


def check_order(expected_currency: str, order: Mapping[str, Any], cart: Mapping[str, Any] | None = None) -> list[Violation]:
    """Everything one order read back must satisfy: currency, money, status (not stock: that
    needs the product before and after, and a product other tests do not buy)."""
    resources: dict[str, Any] = {f"order {order.get('number', order.get('id'))}": order}
    if cart is not None:
        resources[f"cart {cart.get('id')}"] = cart
    return currency(expected_currency, resources) + money(order, cart) + status(order)
