"""Carts: lines, quantities checked against stock, totals."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from shopflow_stack.shop import pricing
from shopflow_stack.shop.clock import now
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.tables import cart_lines, carts, products

MAX_QUANTITY = 99


def new_cart(connection: Connection, *, customer_id: int | None, tag: str | None) -> str:
    cart_id = "cart_" + secrets.token_hex(12)
    connection.execute(
        insert(carts).values(
            id=cart_id, customer_id=customer_id, shipping_method="standard", closed=False, created_at=now(), test_run=tag
        )
    )
    return cart_id


def load_cart(connection: Connection, cart_id: str, *, customer_id: int | None = None) -> Row:
    """The cart, or 404. A customer may only see guest carts and their own."""
    cart = connection.execute(select(carts).where(carts.c.id == cart_id)).first()
    if cart is None or (customer_id is not None and cart.customer_id not in (None, customer_id)):
        raise ApiError(404, "cart_not_found", f"No cart {cart_id}.")
    return cart


def open_cart(connection: Connection, cart_id: str, *, customer_id: int | None = None) -> Row:
    cart = load_cart(connection, cart_id, customer_id=customer_id)
    if cart.closed:
        raise ApiError(409, "cart_closed", "This cart has already been ordered.")
    return cart


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ApiError(422, "invalid_quantity", f"Quantity must be 1 to {MAX_QUANTITY}, not {quantity}.")


def _product(connection: Connection, product_id: int) -> Row:
    product = connection.execute(select(products).where(products.c.id == product_id)).first()
    if product is None:
        raise ApiError(404, "product_not_found", f"No product {product_id}.")
    return product


def _check_stock(product: Row, quantity: int) -> None:
    if quantity > product.stock:
        raise ApiError(
            409,
            "out_of_stock",
            f"Only {product.stock} of {product.name} left.",
            error_fields={"product_id": product.id, "available": product.stock},
        )


def add_line(connection: Connection, cart_id: str, product_id: int, quantity: int) -> None:
    check_quantity(quantity)
    product = _product(connection, product_id)
    line = connection.execute(
        select(cart_lines).where(cart_lines.c.cart_id == cart_id, cart_lines.c.product_id == product_id)
    ).first()
    wanted = quantity + (line.quantity if line else 0)
    check_quantity(wanted)
    _check_stock(product, wanted)
    if line:
        connection.execute(update(cart_lines).where(cart_lines.c.id == line.id).values(quantity=wanted))
    else:
        connection.execute(insert(cart_lines).values(cart_id=cart_id, product_id=product_id, quantity=quantity))


def _line(connection: Connection, cart_id: str, line_id: int) -> Row:
    line = connection.execute(select(cart_lines).where(cart_lines.c.id == line_id, cart_lines.c.cart_id == cart_id)).first()
    if line is None:
        raise ApiError(404, "line_not_found", f"No line {line_id} in this cart.")
    return line


def set_quantity(connection: Connection, cart_id: str, line_id: int, quantity: int) -> None:
    check_quantity(quantity)
    line = _line(connection, cart_id, line_id)
    _check_stock(_product(connection, line.product_id), quantity)
    connection.execute(update(cart_lines).where(cart_lines.c.id == line_id).values(quantity=quantity))


def remove_line(connection: Connection, cart_id: str, line_id: int) -> None:
    _line(connection, cart_id, line_id)
    connection.execute(delete(cart_lines).where(cart_lines.c.id == line_id))


def set_shipping(connection: Connection, cart_id: str, method: str) -> None:
    if method not in pricing.SHIPPING_METHODS:
        raise ApiError(422, "invalid_request", f"shipping_method must be one of {', '.join(pricing.SHIPPING_METHODS)}.")
    connection.execute(update(carts).where(carts.c.id == cart_id).values(shipping_method=method))


def cart_lines_with_products(connection: Connection, cart_id: str) -> Sequence[Row]:
    return connection.execute(
        select(
            cart_lines.c.id,
            cart_lines.c.product_id,
            cart_lines.c.quantity,
            products.c.name,
            products.c.price,
            products.c.currency,
        )
        .select_from(cart_lines.join(products, products.c.id == cart_lines.c.product_id))
        .where(cart_lines.c.cart_id == cart_id)
        .order_by(cart_lines.c.id)
    ).all()


def present_cart(connection: Connection, cart: Row) -> dict[str, Any]:
    lines = [
        {
            "id": r.id,
            "product_id": r.product_id,
            "name": r.name,
            "unit_price": r.price,
            "quantity": r.quantity,
            "line_total": r.price * r.quantity,
        }
        for r in cart_lines_with_products(connection, cart.id)
    ]
    sums = pricing.totals([line["line_total"] for line in lines], [line["quantity"] for line in lines], cart.shipping_method)
    return {
        "id": cart.id,
        "lines": lines,
        "shipping_method": cart.shipping_method,
        "currency": "USD",
        "subtotal": sums.subtotal,
        "shipping": sums.shipping,
        "tax": sums.tax,
        "total": sums.total,
        "item_count": sum(line["quantity"] for line in lines),
        "closed": bool(cart.closed),
    }
