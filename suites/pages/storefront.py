"""The storefront as a shopper meets it: catalogue, product, cart, checkout, confirmation, account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import FrameLocator, Locator, Page

from fixtures.cards import Card


@dataclass
class Address:
    name: str = "Ada Tester"
    line1: str = "1 Test Street"
    city: str = "Springfield"
    postal_code: str = "12345"


class ProductPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.name = page.get_by_test_id("product-name")
        self.price = page.get_by_test_id("product-price")
        self.stock_state = page.get_by_test_id("stock-state")
        self.quantity = page.get_by_label("Quantity")
        self.add_button = page.get_by_test_id("add-to-cart")

    def open(self, product: dict[str, Any]) -> "ProductPage":
        self.page.goto(f"/products/{product['slug']}")
        return self

    def add_to_cart(self, quantity: int = 1) -> "CartPage":
        self.quantity.fill(str(quantity))
        self.add_button.click()
        self.page.wait_for_url("**/cart")
        return CartPage(self.page)


class CartPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.lines = page.get_by_test_id("cart-line")
        self.subtotal = page.get_by_test_id("subtotal")
        self.shipping = page.get_by_test_id("shipping")
        self.tax = page.get_by_test_id("tax")
        self.total = page.get_by_test_id("total")
        self.empty = page.get_by_test_id("cart-empty")
        self.checkout_link = page.get_by_test_id("go-to-checkout")

    def open(self) -> "CartPage":
        self.page.goto("/cart")
        return self

    def line(self, product: dict[str, Any]) -> Locator:
        return self.lines.and_(self.page.locator(f"[data-product-id='{product['id']}']"))

    def set_quantity(self, product: dict[str, Any], quantity: int) -> None:
        line = self.line(product)
        line.get_by_test_id("line-quantity").fill(str(quantity))
        line.get_by_test_id("update-line").click()
        self.page.wait_for_load_state()

    def remove(self, product: dict[str, Any]) -> None:
        self.line(product).get_by_test_id("remove-line").click()
        self.page.wait_for_load_state()

    def go_to_checkout(self) -> "CheckoutPage":
        self.checkout_link.click()
        self.page.wait_for_url("**/checkout")
        return CheckoutPage(self.page)


class CardFields:
    """The payment provider's hosted card fields: an iframe on the provider's origin, as on staging."""

    def __init__(self, page: Page) -> None:
        self.frame: FrameLocator = page.frame_locator("[data-testid=card-frame]")
        self.number = self.frame.get_by_test_id("card-number")
        self.expiry = self.frame.get_by_test_id("card-expiry")
        self.cvc = self.frame.get_by_test_id("card-cvc")

    def enter(self, card: Card, guard: Any) -> None:
        """Type a catalogue card; `guard` (the `cards` fixture) refuses any other before a keystroke."""
        self.number.fill(guard.guard(card.number))
        self.expiry.fill(card.expiry)
        self.cvc.fill(card.cvc)


class ChallengeModal:
    """The 3DS challenge: the provider's page in a modal over the checkout."""

    def __init__(self, page: Page) -> None:
        self.dialog = page.get_by_test_id("challenge-modal")
        self.frame = page.frame_locator("[data-testid=challenge-frame]")

    def complete(self) -> None:
        self.frame.get_by_role("button", name="Complete authentication").click()

    def fail(self) -> None:
        self.frame.get_by_role("button", name="Fail authentication").click()


class CheckoutPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.email = page.get_by_label("Email")
        self.card = CardFields(page)
        self.challenge = ChallengeModal(page)
        self.pay_button = page.get_by_test_id("pay-button")
        self.error = page.get_by_test_id("payment-error")
        self.status = page.get_by_test_id("payment-status")
        self.express = page.get_by_test_id("shipping-express")

    def open(self) -> "CheckoutPage":
        self.page.goto("/checkout")
        return self

    def fill_details(self, email: str | None, address: Address | None = None) -> None:
        address = address or Address()
        if email is not None:
            self.email.fill(email)
        for testid, value in (("name", address.name), ("line1", address.line1), ("city", address.city),
                              ("postal-code", address.postal_code)):
            self.page.get_by_test_id(testid).fill(value)

    def pay(self, card: Card, guard: Any) -> None:
        self.card.enter(card, guard)
        self.pay_button.click()

    def wait_for_confirmation(self) -> "ConfirmationPage":
        self.page.wait_for_url("**/orders/*/confirmation")
        return ConfirmationPage(self.page)


class ConfirmationPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = page.get_by_test_id("order-confirmation")
        self.number = page.get_by_test_id("order-number")
        self.total = page.get_by_test_id("order-total")
        self.status = page.get_by_test_id("order-status")

    def order_id(self) -> str:
        return self.root.get_attribute("data-order-id") or ""


class AccountPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.email = page.get_by_test_id("account-email")
        self.orders = page.get_by_test_id("order-row")

    def open(self) -> "AccountPage":
        self.page.goto("/account")
        return self

    def order(self, number: str) -> Locator:
        return self.page.locator(f"[data-testid=order-row][data-order-number='{number}']")

    def order_status(self, number: str) -> Locator:
        """The order's status badge; its `data-status` is the API's status."""
        return self.order(number).get_by_test_id("order-status")

    def order_refunded(self, number: str) -> Locator:
        return self.order(number).get_by_test_id("order-refunded")
