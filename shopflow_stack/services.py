"""The services of the ShopFlow local stack: what each runs and on which port offset.

A stack with port base P serves web on P, admin on P+1, api on P+2 and payments on P+3
(`service_urls`, the one place that layout is computed); the worker has no port.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    target: str  # "module:callable" — an ASGI app factory, or the worker's main loop
    port_offset: int | None  # None: a background process without HTTP


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("web", "shopflow_stack.web.app:create_app", 0),
        ServiceSpec("admin", "shopflow_stack.admin.app:create_app", 1),
        ServiceSpec("api", "shopflow_stack.api.app:create_app", 2),
        ServiceSpec("payments", "shopflow_stack.payments.app:create_app", 3),
        ServiceSpec("worker", "shopflow_stack.worker:run", None),
    )
}

HTTP_SERVICES = [s for s in SERVICES.values() if s.port_offset is not None]
# Sent by every HTTP service with its stack start's token (SHOPFLOW_STACK_INSTANCE): who answers on a port.
STACK_HEADER = "x-shopflow-stack"


def service_urls(port_base: int) -> dict[str, str]:
    """The URL of each HTTP service of a stack on port base P."""
    return {s.name: f"http://127.0.0.1:{port_base + s.port_offset}" for s in HTTP_SERVICES if s.port_offset is not None}
