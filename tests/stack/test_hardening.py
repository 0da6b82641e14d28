"""The local stack hardened as a real shop (stack/README.md, "Protections"), over HTTP against
the shared running stack: CSRF tokens, the request-body limit, `return_url` on the shop's own
origins, security headers. Each test fails on a stack without its protection.

The browser's side of the same attacks is in browser/test_storefront_hardening.py.
"""

from __future__ import annotations

import re
import select
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import stripe

from shopflow_qa.core.environment import load_environments
from shopflow_stack.payments.keys import publishable_key_for
from tests.stack.core_api import ADMIN, CoreApi, error_code

SECRETS = load_environments()["local"].default_secrets
FOREIGN = "http://127.0.0.1:9"  # another port of the same host: same-site to the shop, not same-origin
MIB = 1024 * 1024
BIG = 200 * MIB
EXPIRED = "This form has expired"


@pytest.fixture(scope="module")
def urls(sqlite_stack) -> dict[str, str]:
    return sqlite_stack.urls


@pytest.fixture(scope="module")
def api(urls: dict[str, str]) -> CoreApi:
    return CoreApi(urls["api"])


@pytest.fixture(scope="module")
def admin_api(urls: dict[str, str]) -> CoreApi:
    return CoreApi(urls["api"], ADMIN)


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no csrf_token field on {page.request.url}"
    return found.group(1)


def staff_session(urls: dict[str, str]) -> httpx.Client:
    """A member of staff signed in through the real form (token and all)."""
    staff = httpx.Client(base_url=urls["admin"], timeout=15)
    token = form_token(staff.get("/sign-in"))
    signed_in = staff.post(
        "/sign-in", data={"email": SECRETS["admin_user"], "password": SECRETS["admin_password"], "csrf_token": token}
    )
    assert signed_in.status_code == 303, signed_in.text[:300]
    return staff


def unpaid_order(api: CoreApi) -> dict[str, Any]:
    cart = api.cart_with(api.product_with_stock(20)["id"])
    return api.ok(api.order(cart["id"]), 201)


def paid_order(api: CoreApi, admin_api: CoreApi) -> dict[str, Any]:
    order = unpaid_order(api)
    api.ok(api.http.post(f"/api/orders/{order['id']}/pay", json={"payment_method": "pm_card_visa"}))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        order = admin_api.ok(admin_api.http.get(f"/api/admin/orders/{order['id']}"))
        if order["status"] in ("paid", "fulfilled"):
            return order
        time.sleep(0.2)
    raise AssertionError(f"order {order['id']} never became paid: {order['status']}")


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_refund_posted_without_the_form_token_is_refused_and_refunds_nothing(
    urls: dict[str, str], api: CoreApi, admin_api: CoreApi
) -> None:
    order = paid_order(api, admin_api)
    staff = staff_session(urls)
    refund = f"/orders/{order['id']}/refunds"
    # What a page on another port sends with the staff's cookie: no token, or a made-up one.
    for token in (None, "x" * 43):
        data = {"amount": "", "reason": "fraudulent", **({"csrf_token": token} if token else {})}
        attack = staff.post(refund, data=data, headers={"Origin": FOREIGN})
        assert attack.status_code == 403, attack.text[:300]
        assert EXPIRED in attack.text and 'data-status="403"' in attack.text
    after = admin_api.ok(admin_api.http.get(f"/api/admin/orders/{order['id']}"))
    assert (after["refunded_amount"], after["refunds"]) == (0, [])
    # The admin's own form (its token) still refunds.
    token = form_token(staff.get(f"/orders/{order['id']}"))
    own = staff.post(refund, data={"amount": "1.00", "reason": "requested_by_customer", "csrf_token": token})
    assert own.status_code == 303
    assert admin_api.ok(admin_api.http.get(f"/api/admin/orders/{order['id']}"))["refunded_amount"] == 100


def test_sign_in_forms_need_the_token_too(urls: dict[str, str]) -> None:
    """Login CSRF: another site must not sign a browser in to an account of its choosing."""
    staff = httpx.Client(base_url=urls["admin"], timeout=15)
    staff.get("/sign-in")
    refused = staff.post("/sign-in", data={"email": SECRETS["admin_user"], "password": SECRETS["admin_password"]})
    assert refused.status_code == 403 and EXPIRED in refused.text
    assert staff.get("/orders").status_code == 303  # still not signed in: back to /sign-in
    shopper = httpx.Client(base_url=urls["web"], timeout=15)
    shopper.get("/account/sign-in")
    refused = shopper.post("/account/sign-in", data={"email": "demo@shopflow.local", "password": "demo-password-1"})
    assert refused.status_code == 403 and EXPIRED in refused.text
    assert shopper.get("/account").status_code == 303  # not signed in


