"""Each fault switch of the stack core demonstrably changes what the API does (stack/README.md)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.stack.core_api import CoreApi, error_code


@pytest.fixture(scope="module")
def faulty(stack_factory, request: pytest.FixtureRequest):
    """One SQLite stack with every core fault on that does not mask another."""
    return stack_factory("sqlite", faults=("schema_drift", "stale_version", "health_degraded", "error_rate:3"), until=request)


def test_schema_drift_renames_price(faulty) -> None:
    api = CoreApi(faulty.api_url)
    items = None
    while items is None:  # error_rate:3 fails every third call; this one may be it
        response = api.http.get("/api/products", params={"per_page": 5})
        items = response.json()["items"] if response.status_code == 200 else None
    assert all("price" not in p and isinstance(p["unit_price"], int) for p in items)


def test_stale_version_and_health_degraded(faulty) -> None:
    response = httpx.get(f"{faulty.api_url}/health")
    body = response.json()
    assert response.status_code == 200  # degraded: answers 200 …
    assert body["status"] == "fail" and body["checks"]["database"].startswith("fail")  # … but says it fails
    assert body["version"] == "0000000-stale"
    assert set(body["faults"]) == {"schema_drift", "stale_version", "health_degraded", "error_rate"}


def test_error_rate_fails_every_nth_api_call_deterministically(faulty) -> None:
    api = CoreApi(faulty.api_url)
    statuses = [api.http.get("/api/categories").status_code for _ in range(9)]
    assert statuses.count(500) == 3
    failed = [i for i, s in enumerate(statuses) if s == 500]
    assert failed[1] - failed[0] == failed[2] - failed[1] == 3
    response = next(r for r in (api.http.get("/api/categories") for _ in range(3)) if r.status_code == 500)
    assert error_code(response) == "internal_error" and "Traceback" not in response.text
    assert all(httpx.get(f"{faulty.api_url}/health").status_code == 200 for _ in range(6))  # only /api/*


def test_healthy_stack_has_none_of_these(healthy_stack) -> None:
    body = httpx.get(f"{healthy_stack.api_url}/health").json()
    assert body["status"] == "ok" and body["version"] != "0000000-stale" and body["faults"] == []
    api = CoreApi(healthy_stack.api_url)
    assert all(api.http.get("/api/categories").status_code == 200 for _ in range(10))
    assert "price" in api.http.get("/api/products", params={"per_page": 1}).json()["items"][0]


@pytest.mark.parametrize("fault, path", [("slow_api:600", "/api/categories"), ("slow_checkout:600", "/api/orders")])
def test_slowness_faults_add_their_delay(stack_factory, request: pytest.FixtureRequest, fault: str, path: str) -> None:
    stack = stack_factory("sqlite", faults=(fault,), until=request)
    api = CoreApi(stack.api_url)
    cart = api.cart_with(api.product_with_stock(20)["id"]) if path == "/api/orders" else None
    started = time.perf_counter()
    response = api.order(cart["id"]) if cart else api.http.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 201)
    assert elapsed >= 0.6  # a lower bound the fault guarantees, not a timing budget
