"""Screenshots of the storefront (and admin) on a freshly seeded stack, taken headless.

Writes docs/screenshots/{home,product,cart,checkout,3ds-modal,confirmation,admin-order}.png,
which stack/README.md shows. Drives the same pages a tester meets: the card goes into the
payment sandbox's hosted fields, the 3DS challenge appears in the modal.

    .venv/bin/python benchmarks/screenshots.py
"""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from storefront_session import CARDS, SECRETS, first_product, fresh_stack  # this folder is on sys.path

from shopflow_qa.core.browser import find_chromium

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}


def shot(page: Page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"docs/screenshots/{name}.png")


def type_card(page: Page, card_key: str) -> None:
    card = page.frame_locator("[data-testid=card-frame]")
    card.get_by_test_id("card-number").fill(CARDS[card_key]["number"])
    card.get_by_test_id("card-expiry").fill("12 / 34")
    card.get_by_test_id("card-cvc").fill("123")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with fresh_stack("shots") as urls, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(find_chromium()))
        page = browser.new_page(viewport=VIEWPORT)
        expect.set_options(timeout=20_000)
        product = first_product(urls)
        page.goto(urls["web"])
        shot(page, "home")
        page.goto(f"{urls['web']}/products/{product['slug']}")
        shot(page, "product")
        page.get_by_label("Quantity").fill("2")
        page.get_by_test_id("add-to-cart").click()
        shot(page, "cart")
        page.get_by_test_id("go-to-checkout").click()
        page.get_by_label("Email").fill(f"shots-{uuid.uuid4().hex[:6]}@example.com")
        for testid, value in {
            "name": "Ada Tester",
            "line1": "1 Test Street",
            "city": "Springfield",
            "postal-code": "12345",
        }.items():
            page.get_by_test_id(testid).fill(value)
        type_card(page, "threeds_required")
        shot(page, "checkout")
        page.get_by_test_id("pay-button").click()
        expect(page.get_by_test_id("challenge-modal")).to_be_visible()
        challenge = page.frame_locator("[data-testid=challenge-frame]")
        expect(challenge.get_by_role("button", name="Complete authentication")).to_be_visible()
        shot(page, "3ds-modal", full_page=False)
        challenge.get_by_role("button", name="Complete authentication").click()
        expect(page.get_by_test_id("order-confirmation")).to_be_visible()
        expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
        order_id = page.get_by_test_id("order-confirmation").get_attribute("data-order-id")
        shot(page, "confirmation")
        admin = browser.new_page(viewport=VIEWPORT)
        admin.goto(f"{urls['admin']}/sign-in")
        admin.get_by_label("Email").fill(SECRETS["admin_user"])
        admin.get_by_label("Password").fill(SECRETS["admin_password"])
        admin.get_by_test_id("sign-in-submit").click()
        admin.goto(f"{urls['admin']}/orders/{order_id}")
        shot(admin, "admin-order")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
