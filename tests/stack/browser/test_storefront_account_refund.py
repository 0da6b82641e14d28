"""A customer signs up, signs in, buys; staff refunds part of it; the account page shows it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from tests.stack.browser.storefront_steps import Shop, add_to_cart, fill_checkout, pay_with, sign_in_staff

PASSWORD = "correct-horse-42"


def test_customer_order_appears_in_account_and_shows_the_staff_refund(page: Page, browser: Browser, shop: Shop) -> None:
    email = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    # Step 1 — sign up, sign out, sign in again.
    page.goto(f"{shop.web}/account/sign-up")
    page.get_by_label("Full name").fill("Casey Customer")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.get_by_test_id("sign-up-submit").click()
    expect(page.get_by_test_id("no-orders")).to_be_visible()
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("nav-sign-in")).to_be_visible()
    page.get_by_test_id("nav-sign-in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("account-email")).to_contain_text(email)
    # Step 2 — buy as the signed-in customer (email comes from the account).
    add_to_cart(page, shop, shop.in_stock_product())
    fill_checkout(page, shop, email=None)
    expect(page.get_by_label("Email")).to_have_value(email)
    pay_with(page, "visa")
    number = page.get_by_test_id("order-number").text_content()
    # Step 3 — the account lists the order as paid.
    page.goto(f"{shop.web}/account")
    row = page.locator(f"[data-testid=order-row][data-order-number='{number}']")
    expect(row.get_by_test_id("order-status")).to_have_attribute("data-status", re.compile("paid|fulfilled"))
    # Step 4 — staff finds it by number and refunds $1.00 of it, with a reason.
    staff = browser.new_context().new_page()
    sign_in_staff(staff, shop)
    staff.get_by_test_id("order-search").fill(number)
    staff.get_by_test_id("order-search-submit").click()
    expect(staff.get_by_test_id("order-row")).to_have_count(1)
    staff.get_by_test_id("order-link").click()
    staff.get_by_test_id("refund-amount").fill("1.00")
    staff.get_by_test_id("refund-reason").select_option("requested_by_customer")
    staff.get_by_test_id("refund-submit").click()
    expect(staff.get_by_test_id("flash-success")).to_have_text("Refunded $1.00.")
    expect(staff.get_by_test_id("refund-row")).to_have_count(1)
    staff.context.close()
    # Step 5 — the customer's account shows the partial refund.
    page.reload()
    expect(row.get_by_test_id("order-status")).to_have_attribute("data-status", "partially_refunded")
    expect(row.get_by_test_id("order-refunded")).to_have_text("$1.00")
