"""Smoke: is this deploy up? Read-only, fast, safe on production (nondestructive)."""

from __future__ import annotations

import httpx
import pytest

from shopflow_qa.core.slos import contract_budget

pytestmark = [pytest.mark.smoke, pytest.mark.nondestructive]
TIMEOUT_S = 10


def test_health_is_ok_with_a_version_and_every_check_ok(shopflow_env) -> None:
    response = httpx.get(f"{shopflow_env.url('api')}/health", timeout=TIMEOUT_S)
    body = response.json()
    assert response.status_code == 200, f"/health answered {response.status_code}: {body}"
    failing = {name: value for name, value in body.get("checks", {}).items() if value not in ("ok", "disabled")}
    assert not failing, f"/health reports failing checks: {failing}"
    assert body.get("status") == "ok", f"/health status is {body.get('status')!r}"
    assert body.get("version"), "/health reports no version"


def test_the_product_api_answers_with_the_token(api) -> None:
    page = api.list_products(per_page=5)
    assert page["items"], "the product API returned no products"
    product = page["items"][0]
    assert isinstance(product.get("price"), int), f"a product has no integer price: {sorted(product)}"
    assert api.get_product(product["id"])["id"] == product["id"]


def test_the_api_answers_within_the_response_budget(api, shopflow_env) -> None:
    """A deploy whose every request is slow is broken for every customer: stop the gate here, in
    seconds, not after every suite has crawled through it. The fastest of three reads is judged,
    so one slow moment of a healthy server does not count."""
    budget = contract_budget(shopflow_env)
    fastest_ms = min(api.raw_list_products(per_page=5).elapsed.total_seconds() * 1000 for _ in range(3))
    assert fastest_ms <= budget, (
        f"GET /api/products took {fastest_ms:.0f} ms at best of 3, over the {budget} ms "
        f"response budget of '{shopflow_env.name}' (its SLOs)"
    )


def test_storefront_home_and_a_product_page_answer(shopflow_env, api) -> None:
    web = shopflow_env.url("web")
    home = httpx.get(web + "/", timeout=TIMEOUT_S)
    assert home.status_code == 200, f"storefront home answered {home.status_code}"
    slug = api.list_products(per_page=1)["items"][0]["slug"]
    product = httpx.get(f"{web}/products/{slug}", timeout=TIMEOUT_S)
    assert product.status_code == 200, f"product page /products/{slug} answered {product.status_code}"


def test_the_admin_sign_in_page_is_reachable(shopflow_env) -> None:
    response = httpx.get(f"{shopflow_env.url('admin')}/sign-in", timeout=TIMEOUT_S)
    assert response.status_code == 200, f"admin sign-in answered {response.status_code}"
