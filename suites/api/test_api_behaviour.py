"""The API's behaviour a client relies on: catalogue, cart arithmetic, orders, auth errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from shopflow_qa.core.slos import contract_budget

pytestmark = pytest.mark.api


def _error(response) -> dict:
    return response.json().get("error", {})


@pytest.mark.nondestructive
def test_products_page_and_filter(api) -> None:
    first = api.list_products(per_page=5)
    assert len(first["items"]) == 5 and first["total"] >= 5
    category = first["items"][0]["category"]
    filtered = api.list_products(category=category, per_page=100)
    assert filtered["items"] and {p["category"] for p in filtered["items"]} == {category}


@pytest.mark.nondestructive
@pytest.mark.parametrize("headers, words", [({"Authorization": ""}, "missing"), ({"Authorization": "Bearer not-a-token"}, "bad")])
def test_missing_and_bad_tokens_get_401_with_the_documented_body(api, headers: dict, words: str) -> None:
    response = api.request("GET", "/api/products", headers=headers, auth=False)
    assert response.status_code == 401, f"a {words} token got {response.status_code}"
    assert _error(response).get("code") == "unauthorized" and _error(response).get("message")


@pytest.mark.nondestructive
def test_the_service_token_may_not_use_the_admin_api(api) -> None:
    response = api.request("GET", "/api/admin/orders")
    assert (response.status_code, _error(response).get("code")) == (403, "forbidden")


def test_cart_totals_follow_the_documented_arithmetic(api, catalogue) -> None:
    product = catalogue.in_stock
    cart = api.fill_cart(product["id"], 2)
    subtotal = 2 * product["price"]
    assert cart["subtotal"] == subtotal
    assert cart["shipping"] == (0 if subtotal >= 5000 else 500)
    assert cart["tax"] == (subtotal * 8 + 50) // 100
    assert cart["total"] == cart["subtotal"] + cart["shipping"] + cart["tax"]
    express = api.set_shipping(cart["id"], "express")
    assert express["shipping"] == 1500 and express["total"] == express["subtotal"] + 1500 + express["tax"]


def test_cart_errors_are_the_documented_ones(api, catalogue) -> None:
    cart = api.create_cart()
    assert _error(api.raw_add_to_cart(cart["id"], catalogue.out_of_stock["id"])).get("code") == "out_of_stock"
    assert _error(api.raw_add_to_cart(cart["id"], 99_999)).get("code") == "product_not_found"
    response = api.raw_add_to_cart(cart["id"], catalogue.in_stock["id"], 0)
    assert (response.status_code, _error(response).get("code")) == (422, "invalid_quantity")


def test_an_order_takes_stock_and_closes_the_cart(api, catalogue) -> None:
    before = api.get_product(catalogue.in_stock["id"])["stock"]
    order = api.checkout(catalogue.in_stock["id"], "api-suite@example.test", quantity=2)
    assert order["status"] == "pending" and order["number"].startswith("SF-")
    assert api.get_product(catalogue.in_stock["id"])["stock"] <= before - 2
    assert api.get_order(order["id"])["total"] == order["total"]


def test_shopping_requests_answer_within_the_budget(api, catalogue, shopflow_env) -> None:
    """One request per shopping step, each within the environment's response budget
    (data/slos.toml): the cheap timing check; the contract suite times every case."""
    budget = contract_budget(shopflow_env)
    took: dict[str, float] = {}

    def timed(step: str, call: Callable[[], Any]) -> Any:
        start = time.monotonic()
        response = call()
        took[step] = (time.monotonic() - start) * 1000
        assert response.status_code < 400, f"{step} answered {response.status_code}"
        return response

    timed("GET /api/products", lambda: api.raw_list_products(per_page=5))
    cart = timed("POST /api/carts", api.raw_create_cart).json()
    timed("POST /api/carts/{id}/lines", lambda: api.raw_add_to_cart(cart["id"], catalogue.in_stock["id"]))
    timed("POST /api/orders", lambda: api.raw_create_order(cart["id"], "budget@example.test"))
    over = {step: f"{ms:.0f} ms" for step, ms in took.items() if ms > budget}
    assert not over, f"over the {budget} ms response budget of '{shopflow_env.name}' (its SLOs): {over}"
