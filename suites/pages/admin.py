"""The admin host as staff meet it: sign in, find an order, refund it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


class AdminOrders:
    def __init__(self, page: Page, admin_url: str) -> None:
        self.page = page
        self.admin_url = admin_url.rstrip("/")
        self.search = page.get_by_test_id("order-search")
        self.search_submit = page.get_by_test_id("order-search-submit")
        self.rows = page.get_by_test_id("order-row")

    def sign_in(self, user: str, password: str) -> None:
        self.page.goto(f"{self.admin_url}/sign-in")
        self.page.get_by_label("Email").fill(user)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_test_id("sign-in-submit").click()
        self.page.wait_for_url(f"{self.admin_url}/orders**")

    def find(self, number: str) -> None:
        self.search.fill(number)
        self.search_submit.click()
        self.page.wait_for_load_state()

    def open_first(self) -> "AdminOrder":
        self.rows.first.get_by_test_id("order-link").click()
        self.page.wait_for_url(f"{self.admin_url}/orders/*")
        return AdminOrder(self.page)


class AdminOrder:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.payments = page.get_by_test_id("payment-row")
        self.refunds = page.get_by_test_id("refund-row")
        self.refunded = page.get_by_test_id("order-refunded")
        self.amount = page.get_by_test_id("refund-amount")
        self.reason = page.get_by_test_id("refund-reason")
        self.submit = page.get_by_test_id("refund-submit")
        self.success = page.get_by_test_id("flash-success")
        self.error = page.get_by_test_id("flash-error")

    def refund(self, amount: str, reason: str = "requested_by_customer") -> None:
        """`amount` in dollars and cents ("12.50"); empty refunds all that is left. `reason` is
        one of the form's choices: requested_by_customer, duplicate, fraudulent, damaged."""
        self.amount.fill(amount)
        self.reason.select_option(reason)
        self.submit.click()
        self.page.wait_for_load_state()

    def refund_rows(self) -> Locator:
        return self.refunds
