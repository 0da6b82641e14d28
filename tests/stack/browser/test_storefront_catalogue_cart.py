"""Browsing and the cart in a real browser: filter, search, stock state, quantities, totals."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.stack.browser.storefront_steps import Shop


def _price(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


def test_category_filter_search_and_out_of_stock_product(page: Page, shop: Shop) -> None:
    products = shop.api.get("/api/products", params={"per_page": 100}).json()["items"]
    category = products[0]["category"]
    # Step 1 — a category shows only its products.
    page.goto(f"{shop.web}/products?category={category}")
    expected = shop.api.get("/api/products", params={"category": category, "per_page": 100}).json()["total"]
    expect(page.get_by_test_id("result-count")).to_have_text(f"{expected} product{'' if expected == 1 else 's'}")
    # Step 2 — search finds a product by a word of its name.
    word = products[0]["name"].split()[-1]
    page.get_by_test_id("search-input").fill(word)
    page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("product-link").filter(has_text=products[0]["name"])).to_be_visible()
    # Step 3 — an out-of-stock product says so and cannot be added.
    sold_out = next(p for p in products if not p["in_stock"])
    page.goto(f"{shop.web}/products/{sold_out['slug']}")
    expect(page.get_by_test_id("stock-state")).to_have_text("Out of stock")
    expect(page.get_by_test_id("add-to-cart")).to_be_disabled()


def test_cart_quantity_and_remove_update_the_totals(page: Page, shop: Shop) -> None:
    products = [p for p in shop.api.get("/api/products", params={"per_page": 100}).json()["items"] if p["stock"] >= 20][:2]
    for product in products:
        page.goto(f"{shop.web}/products/{product['slug']}")
        page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    # Step 1 — three of the first product: its line and the subtotal follow.
    first = page.locator(f"[data-testid=cart-line][data-product-id='{products[0]['id']}']")
    first.get_by_test_id("line-quantity").fill("3")
    first.get_by_test_id("update-line").click()
    expect(first.get_by_test_id("line-total")).to_have_text(f"${products[0]['price'] * 3 / 100:,.2f}")
    subtotal = products[0]["price"] * 3 + products[1]["price"]
    expect(page.get_by_test_id("subtotal")).to_have_text(f"${subtotal / 100:,.2f}")
    expect(page.get_by_test_id("cart-count")).to_have_text("4")
    # Step 2 — removing the second product leaves one line; the total adds up.
    page.locator(f"[data-testid=cart-line][data-product-id='{products[1]['id']}']").get_by_test_id("remove-line").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    parts = [_price(page.get_by_test_id(k).text_content()) for k in ("subtotal", "shipping", "tax", "total")]
    assert parts[0] == products[0]["price"] * 3 and parts[0] + parts[1] + parts[2] == parts[3], parts
