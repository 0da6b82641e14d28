"""Locust's LoadTestShape over shopflow_qa/core/shapes.py, chosen by `SHOPFLOW_LOAD_SHAPE` (Locust side only)."""

from __future__ import annotations

import os

from locust import LoadTestShape

from shopflow_qa.core import shapes


def shape_class() -> type | None:
    """A LoadTestShape subclass for the requested shape, or None (a fixed crowd)."""
    name = os.environ.get("SHOPFLOW_LOAD_SHAPE", "")
    if not name:
        return None
    schedule = shapes.stages(
        name, int(os.environ.get("SHOPFLOW_LOAD_PEAK", "1")), float(os.environ.get("SHOPFLOW_LOAD_DURATION_S", "60"))
    )

    class ShopFlowShape(LoadTestShape):
        def tick(self) -> tuple[int, float] | None:
            return shapes.at(schedule, self.get_run_time())

    ShopFlowShape.__name__ = f"ShopFlowShape_{name}"
    return ShopFlowShape
