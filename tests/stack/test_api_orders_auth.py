"""Orders, auth and the admin API of the stack over HTTP, on SQLite and PostgreSQL + Redis."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.stack.core_api import ADMIN, CoreApi, error_code


@pytest.fixture(scope="module")
def api(healthy_stack) -> CoreApi:
    return CoreApi(healthy_stack.api_url)


@pytest.fixture
def tag() -> str:
    return f"core-{uuid.uuid4().hex[:8]}"


def test_an_order_takes_stock_and_closes_its_cart(api: CoreApi) -> None:
    product = api.product_with_stock(20)
    cart = api.cart_with(product["id"], 2)
    order = api.ok(api.order(cart["id"]), 201)
    assert order["status"] == "pending" and order["number"].startswith("SF-")
    assert [(item["product_id"], item["quantity"]) for item in order["lines"]] == [(product["id"], 2)]
    assert (order["subtotal"], order["shipping"], order["tax"], order["total"]) == (
        cart["subtotal"],
        cart["shipping"],
        cart["tax"],
        cart["total"],
    )
    assert api.ok(api.http.get(f"/api/products/{product['id']}"))["stock"] == product["stock"] - 2
    assert error_code(api.order(cart["id"])) == "cart_closed"
    assert api.ok(api.http.get(f"/api/orders/{order['id']}")) == order


def test_an_empty_cart_cannot_be_ordered_and_bad_input_is_422(api: CoreApi) -> None:
    cart = api.ok(api.http.post("/api/carts"), 201)
    assert error_code(api.order(cart["id"])) == "cart_empty"
    response = api.http.post("/api/orders", json={"cart_id": cart["id"], "email": "not-an-email"})
    assert (response.status_code, error_code(response)) == (422, "invalid_request")
    assert error_code(api.http.get("/api/orders/999999")) == "order_not_found"


def test_idempotency_key_returns_the_first_order_and_acts_once(api: CoreApi) -> None:
    product = api.product_with_stock(20)
    cart = api.cart_with(product["id"], 1)
    key = uuid.uuid4().hex
    first = api.ok(api.order(cart["id"], **{"Idempotency-Key": key}), 201)
    again = api.ok(api.order(cart["id"], **{"Idempotency-Key": key}), 201)
    assert again == first
    assert api.ok(api.http.get(f"/api/products/{product['id']}"))["stock"] == product["stock"] - 1


def test_auth_errors_are_401_and_403_with_json_bodies(api: CoreApi) -> None:
    anonymous = api.http.get("/api/products", headers={"Authorization": ""})
    assert (anonymous.status_code, error_code(anonymous)) == (401, "unauthorized")
    wrong = api.as_token("not-a-token").http.get("/api/products")
    assert (wrong.status_code, error_code(wrong)) == (401, "unauthorized")
    forbidden = api.http.get("/api/admin/orders")
    assert (forbidden.status_code, error_code(forbidden)) == (403, "forbidden")
    assert "Traceback" not in forbidden.text


def test_customers_sign_up_sign_in_and_see_only_their_orders(api: CoreApi) -> None:
    customer, token = api.sign_up()
    me = api.as_token(token)
    assert api.ok(me.http.get("/api/customers/me"))["email"] == customer["email"]
    taken = api.http.post("/api/customers", json={"email": customer["email"], "password": "another-pass-1", "name": "X"})
    assert (taken.status_code, error_code(taken)) == (409, "email_taken")
    signed_in = api.ok(api.http.post("/api/auth/sign-in", json={"email": customer["email"], "password": "correct-horse-9"}))
    assert signed_in["customer"]["id"] == customer["id"] and signed_in["token"] != token
    bad = api.http.post("/api/auth/sign-in", json={"email": customer["email"], "password": "wrong-password"})
    assert (bad.status_code, error_code(bad)) == (401, "invalid_credentials")

    product = api.product_with_stock(20)
    first = api.ok(me.order(me.cart_with(product["id"])["id"], customer["email"]), 201)
    second = api.ok(me.order(me.cart_with(product["id"])["id"], customer["email"]), 201)
    assert first["customer_id"] == customer["id"]
    assert [o["id"] for o in api.ok(me.http.get("/api/orders"))["items"]] == [second["id"], first["id"]]
    stranger = api.as_token(api.sign_up()[1])
    assert error_code(stranger.http.get(f"/api/orders/{first['id']}")) == "order_not_found"
    assert api.ok(stranger.http.get("/api/orders"))["items"] == []
    assert api.http.get("/api/orders").status_code == 403  # the service token has no "mine"


def test_admin_lists_searches_and_purges_a_test_run(healthy_stack, tag: str) -> None:
    shopper = CoreApi(healthy_stack.api_url, tag=tag)
    admin = CoreApi(healthy_stack.api_url, ADMIN)
    product = shopper.product_with_stock(20)
    customer, token = shopper.sign_up()
    order = shopper.ok(shopper.as_token(token).order(shopper.cart_with(product["id"], 3)["id"], customer["email"]), 201)
    assert admin.ok(admin.http.get(f"/api/admin/test-runs/{tag}")) == {"tag": tag, "customers": 1, "carts": 1, "orders": 1}
    by_number = admin.ok(admin.http.get("/api/admin/orders", params={"q": order["number"]}))["items"]
    assert [o["id"] for o in by_number] == [order["id"]]
    by_email = admin.ok(admin.http.get("/api/admin/orders", params={"q": customer["email"]}))["items"]
    assert [o["id"] for o in by_email] == [order["id"]]
    assert admin.ok(admin.http.get("/api/admin/orders/" + str(order["id"])))["test_run"] == tag
    assert admin.ok(admin.http.get("/api/admin/customers", params={"q": customer["email"]}))["items"][0]["id"] == customer["id"]

    purged = admin.ok(admin.http.delete(f"/api/admin/test-runs/{tag}"))
    assert purged == {"tag": tag, "customers": 1, "carts": 1, "orders": 1}
    assert admin.ok(admin.http.get(f"/api/admin/test-runs/{tag}")) == {"tag": tag, "customers": 0, "carts": 0, "orders": 0}
    assert error_code(admin.http.get(f"/api/admin/orders/{order['id']}")) == "order_not_found"
    assert admin.ok(admin.http.get(f"/api/products/{product['id']}"))["stock"] >= product["stock"]  # given back
    assert admin.as_token(token).http.get("/api/customers/me").status_code == 401


def test_admin_deletes_a_customer_with_their_orders(healthy_stack) -> None:
    shopper, admin = CoreApi(healthy_stack.api_url), CoreApi(healthy_stack.api_url, ADMIN)
    customer, token = shopper.sign_up()
    me = shopper.as_token(token)
    order = shopper.ok(me.order(me.cart_with(shopper.product_with_stock(20)["id"])["id"], customer["email"]), 201)
    assert admin.http.delete(f"/api/admin/customers/{customer['id']}").status_code == 204
    assert error_code(admin.http.get(f"/api/admin/orders/{order['id']}")) == "order_not_found"
    assert error_code(admin.http.delete(f"/api/admin/customers/{customer['id']}")) == "customer_not_found"


def test_seeding_twice_leaves_the_same_data(healthy_stack) -> None:
    admin = CoreApi(healthy_stack.api_url, ADMIN)
    before = admin.ok(admin.http.get("/api/products", params={"per_page": 100}))
    first = admin.ok(admin.http.post("/api/admin/seed", json={"only": None}))
    second = admin.ok(admin.http.post("/api/admin/seed", json={}))
    assert first == second and first["seeded"]["products"] == before["total"]
    assert admin.ok(admin.http.get("/api/products", params={"per_page": 100})) == before
    assert admin.http.post("/api/admin/seed", json={"only": "everything"}).status_code == 422


def test_fifty_orders_racing_for_the_last_items_never_oversell(healthy_stack, tag: str) -> None:
    """50 shoppers, stock for fewer: exactly `stock` orders succeed, the rest get 409, stock ends at 0."""
    shopper, admin = CoreApi(healthy_stack.api_url, tag=tag), CoreApi(healthy_stack.api_url, ADMIN)
    items = shopper.ok(shopper.http.get("/api/products", params={"per_page": 100}))["items"]
    product = next(p for p in items if 10 <= p["stock"] < 50)
    stock = product["stock"]
    carts = [shopper.cart_with(product["id"], 1)["id"] for _ in range(50)]
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda cart_id: shopper.order(cart_id), carts))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == stock and codes.count(409) == 50 - stock, codes
    assert {error_code(a) for a in answers if a.status_code == 409} == {"out_of_stock"}
    assert admin.ok(admin.http.get(f"/api/products/{product['id']}"))["stock"] == 0
    assert admin.ok(admin.http.get(f"/api/admin/test-runs/{tag}"))["orders"] == stock  # none lost
    admin.ok(admin.http.delete(f"/api/admin/test-runs/{tag}"))
    assert admin.ok(admin.http.get(f"/api/products/{product['id']}"))["stock"] == stock
