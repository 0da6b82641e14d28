"""Locust's LoadTestShape over shopflow_qa/core/shapes.py (Locust side only).

Every profile carries the class; it runs only when `--shopflow-shape` names a shape
(shopflow_qa/loadtests/run.py sets its schedule at init, or removes it for a fixed crowd)."""

from __future__ import annotations

from locust import LoadTestShape

from shopflow_qa.core import shapes


class ShopFlowShape(LoadTestShape):
    use_common_options = True  # -u is the peak, -t the duration: no "ignored options" warning
    schedule: list[shapes.Stage] = []

    def tick(self) -> tuple[int, float] | None:
        return shapes.at(self.schedule, self.get_run_time())