def test_storefront_forms_and_the_checkout_script_need_the_session_token(urls: dict[str, str], api: CoreApi) -> None:
    product = api.product_with_stock(20)
    shopper = httpx.Client(base_url=urls["web"], timeout=15)
    add = {"product_id": str(product["id"]), "quantity": "1", "slug": product["slug"]}
    assert shopper.post("/cart/lines", data=add).status_code == 403  # no session yet
    page = shopper.get(f"/products/{product['slug']}")
    assert shopper.post("/cart/lines", data=add).status_code == 403  # a session, no token
    assert 'data-testid="cart-empty"' in shopper.get("/cart").text
    added = shopper.post("/cart/lines", data={**add, "csrf_token": form_token(page)})
    assert added.status_code == 303, added.text[:300]
    assert 'data-testid="cart-line"' in shopper.get("/cart").text
    # The checkout script's JSON posts carry the token as X-CSRF-Token.
    headers = {"Accept": "application/json"}
    refused = shopper.post("/checkout/api/pay", json={}, headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf_failed")
    accepted = shopper.post("/checkout/api/pay", json={}, headers={**headers, "X-CSRF-Token": form_token(page)})
    assert accepted.status_code == 422  # past the token: the empty form is what is wrong now


# --- the request-body limit ---------------------------------------------------------------------


def raw_post(
    url: str, path: str, headers: dict[str, str], body_bytes: int, *, chunked: bool, chunk: int = 64 * 1024
) -> tuple[int, int, float]:
    """POST over a raw socket, sending up to `body_bytes` but stopping as soon as the server
    answers; (status, bytes sent, seconds until the answer). Sends no terminating chunk, so a
    server that waits for the whole body never answers (the socket times out: status 0)."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": parts.netloc, **headers}.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode())
        sock.setblocking(False)
        sent, pending, data = 0, b"", b"x" * chunk
        while sent < body_bytes and time.monotonic() - started < 30:
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                break
            if writable:
                pending = pending or (f"{chunk:x}\r\n".encode() + data + b"\r\n" if chunked else data)
                try:
                    sent_now = sock.send(pending)
                except BlockingIOError:
                    continue
                except OSError:
                    break
                pending, sent = pending[sent_now:], sent + sent_now
        sock.setblocking(True)
        sock.settimeout(5)
        try:
            answer = sock.recv(200)
        except OSError:
            answer = b""
    match = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    return (int(match.group(1)) if match else 0), sent, time.monotonic() - started


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_200_mb_streamed_body_is_cut_off_at_the_limit_and_the_api_stays_small(sqlite_stack, urls: dict[str, str]) -> None:
    pid = sqlite_stack.state.pids["api"]
    before = rss_mib(pid)
    headers = {"Authorization": "Bearer local-service-token", "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    status, sent, _ = raw_post(urls["api"], "/api/orders", headers, BIG, chunked=True)
    assert status == 413
    assert sent < 50 * MIB, f"the API kept reading: {sent / MIB:.0f} MiB sent"
    assert rss_mib(pid) - before < 50, f"API memory went {before:.0f} → {rss_mib(pid):.0f} MiB"
    assert api_answers(urls["api"])  # and it still serves


def api_answers(url: str) -> bool:
    return httpx.get(f"{url}/health", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("service", "path"),
    [("api", "/api/orders"), ("web", "/cart/lines"), ("admin", "/sign-in"), ("payments", "/v1/payment_intents")],
)
def test_a_declared_body_over_the_limit_is_refused_before_a_byte_is_read(urls: dict[str, str], service: str, path: str) -> None:
    headers = {
        "Content-Length": str(BIG),
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "Bearer local-service-token",
    }
    status, _, took = raw_post(urls[service], path, headers, 0, chunked=False)  # not one byte of it sent
    assert (status, took < 2) == (413, True), (status, took)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_a_strangers_body_is_not_read_before_the_401(urls: dict[str, str], authorization: str | None) -> None:
    headers = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        **({"Authorization": authorization} if authorization else {}),
    }
    # One chunk of a body that never ends: only a server that did not wait for it can answer.
    status, sent, took = raw_post(urls["api"], "/api/orders", headers, 1, chunked=True)
    assert (status, took < 2) == (401, True), (status, sent, took)


# --- return_url ---------------------------------------------------------------------------------

FOREIGN_RETURN_URLS = [
    "https://evil.example/return",
    f"{FOREIGN}/return",  # same host, another port
    "http://evil.example\\@127.0.0.1:{port}/return",  # a browser goes to evil.example
    "http://127.0.0.1:{port}@evil.example/return",  # user info: the host is evil.example
    "//evil.example/return",
    "javascript:alert(1)",
    "http://127.0.0.1:{port}.evil.example/return",
]


def test_pay_refuses_a_return_url_off_the_shop_and_charges_nothing(
    urls: dict[str, str], api: CoreApi, admin_api: CoreApi
) -> None:
    port = urlsplit(urls["web"]).port
    order = unpaid_order(api)
    for url in FOREIGN_RETURN_URLS:
        response = api.http.post(
            f"/api/orders/{order['id']}/pay", json={"payment_method": "pm_card_visa", "return_url": url.format(port=port)}
        )
        assert (response.status_code, error_code(response)) == (400, "invalid_return_url"), url
    assert admin_api.ok(admin_api.http.get(f"/api/admin/orders/{order['id']}"))["payments"] == []
    own = api.http.post(
        f"/api/orders/{order['id']}/pay",
        json={"payment_method": "pm_card_visa", "return_url": f"{urls['web']}/checkout/complete?order=1"},
    )
    assert own.status_code == 200, own.text[:300]


def test_the_sandbox_refuses_a_foreign_return_url_and_parent_origin(urls: dict[str, str]) -> None:
    client = stripe.StripeClient(SECRETS["payments_key"], base_addresses={"api": urls["payments"]}, max_network_retries=0)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(
            params={
                "amount": 500,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_threeDSecure2Required",
                "return_url": f"{FOREIGN}/return",
            }
        )
    assert (caught.value.http_status, caught.value.param) == (400, "return_url")
    card = httpx.get(
        f"{urls['payments']}/elements/card", params={"pk": publishable_key_for(SECRETS["payments_key"]), "parent_origin": FOREIGN}
    )
    assert card.status_code == 400


def test_a_3ds_challenge_cannot_be_answered_from_another_origin(urls: dict[str, str]) -> None:
    client = stripe.StripeClient(SECRETS["payments_key"], base_addresses={"api": urls["payments"]}, max_network_retries=0)
    pi = client.v1.payment_intents.create(
        params={
            "amount": 700,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_threeDSecure2Required",
            "return_url": f"{urls['web']}/checkout/complete?order=1",
        }
    )
    answer = f"{urls['payments']}/3ds/{pi.id}/complete"
    refused = httpx.post(answer, headers={"Origin": FOREIGN})
    assert refused.status_code == 403
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_action"
    assert httpx.post(answer, headers={"Origin": urls["payments"], "Accept": "application/json"}).status_code == 200


# --- security headers ---------------------------------------------------------------------------


def test_every_html_page_has_its_policy_and_embeddable_pages_only_the_storefront(urls: dict[str, str]) -> None:
    staff = staff_session(urls)
    pages = [httpx.get(f"{urls['web']}{path}") for path in ("/", "/products", "/cart", "/account/sign-in")]
    pages += [staff.get("/orders"), httpx.get(f"{urls['admin']}/sign-in")]
    for page in pages:
        assert page.headers["content-type"].startswith("text/html"), page.request.url
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, (page.request.url, csp)
        assert page.headers["x-frame-options"] == "DENY"
    card = httpx.get(
        f"{urls['payments']}/elements/card",
        params={"pk": publishable_key_for(SECRETS["payments_key"]), "parent_origin": urls["web"]},
    )
    port = urlsplit(urls["web"]).port
    assert card.status_code == 200
    assert card.headers["content-security-policy"].endswith(f"frame-ancestors {urls['web']} http://localhost:{port}")
    assert "x-frame-options" not in card.headers  # it would forbid the storefront too
    nonce = re.search(r"script-src 'nonce-([^']+)'", card.headers["content-security-policy"]).group(1)
    assert f'<script nonce="{nonce}">' in card.text
    for response in [
        *pages,
        card,
        httpx.get(f"{urls['api']}/api/products", headers={"Authorization": "Bearer local-service-token"}),
    ]:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


def test_hsts_is_never_sent_over_plain_http_even_when_a_client_claims_https(urls: dict[str, str]) -> None:
    """uvicorn believes X-Forwarded-Proto from 127.0.0.1 by default; the stack only from the
    proxies its settings name, so no local page can pin a laptop's browser to HTTPS."""
    for service in ("web", "admin", "api", "payments"):
        response = httpx.get(f"{urls[service]}/health", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in response.headers, service
