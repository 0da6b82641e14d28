"""The stack's catalogue and cart over HTTP, on SQLite and on PostgreSQL + Redis (docs/api.md)."""

from __future__ import annotations

import pytest

from tests.stack.core_api import CoreApi, error_code


@pytest.fixture(scope="module")
def api(healthy_stack) -> CoreApi:
    return CoreApi(healthy_stack.api_url)


def test_health_names_version_and_checks(healthy_stack, api: CoreApi) -> None:
    body = api.ok(api.http.get("/health"))
    assert body["status"] == "ok" and len(body["version"]) >= 7
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == ("ok" if healthy_stack.backend == "postgresql" else "disabled")
    assert body["faults"] == []


def test_products_page_through_the_whole_seed_catalogue(api: CoreApi) -> None:
    first = api.ok(api.http.get("/api/products", params={"per_page": 20}))
    assert first["total"] >= 50 and len(first["items"]) == 20 and first["page"] == 1
    seen = [
        p["id"]
        for page in range(1, 4)
        for p in api.ok(api.http.get("/api/products", params={"page": page, "per_page": 20}))["items"]
    ]
    assert len(seen) == len(set(seen)) == first["total"]
    product = first["items"][0]
    assert isinstance(product["price"], int) and product["currency"] == "USD"
    assert product["in_stock"] == (product["stock"] > 0)


def test_per_page_is_capped_and_validated(api: CoreApi) -> None:
    assert error_code(api.http.get("/api/products", params={"per_page": 101})) == "invalid_request"
    assert api.http.get("/api/products", params={"page": 0}).status_code == 422


def test_category_filter_and_text_search(api: CoreApi) -> None:
    categories = api.ok(api.http.get("/api/categories"))["items"]
    assert len(categories) >= 4 and sum(c["product_count"] for c in categories) >= 50
    lighting = api.ok(api.http.get("/api/products", params={"category": "lighting", "per_page": 100}))
    assert lighting["total"] == next(c["product_count"] for c in categories if c["slug"] == "lighting")
    assert {p["category"] for p in lighting["items"]} == {"lighting"}
    found = api.ok(api.http.get("/api/products", params={"q": "LAMP"}))["items"]
    assert found and all("lamp" in (p["name"] + p["description"]).lower() for p in found)
    assert api.ok(api.http.get("/api/products", params={"q": "no-such-thing-xyz"}))["total"] == 0


def test_product_by_id_and_slug_agree_and_unknown_is_404(api: CoreApi) -> None:
    product = api.ok(api.http.get("/api/products", params={"per_page": 1}))["items"][0]
    assert api.ok(api.http.get(f"/api/products/{product['id']}")) == product
    assert api.ok(api.http.get(f"/api/products/by-slug/{product['slug']}")) == product
    assert error_code(api.http.get("/api/products/999999")) == "product_not_found"
    assert error_code(api.http.get("/api/products/by-slug/nope")) == "product_not_found"


def test_catalogue_has_low_and_sold_out_stock(api: CoreApi) -> None:
    items = api.ok(api.http.get("/api/products", params={"per_page": 100}))["items"]
    assert any(not p["in_stock"] for p in items)
    assert any(0 < p["stock"] <= 3 for p in items)


def test_cart_totals_shipping_and_tax(api: CoreApi) -> None:
    cheap = min(
        (p for p in api.ok(api.http.get("/api/products", params={"per_page": 100}))["items"] if p["stock"] >= 10),
        key=lambda p: p["price"],
    )
    cart = api.cart_with(cheap["id"], 1)
    assert cart["subtotal"] == cheap["price"] and cart["item_count"] == 1
    assert cart["shipping"] == (500 if cheap["price"] < 5000 else 0)
    assert cart["tax"] == (cheap["price"] * 8 + 50) // 100  # 8 %, half up
    assert cart["total"] == cart["subtotal"] + cart["shipping"] + cart["tax"]
    express = api.ok(api.http.patch(f"/api/carts/{cart['id']}", json={"shipping_method": "express"}))
    assert express["shipping"] == 1500 and express["total"] == express["subtotal"] + 1500 + express["tax"]


def test_free_standard_shipping_from_5000(api: CoreApi) -> None:
    product = api.product_with_stock(20)
    quantity = -(-5000 // product["price"])  # just enough to reach 5000
    cart = api.cart_with(product["id"], quantity)
    assert cart["subtotal"] >= 5000 and cart["shipping"] == 0


def test_adding_the_same_product_adds_to_its_line_and_lines_change(api: CoreApi) -> None:
    product = api.product_with_stock(20)
    cart = api.cart_with(product["id"], 1)
    cart = api.ok(api.http.post(f"/api/carts/{cart['id']}/lines", json={"product_id": product["id"], "quantity": 2}), 201)
    [line] = cart["lines"]
    assert line["quantity"] == 3 and line["line_total"] == 3 * product["price"]
    cart = api.ok(api.http.patch(f"/api/carts/{cart['id']}/lines/{line['id']}", json={"quantity": 5}))
    assert cart["lines"][0]["quantity"] == 5 and cart["subtotal"] == 5 * product["price"]
    cart = api.ok(api.http.delete(f"/api/carts/{cart['id']}/lines/{line['id']}"))
    assert cart["lines"] == [] and cart["total"] == 0 and cart["shipping"] == 0


def test_cart_errors_are_clear(api: CoreApi) -> None:
    items = api.ok(api.http.get("/api/products", params={"per_page": 100}))["items"]
    sold_out = next(p for p in items if p["stock"] == 0)
    low = next(p for p in items if 0 < p["stock"] <= 3)
    cart = api.ok(api.http.post("/api/carts"), 201)
    lines = f"/api/carts/{cart['id']}/lines"
    assert error_code(api.http.post(lines, json={"product_id": 999999, "quantity": 1})) == "product_not_found"
    assert error_code(api.http.post(lines, json={"product_id": sold_out["id"], "quantity": 1})) == "out_of_stock"
    assert error_code(api.http.post(lines, json={"product_id": low["id"], "quantity": low["stock"] + 1})) == "out_of_stock"
    for quantity in (0, -1, 100):
        response = api.http.post(lines, json={"product_id": low["id"], "quantity": quantity})
        assert (response.status_code, error_code(response)) == (422, "invalid_quantity")
    assert error_code(api.http.patch(f"{lines}/424242", json={"quantity": 1})) == "line_not_found"
    assert error_code(api.http.get("/api/carts/cart_unknown")) == "cart_not_found"
    assert api.http.post(lines, json={"product_id": "one"}).status_code == 422


def test_the_server_describes_itself_in_openapi(api: CoreApi) -> None:
    paths = api.ok(api.http.get("/openapi.json"))["paths"]
    assert {"/api/products", "/api/carts/{cart_id}/lines", "/api/orders", "/api/admin/test-runs/{tag}"} <= set(paths)
