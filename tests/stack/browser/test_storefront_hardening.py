"""The attacks the stack's protections exist for, made by a real browser from a page served on
another 127.0.0.1 port — same-site to the shop (ports do not count), so SameSite cookies still
go with its requests. Each test fails on a stack without the protection.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shopflow_stack.payments.keys import publishable_key_for
from tests.stack.browser.storefront_steps import Shop, sign_in_staff

PK = publishable_key_for("sk_test_local_sandbox")  # the documented local default's pair
AUTO_SUBMIT_REFUND = """<!doctype html><title>You won a prize</title>
<form id="f" method="post" action="{admin}/orders/{order_id}/refunds">
  <input name="amount" value=""><input name="reason" value="fraudulent">
</form><script>document.getElementById("f").submit();</script>"""
FRAMES = """<!doctype html><title>Framing</title>
<iframe id="shop" src="{web}/"></iframe>
<iframe id="card" src="{payments}/elements/card?pk={pk}&parent_origin={me}"></iframe>"""


@pytest.fixture
def attacker() -> Iterator[tuple[str, Callable[[str], None]]]:
    """A page server on another port of 127.0.0.1: (its origin, set the HTML it serves)."""
    served = {"html": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", lambda html: served.update(html=html)
    server.shutdown()


def paid_order(shop: Shop) -> dict[str, Any]:
    """An order paid through the API (card pm_card_visa), once the provider's webhook settled it."""
    cart = shop.api.post("/api/carts").json()
    shop.api.post(f"/api/carts/{cart['id']}/lines", json={"product_id": shop.in_stock_product()["id"], "quantity": 1})
    address = {"name": "Ada Tester", "line1": "1 Test Street", "city": "Springfield", "postal_code": "12345", "country": "US"}
    order = shop.api.post(
        "/api/orders", json={"cart_id": cart["id"], "email": "victim@example.test", "shipping_address": address}
    )
    order_id = order.json()["id"]
    shop.api.post(f"/api/orders/{order_id}/pay", json={"payment_method": "pm_card_visa"}).raise_for_status()
    deadline = time.monotonic() + 15
    while shop.order(order_id)["status"] not in ("paid", "fulfilled") and time.monotonic() < deadline:
        time.sleep(0.2)
    return shop.order(order_id)


def test_a_page_on_another_port_cannot_refund_with_the_staffs_cookie(page: Page, shop: Shop, attacker) -> None:
    order = paid_order(shop)
    assert order["status"] in ("paid", "fulfilled") and order["paid_amount"] > 0
    # Step 1 — a member of staff is signed in to the admin in this browser.
    sign_in_staff(page, shop)
    expect(page.get_by_test_id("nav-orders")).to_be_visible()
    # Step 2 — they open a page on another port that posts the refund form by itself.
    origin, serve = attacker
    serve(AUTO_SUBMIT_REFUND.format(admin=shop.admin, order_id=order["id"]))
    page.goto(origin)
    # Step 3 — the admin refuses it with a page that says what happened; nothing is refunded.
    expect(page.get_by_test_id("error-page")).to_have_attribute("data-status", "403")
    expect(page.get_by_role("heading")).to_have_text("This form has expired")
    after = shop.order(order["id"])
    assert (after["refunded_amount"], after["refunds"]) == (0, [])
    assert after["status"] in ("paid", "fulfilled")


def test_only_the_storefront_may_frame_the_card_fields_and_nobody_the_storefront(
    page: Page, shop: Shop, sqlite_stack, attacker, csp_refusals: list[str]
) -> None:
    origin, serve = attacker
    # Before, the card fields let any parent_origin frame them and post it the card's result.
    serve(FRAMES.format(web=shop.web, payments=sqlite_stack.urls["payments"], pk=PK, me=origin))
    page.goto(origin)
    page.wait_for_load_state("load")
    framed = [frame.url for frame in page.frames[1:]]
    assert len(framed) == 2, framed
    # Chromium shows its own error document where a frame was refused, and says why.
    assert all(url.startswith("chrome-error://") for url in framed), framed
    assert sorted(m.split("'")[1] for m in csp_refusals) == sorted([shop.web + "/", sqlite_stack.urls["payments"] + "/"])
    assert all("frame-ancestors" in m for m in csp_refusals), csp_refusals
    csp_refusals.clear()
