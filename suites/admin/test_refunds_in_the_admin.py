"""Staff find an order by its number and refund it; the customer sees the refund."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from shopflow_qa.core import invariants
from shopflow_qa.fixtures.pages.admin import AdminOrders
from shopflow_qa.fixtures.pages.storefront import AccountPage

pytestmark = [pytest.mark.admin, pytest.mark.needs("admin_api")]


@pytest.fixture
def staff_page(new_context, shopflow_env) -> Page:
    """A browser context of its own, signed in to the admin host as the environment's staff user.
    Made through pytest-playwright's `new_context`, so a failure keeps its screenshot and trace
    too; the admin page objects use absolute admin URLs (the context's base URL is the storefront)."""
    page = new_context().new_page()
    AdminOrders(page, shopflow_env.url("admin")).sign_in(shopflow_env.secret("admin_user"), shopflow_env.secret("admin_password"))
    return page


def test_staff_refund_an_order_and_the_customer_sees_it(
    staff_page: Page, signed_in_page: Page, signed_in_customer, checkout_with, cards, api, shopflow_env
) -> None:
    checkout = checkout_with(signed_in_page, None)
    checkout.pay(cards.success, cards)
    confirmation = checkout.wait_for_confirmation()
    number = confirmation.number.inner_text()
    paid = api.wait_for_order(confirmation.order_id(), ("paid", "fulfilled"))

    orders = AdminOrders(staff_page, shopflow_env.url("admin"))
    orders.find(number)
    expect(orders.rows).to_have_count(1)
    order_page = orders.open_first()
    expect(order_page.payments).to_have_count(1)
    order_page.refund("", "requested_by_customer")  # empty amount = everything left
    expect(order_page.success).to_be_visible()
    expect(order_page.refund_rows(), "the refund must show in the order's payment history").to_have_count(1)
    after = api.get_order(paid["id"])
    assert after["refunded_amount"] == paid["total"], (
        f"refunded {after['refunded_amount']} of {paid['total']}: payments {after['payments']}, refunds {after['refunds']}"
    )
    expect(order_page.refunded).to_have_text(f"${paid['total'] / 100:,.2f}")
    invariants.require(invariants.check_order(shopflow_env.currency, after))  # what the journey left, read through the API

    account = AccountPage(signed_in_page).open()
    expect(account.order_status(number), "the customer's account must show the order refunded").to_have_attribute(
        "data-status", "refunded"
    )
    expect(account.order_refunded(number)).to_have_text(f"${paid['total'] / 100:,.2f}")
