"""Server time per storefront and admin page on a freshly seeded local stack.

Each page is fetched N times (after one warm-up) over loopback by a client that keeps its
session cookie; the time from request to full response is the page's server time (API calls
included, browser rendering not). Writes benchmarks/results/page_times.md. Target: every
page under 300 ms at the median and p95.

    .venv/bin/python benchmarks/page_times.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from storefront_session import (  # this folder is on sys.path
    fresh_stack,
    pay_cart,
    shopper_with_cart,
    signed_in_staff,
    with_csrf_token,
)

RESULTS = Path(__file__).resolve().parent / "results" / "page_times.md"
TARGET_MS = 300.0


def measure(client: httpx.Client, path: str, repeat: int) -> list[float]:
    client.get(path).raise_for_status()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rows = []
    with fresh_stack("bench-pages") as urls:
        guest, product = shopper_with_cart(urls)
        buyer, _ = shopper_with_cart(urls)
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        paid = pay_cart(buyer, urls, email)
        time.sleep(1.0)  # let the webhook settle the order
        customer = with_csrf_token(httpx.Client(base_url=urls["web"], timeout=30, follow_redirects=True), "/account/sign-up")
        customer.post(
            "/account/sign-up", data={"name": "Bench Customer", "email": f"c-{email}", "password": "bench-password-1"}
        ).raise_for_status()
        staff = signed_in_staff(urls)
        pages = [
            ("web", "home", guest, "/"),
            ("web", "product list", guest, "/products"),
            ("web", "product list, category", guest, f"/products?category={product['category']}"),
            ("web", "product list, search", guest, f"/products?q={product['name'].split()[0]}"),
            ("web", "product page", guest, f"/products/{product['slug']}"),
            ("web", "cart", guest, "/cart"),
            ("web", "checkout", guest, "/checkout"),
            ("web", "order confirmation", buyer, paid["confirmation_url"]),
            ("web", "sign-in", guest, "/account/sign-in"),
            ("web", "account", customer, "/account"),
            ("admin", "orders", staff, "/orders"),
            ("admin", "orders, search", staff, f"/orders?q={email}"),
            ("admin", "order detail", staff, f"/orders/{paid['order_id']}"),
        ]
        for host, name, client, path in pages:
            times = measure(client, path, args.repeat)
            rows.append((host, name, statistics.median(times), statistics.quantiles(times, n=20)[18], max(times)))
    worst = max(r[3] for r in rows)
    lines = [
        "# Server time per page (storefront and admin)",
        "",
        f"Written by `benchmarks/page_times.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{args.repeat} requests per page after a warm-up, over loopback, on a freshly seeded SQLite stack "
        f"({platform.node()}, Python {platform.python_version()}). Target: under {TARGET_MS:.0f} ms per page.",
        "",
        "| host | page | median ms | p95 ms | max ms |",
        "|---|---|---:|---:|---:|",
        *(f"| {h} | {n} | {m:.1f} | {p:.1f} | {x:.1f} |" for h, n, m, p, x in rows),
        "",
        f"Worst p95: {worst:.1f} ms — {'within' if worst < TARGET_MS else 'ABOVE'} the {TARGET_MS:.0f} ms target.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
