"""A ShopFlow API stand-in fast enough that the load generator, not the shop, is the limit.

Why: the real local stack spends far more CPU per request than Locust does, so on a 2-core
machine it saturates first and no run can show the generator's own limit. This raw asyncio
server answers the routes the load profiles use (docs/api.md shapes: /health, products,
categories, carts, lines, orders, pay, order status) from memory with tiny JSON bodies: an
order is paid as soon as it is paid for. Benchmark-only (benchmarks/generator_processes.py).

    python benchmarks/fast_shop.py PORT [--env-file PATH]   # PATH: environment `fast` aimed at it
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sys

PRODUCTS = [  # the real stack's product shape and size (a list of 20 is ~4.4 kB)
    {
        "id": i,
        "slug": f"bench-product-{i}",
        "name": f"Bench Product {i}",
        "description": f"Bench Product {i} from the ShopFlow benchmark range.",
        "category": "bench",
        "price": 1000 + i,
        "currency": "USD",
        "stock": 10**6,
        "in_stock": True,
        "image_url": None,
    }
    for i in range(1, 21)
]
_ids = itertools.count(1)
REASONS = {200: "OK", 201: "Created", 404: "Not Found"}


def _answer(method: str, path: str) -> tuple[int, object]:
    route = path.split("?", 1)[0]
    if route == "/health":
        return 200, {"status": "ok", "version": "fast-shop", "checks": {}}
    if method == "GET" and route == "/api/products":
        return 200, {"items": PRODUCTS, "total": len(PRODUCTS), "page": 1, "per_page": 100}
    if method == "GET" and route == "/api/categories":
        return 200, {"items": [{"slug": "bench", "name": "Bench"}]}
    if method == "GET" and route.startswith("/api/products/"):
        return 200, PRODUCTS[0]
    if method == "POST" and route == "/api/carts":
        return 201, {"id": next(_ids), "lines": [], "subtotal": 0}
    if method == "POST" and re.fullmatch(r"/api/carts/\d+/lines", route):
        return 201, {"id": int(route.split("/")[3]), "lines": [{"id": 1, "product_id": 1, "quantity": 1}], "subtotal": 1001}
    if method == "POST" and route == "/api/orders":
        return 201, {"id": next(_ids), "status": "pending", "total": 1001}
    if method == "POST" and route.endswith("/pay"):
        order = int(route.split("/")[3])
        return 200, {"order": {"id": order, "status": "paid"}, "payment": {"status": "succeeded"}}
    if method == "GET" and route.startswith("/api/orders/"):
        return 200, {"id": int(route.split("/")[3]), "status": "paid"}
    return 404, {"error": {"code": "not_found", "message": route}}


def _response(status: int, body: object) -> bytes:
    payload = json.dumps(body).encode()
    head = f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    return head.encode() + payload


_STATIC = {  # answers that never change, encoded once: the shop's own CPU stays small
    ("GET", route): _response(*_answer("GET", route))
    for route in ("/health", "/api/products", "/api/categories", "/api/products/1")
}


class Answer(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            match = re.search(r"(?im)^content-length:\s*(\d+)", head)
            length = int(match.group(1)) if match else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            method, path = head.split(" ", 2)[:2]
            route = path.split("?", 1)[0]
            if method == "GET" and route.startswith("/api/products/"):
                route = "/api/products/1"
            static = _STATIC.get((method, route))
            self.transport.write(static if static is not None else _response(*_answer(method, path)))


async def main(port: int, host: str) -> None:
    server = await asyncio.get_running_loop().create_server(Answer, host, port)
    await server.serve_forever()


def env_file_text(name: str, url: str) -> str:
    """An environments file naming this server as every URL of environment `name`."""
    return f"""[environments.{name}]
description = "benchmarks/fast_shop.py"
web_url = "{url}"
admin_url = "{url}"
api_url = "{url}"
payments_url = "{url}"
policy = "read-write"
allow_default_secrets = true

[environments.{name}.secrets]
token = "FAST_SHOP_TOKEN"

[environments.{name}.default_secrets]
token = "fast-shop-token"
"""


if __name__ == "__main__":
    port = int(sys.argv[1])
    if sys.argv[2:3] == ["--env-file"]:
        with open(sys.argv[3], "w") as handle:
            handle.write(env_file_text("fast", f"http://127.0.0.1:{port}"))
    asyncio.run(main(port, "127.0.0.1"))
