"""What every ShopFlow load profile shares on the Locust side (imported only by Locust processes).

The run itself (options, plan, bounds, verdict) is shopflow_qa/loadtests/run.py's; this is the
abstract user: the environment's service token and the run's tag on every request, and
shopflow_qa/core/flows.py's flows run over the user's HTTP client unchanged — the lean one of
shopflow_qa/loadtests/lean_http.py by default, Locust's FastHttpSession with
`--shopflow-http-client locust`.
"""

from __future__ import annotations

import os
import time
from typing import Any, cast

import gevent
from locust import User
from locust.contrib.fasthttp import FastHttpSession

from shopflow_qa.core.customers import CustomerFactory
from shopflow_qa.core.flows import FlowError, Shop, Transport
from shopflow_qa.core.invariants import InvariantBroken
from shopflow_qa.loadtests.lean_http import LeanSession
from shopflow_qa.loadtests.run import RUN
from shopflow_qa.loadtests.stats import record_busy, record_check

LOCUST_CLIENT = "locust"  # --shopflow-http-client: Locust's FastHttpSession instead of the lean client


class ShopFlowUser(User):
    """Abstract base: the service token and the run's tag on every request; `self.shop` runs the flows."""

    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.client: LeanSession | FastHttpSession = http_client(self)

    def on_start(self) -> None:
        self.shop = Shop(cast(Transport, self.client), headers=RUN.headers)  # client.request(method, path, json=, name=, …)
        worker = os.environ.get("SHOPFLOW_LOAD_WORKER", "w0")
        self.customers = CustomerFactory(RUN.run_id, worker_id=f"{worker}u{id(self) % 100000}")
        if RUN.arrivals is not None:  # the open model: every task waits for its arrival slot
            self.wait_time = self._arrival_wait  # type: ignore[method-assign]  # Locust's documented per-user override
            gevent.sleep(self._arrival_wait())

    def _arrival_wait(self) -> float:
        arrivals = RUN.arrivals
        assert arrivals is not None
        slot = arrivals.claim(time.time())
        if slot is None:  # schedule over: idle until the run time ends
            return 3600.0
        return max(0.0, slot - time.time())

    def run_flow(self, flow: Any, checkout: bool = False) -> Any:
        """Run one flow; a FlowError fails its check (the request itself is already counted by Locust)."""
        started = time.monotonic()
        try:
            result = flow()
        except FlowError:
            record_check(False)
            return None
        except InvariantBroken as broken:  # a sampled order broke a cross-resource invariant: say which
            record_check(False, problem=str(broken).splitlines()[0])
            return None
        finally:
            record_busy(time.monotonic() - started)
        record_check(True, checkout)
        return result


def http_client(user: ShopFlowUser) -> LeanSession | FastHttpSession:
    """The user's client to the run's API host: lean unless the run asks for Locust's own."""
    options = user.environment.parsed_options
    events = user.environment.events
    if getattr(options, "shopflow_http_client", "") == LOCUST_CLIENT:
        return FastHttpSession(
            user.host,
            events.request,
            user=user,
            network_timeout=user.network_timeout,
            connection_timeout=user.connection_timeout,
        )
    return LeanSession(
        user.host or "",
        events.request,
        user=user,
        connect_timeout=user.connection_timeout,
        network_timeout=user.network_timeout,
    )
