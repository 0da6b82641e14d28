"""`checkout_flow`: the staging k6 flow — browse → add to cart → checkout → pay with the
catalogue's success card → order confirmed (paid by the provider's webhook); a sample of the
confirmed orders is held to the core's cross-resource invariants (a broken one fails the check)."""

from __future__ import annotations

import itertools

from locust import between, task

from shopflow_qa.core import invariants
from shopflow_qa.loadtests import catalogue
from shopflow_qa.loadtests.common import ShopFlowUser
from shopflow_qa.loadtests.run import RUN
from shopflow_qa.loadtests.shapes_locust import ShopFlowShape

CONFIRMED = ("paid", "fulfilled")
INVARIANT_SAMPLE = 10  # every 10th confirmed order (the first included) is checked against the invariants
_confirmed = itertools.count()


class CheckoutUser(ShopFlowUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        super().on_start()
        self.items = catalogue.buyable(self.run_flow(lambda: catalogue.products(self.shop, self.host or "")) or [])

    @task
    def checkout(self) -> None:
        if not self.items:
            self.run_flow(self.shop.browse)
            return
        self.run_flow(self._flow, checkout=True)

    def _flow(self) -> dict:
        self.shop.browse()
        product = catalogue.pick(self.items)
        email = self.customers.guest_email()
        paid = self.shop.buy(product["id"], email, self.shop.cards.success)
        order = self.shop.wait_for_order(paid["order"]["id"], CONFIRMED, timeout_s=15.0, interval_s=0.25)
        if order["status"] not in CONFIRMED:
            raise_unconfirmed(order)
        if next(_confirmed) % INVARIANT_SAMPLE == 0 and RUN.plan is not None:
            currency = RUN.plan.environment.currency
            payment = {f"payment {paid['payment'].get('id')}": paid["payment"]}
            invariants.require(invariants.currency(currency, payment) + invariants.check_order(currency, order))
        return order


def raise_unconfirmed(order: dict) -> None:
    from shopflow_qa.core.flows import FlowError

    class _Status:
        status_code = 200

        @staticmethod
        def json() -> dict:
            return {"error": {"code": "not_confirmed", "message": f"order {order['id']} is {order['status']}"}}

    raise FlowError("order confirmed", _Status(), 200)


__all__ = ["ShopFlowShape"]
