"""The sandbox's hosted card fields and 3DS challenge in headless Chromium, framed by a page of
the storefront's origin exactly as the storefront frames them (the postMessage protocol of
shopflow_stack/payments/README.md), so the web side can be built against a tested contract.

The sandbox lets only the shop's own origins frame its pages (CSP frame-ancestors), so the
parent page is written into a document of the storefront's origin (its /health answer): a
page Playwright fulfils itself counts as a public address, and Chromium's local-network checks
would then refuse the 127.0.0.1 iframe.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from playwright.sync_api import Browser, Page, expect

from shopflow_stack.payments.keys import publishable_key_for

REPO = Path(__file__).resolve().parents[2]
CARDS = tomllib.loads((REPO / "data" / "cards.toml").read_text())["cards"]
PK = publishable_key_for("sk_test_local_sandbox")  # the documented local default's pair
EXPIRY = f"12 / {(time.gmtime().tm_year + 3) % 100:02d}"

PARENT_PAGE = """<!doctype html><html><head><title>parent</title></head><body>
<iframe id="frame" title="{title}" src="{src}" style="width:480px;height:320px"></iframe>
<script>
  window.messages = [];
  window.addEventListener("message", function (e) {{
    if (e.origin === "{payments}") {{ window.messages.push(e.data); }}
  }});
  window.submitCard = function () {{
    document.getElementById("frame").contentWindow.postMessage(
      {{type: "shopflow.elements.submit", request_id: 7}}, "{payments}");
  }};
</script></body></html>"""


@pytest.fixture(scope="module")
def payments_url(sqlite_stack) -> str:
    return sqlite_stack.urls["payments"]


@pytest.fixture(scope="module")
def browser_page(browser: Browser) -> Iterator[Page]:
    """A page of pytest-playwright's session browser (the plugin points it at our Chromium):
    a second sync_playwright() in the same process would clash with that one's event loop."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def parent(sqlite_stack, payments_url: str) -> dict[str, Any]:
    return {"origin": sqlite_stack.urls["web"], "payments": payments_url}


def _show_parent(page: Page, parent: dict[str, Any], title: str, src: str) -> None:
    """A page of the storefront's origin framing `src`, listening to the payments host."""
    page.goto(parent["origin"] + "/health")
    page.set_content(PARENT_PAGE.format(title=title, src=src, payments=parent["payments"]))


def _messages(page: Page, kind: str) -> list[dict[str, Any]]:
    return [m for m in page.evaluate("window.messages") if m.get("type") == kind]


def _wait_message(page: Page, kind: str) -> dict[str, Any]:
    page.wait_for_function(f"window.messages.some(m => m.type === '{kind}')")
    return _messages(page, kind)[-1]


def _open_card_fields(page: Page, parent: dict[str, Any], payments_url: str) -> Any:
    src = f"{payments_url}/elements/card?pk={PK}&parent_origin={parent['origin']}"
    _show_parent(page, parent, "Card details", src)
    _wait_message(page, "shopflow.elements.ready")
    return page.frame_locator("#frame")


def test_card_fields_turn_a_typed_card_into_a_payment_method(
    browser_page: Page, parent: dict[str, Any], payments_url: str
) -> None:
    frame = _open_card_fields(browser_page, parent, payments_url)
    frame.get_by_label("Card number").fill(CARDS["insufficient_funds"]["number"])
    frame.get_by_label("Expiry (MM / YY)").fill(EXPIRY)
    frame.get_by_test_id("card-cvc").fill("123")
    expect(frame.get_by_test_id("card-number")).to_have_value("4000 0000 0000 9995")
    browser_page.evaluate("window.submitCard()")
    result = _wait_message(browser_page, "shopflow.elements.result")
    assert result["payment_method"].startswith("pm_")
    assert result["card"] == {"brand": "visa", "last4": "9995"}
    assert result["request_id"] == 7
    # The shop then pays with that id through its secret key: the card declines as catalogued.
    client = stripe.StripeClient("sk_test_local_sandbox", base_addresses={"api": payments_url}, max_network_retries=0)
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "confirm": True, "payment_method": result["payment_method"]}
        )
    assert caught.value.error.decline_code == "insufficient_funds"


def test_card_fields_report_errors_in_words(browser_page: Page, parent: dict[str, Any], payments_url: str) -> None:
    frame = _open_card_fields(browser_page, parent, payments_url)
    browser_page.evaluate("window.submitCard()")
    result = _wait_message(browser_page, "shopflow.elements.result")
    assert result["error"]["code"] == "incomplete_number"
    expect(frame.get_by_role("alert")).to_have_text("Your card number is incomplete.")
    browser_page.evaluate("window.messages = []")
    frame.get_by_label("Card number").fill("4111 1111 1111 1111")  # real-looking, not a test card
    frame.get_by_label("Expiry (MM / YY)").fill(EXPIRY)
    frame.get_by_label("CVC").fill("123")
    browser_page.evaluate("window.submitCard()")
    result = _wait_message(browser_page, "shopflow.elements.result")
    assert (result["error"]["code"], result["error"]["decline_code"]) == ("card_declined", "test_mode_live_card")


@pytest.mark.parametrize(("button", "status"), [("Complete authentication", "succeeded"), ("Fail authentication", "failed")])
def test_framed_3ds_challenge_posts_its_result_to_the_parent(
    browser_page: Page, parent: dict[str, Any], payments_url: str, button: str, status: str
) -> None:
    client = stripe.StripeClient("sk_test_local_sandbox", base_addresses={"api": payments_url}, max_network_retries=0)
    pi = client.v1.payment_intents.create(
        params={
            "amount": 5400,
            "currency": "usd",
            "confirm": True,
            "return_url": parent["origin"] + "/return",
            "payment_method": CARDS["threeds_required"]["payment_method"],
        }
    )
    _show_parent(browser_page, parent, "3D Secure", pi.next_action.redirect_to_url.url)
    frame = browser_page.frame_locator("#frame")
    expect(frame.get_by_test_id("3ds-amount")).to_have_text("54.00 USD")
    frame.get_by_role("button", name=button).click()
    result = _wait_message(browser_page, "shopflow.3ds.result")
    assert result == {"type": "shopflow.3ds.result", "payment_intent": pi.id, "status": status}
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == ("succeeded" if status == "succeeded" else "requires_payment_method")


def test_top_level_3ds_challenge_returns_to_the_shop(browser_page: Page, parent: dict[str, Any], payments_url: str) -> None:
    client = stripe.StripeClient("sk_test_local_sandbox", base_addresses={"api": payments_url}, max_network_retries=0)
    pi = client.v1.payment_intents.create(
        params={
            "amount": 900,
            "currency": "usd",
            "confirm": True,
            "return_url": parent["origin"] + "/return",
            "payment_method": CARDS["threeds2_required"]["payment_method"],
        }
    )
    browser_page.goto(pi.next_action.redirect_to_url.url)
    browser_page.get_by_role("button", name="Complete authentication").click()
    browser_page.wait_for_url(f"{parent['origin']}/return?payment_intent={pi.id}*redirect_status=succeeded")
