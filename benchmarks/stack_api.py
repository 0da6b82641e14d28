"""Latency of the local stack's API per route, and checkout throughput, on SQLite and on
PostgreSQL + Redis; written to benchmarks/results/stack_api.md.

Why: the harness's SLOs for `local` (data/slos.toml) and the load profiles' sizing assume the
stack answers its common routes in a few milliseconds; this is where that figure comes from.
It starts its own stacks (named `bench-sqlite`, `bench-postgresql`) and stops them.

    .venv/bin/python benchmarks/stack_api.py [--requests 300] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shopflow_stack import runner  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "stack_api.md"
SERVICE = {"Authorization": "Bearer local-service-token"}
ADDRESS = {"name": "Bench", "line1": "1 St", "city": "X", "postal_code": "1", "country": "US"}
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1], ordered[-1])


def _time_route(client: httpx.Client, method: str, path: str, requests: int, **kwargs) -> list[float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.request(method, path, **kwargs)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def _checkout(client: httpx.Client, product_id: int, tag: str) -> None:
    cart = client.post("/api/carts", headers={"X-ShopFlow-Test-Run": tag}).json()
    client.post(f"/api/carts/{cart['id']}/lines", json={"product_id": product_id, "quantity": 1}).raise_for_status()
    client.post(
        "/api/orders",
        headers={"X-ShopFlow-Test-Run": tag},
        json={"cart_id": cart["id"], "email": "bench@example.test", "shipping_address": ADDRESS},
    ).raise_for_status()


def measure(api_url: str, requests: int) -> dict[str, tuple[float, float, float] | float]:
    figures: dict[str, tuple[float, float, float] | float] = {}
    with httpx.Client(base_url=api_url, headers=SERVICE, timeout=30) as client:
        for _ in range(20):  # warm up connections and caches
            client.get("/api/products")
        product = max(client.get("/api/products", params={"per_page": 100}).json()["items"], key=lambda p: p["stock"])
        figures["GET /health"] = _percentiles(_time_route(client, "GET", "/health", requests))
        figures["GET /api/products (20)"] = _percentiles(_time_route(client, "GET", "/api/products", requests))
        figures["GET /api/products?q=lamp"] = _percentiles(
            _time_route(client, "GET", "/api/products", requests, params={"q": "lamp"})
        )
        figures["GET /api/products/{id}"] = _percentiles(_time_route(client, "GET", f"/api/products/{product['id']}", requests))
        tag = f"bench-{uuid.uuid4().hex[:6]}"
        checkouts = min(product["stock"], 150)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: _checkout(client, product["id"], tag), range(checkouts)))
        figures["checkouts/s (cart+line+order, 8 threads)"] = checkouts / (time.perf_counter() - started)
        client.delete(f"/api/admin/test-runs/{tag}", headers={"Authorization": "Bearer local-admin-token"})
    return figures


def _stack(backend: str) -> tuple[str, str | None]:
    name = f"bench-{backend}"
    database_url = redis_url = None
    if backend == "postgresql":
        import psycopg

        database = f"shopflow_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        redis_url = "redis://127.0.0.1:6379/0"
        state, _ = runner.up(name, database_url=database_url, redis_url=redis_url)
        return state.urls["api"], database
    state, _ = runner.up(name)
    return state.urls["api"], None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    lines = [
        f"# Local stack API latency ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}; {args.requests} sequential requests "
        "per route over keep-alive from one client on the same machine (ms: median / p95 / max).",
        "",
    ]
    for backend in args.backends.split(","):
        api_url, database = _stack(backend)
        try:
            figures = measure(api_url, args.requests)
        finally:
            runner.down(f"bench-{backend}")
            if database:
                import psycopg

                with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        lines += [f"## {backend}", "", "| route | median | p95 | max |", "|---|---|---|---|"]
        for route, value in figures.items():
            if isinstance(value, tuple):
                lines.append(f"| {route} | {value[0]:.1f} | {value[1]:.1f} | {value[2]:.1f} |")
        lines += [""] + [f"- {k}: {v:.0f}" for k, v in figures.items() if not isinstance(v, tuple)] + [""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
