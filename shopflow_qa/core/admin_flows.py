"""The admin API's operations (refunds, order and customer search, test runs, mailbox, seed)
over the same Transport as the storefront's flows."""

from __future__ import annotations

from typing import Any

from shopflow_qa.core.flows import Shop, expect, quote_part


class Admin(Shop):
    """The admin API's operations (admin token): refunds, orders, test runs, mailbox, seed."""

    def raw_refund(
        self, order_id: Any, amount: int | None = None, reason: str = "requested_by_customer", idempotency_key: str | None = None
    ) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._call(
            "POST",
            f"/api/admin/orders/{order_id}/refunds",
            json={"amount": amount, "reason": reason},
            headers=headers,
            name="/api/admin/orders/[id]/refunds",
        )

    def refund(self, order_id: Any, amount: int | None = None, reason: str = "requested_by_customer") -> dict[str, Any]:
        """The refund (201): `amount` in cents (None: all that is left); reason one of requested_by_customer, duplicate, fraudulent, damaged."""
        return expect("refund", self.raw_refund(order_id, amount, reason), 201)

    def admin_order(self, order_id: Any) -> dict[str, Any]:
        """The order as staff see it: payments, refunds, `refunded_amount`."""
        return expect("admin get order", self._call("GET", f"/api/admin/orders/{order_id}", name="/api/admin/orders/[id]"))

    def search_orders(self, q: str = "", status: str = "") -> dict[str, Any]:
        """Orders whose number or e-mail contains `q` (case-insensitive), optionally of one `status`."""
        return expect(
            "search orders",
            self._call("GET", f"/api/admin/orders?q={quote_part(q)}&status={quote_part(status)}", name="/api/admin/orders"),
        )

    def search_customers(self, q: str) -> list[dict[str, Any]]:
        """Customers whose e-mail or name contains `q` (case-insensitive)."""
        return expect(
            "search customers", self._call("GET", f"/api/admin/customers?q={quote_part(q)}", name="/api/admin/customers")
        )["items"]

    def raw_delete_customer(self, customer_id: Any) -> Any:
        return self._call("DELETE", f"/api/admin/customers/{customer_id}", name="/api/admin/customers/[id]")

    def delete_customer(self, customer_id: Any) -> None:
        """Delete the customer with their carts and orders (204)."""
        expect("delete customer", self.raw_delete_customer(customer_id), 204)

    def test_run(self, tag: str) -> dict[str, Any]:
        """Counts of what the run tagged: `{"tag", "customers", "carts", "orders"}`."""
        return expect("test-run counts", self._call("GET", f"/api/admin/test-runs/{tag}", name="/api/admin/test-runs/[tag]"))

    def purge_test_run(self, tag: str) -> dict[str, Any]:
        """Delete everything tagged with the run id `tag`; returns the counts deleted."""
        return expect("purge test run", self._call("DELETE", f"/api/admin/test-runs/{tag}", name="/api/admin/test-runs/[tag]"))

    def mailbox(self, recipient: str) -> list[dict[str, Any]]:
        """The e-mails the worker sent to `recipient` (matched case-insensitively), oldest first."""
        return expect(
            "mailbox", self._call("GET", f"/api/admin/mailbox?recipient={quote_part(recipient)}", name="/api/admin/mailbox")
        )["items"]

    def seed(self, only: str | None = None) -> dict[str, Any]:
        """Re-seed the catalogue (`only`: one part of it)."""
        return expect("seed", self._call("POST", "/api/admin/seed", json={"only": only}))
