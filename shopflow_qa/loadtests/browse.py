"""`browse`: anonymous shoppers (service token) — listing, categories, search, product pages."""

from __future__ import annotations

import random

from locust import between, task

from shopflow_qa.loadtests import catalogue
from shopflow_qa.loadtests.common import ShopFlowUser
from shopflow_qa.loadtests.shapes_locust import ShopFlowShape

SEARCH_WORDS = ("mug", "coffee", "tea", "bag", "lamp", "desk", "book")


class BrowseUser(ShopFlowUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        super().on_start()
        self.items = self.run_flow(lambda: catalogue.products(self.shop, self.host or "")) or []

    @task(4)
    def listing(self) -> None:
        self.run_flow(lambda: self.shop.list_products(page=random.randint(1, 3), per_page=20))

    @task(2)
    def category(self) -> None:
        def flow() -> None:
            categories = self.shop.categories()
            if categories:
                self.shop.list_products(category=random.choice(categories)["slug"])

        self.run_flow(flow)

    @task(2)
    def search(self) -> None:
        self.run_flow(lambda: self.shop.list_products(q=random.choice(SEARCH_WORDS)))

    @task(4)
    def product_page(self) -> None:
        if not self.items:
            self.run_flow(self.shop.browse)
            return
        product = random.choice(self.items)
        if random.random() < 0.5:
            self.run_flow(lambda: self.shop.get_product(product["id"]))
        else:
            self.run_flow(lambda: self.shop.get_product_by_slug(product["slug"]))


__all__ = ["ShopFlowShape"]
