"""`api_mix`: weighted API calls as a service client makes them (mostly reads, some carts and orders)."""

from __future__ import annotations

import random

from locust import between, task

from shopflow_qa.loadtests import catalogue
from shopflow_qa.loadtests.common import ShopFlowUser
from shopflow_qa.loadtests.shapes_locust import ShopFlowShape


class ApiMixUser(ShopFlowUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        super().on_start()
        self.items = self.run_flow(lambda: catalogue.products(self.shop, self.host or "")) or []
        self.buyable = catalogue.buyable(self.items)

    @task(6)
    def list_products(self) -> None:
        self.run_flow(lambda: self.shop.list_products(per_page=random.choice((10, 20, 50))))

    @task(5)
    def get_product(self) -> None:
        if self.items:
            self.run_flow(lambda: self.shop.get_product(random.choice(self.items)["id"]))

    @task(2)
    def categories(self) -> None:
        self.run_flow(self.shop.categories)

    @task(2)
    def cart(self) -> None:
        if self.buyable:
            self.run_flow(lambda: self.shop.fill_cart(catalogue.pick(self.buyable)["id"]))

    @task(1)
    def order(self) -> None:
        if self.buyable:
            email = self.customers.guest_email()
            self.run_flow(lambda: self.shop.checkout(catalogue.pick(self.buyable)["id"], email), checkout=True)


__all__ = ["ShopFlowShape"]
