"""Faker customers, unique per test and per xdist worker, tracked and deleted afterwards.

Why: a fixed e-mail address only works on an isolated database; staging is shared by every
run and every worker. Each identity carries the run id and the worker id in its address
(`qa+<run>.<worker>.<n>.<random>@example.com`, a domain that never delivers), so two workers
never collide and the admin API can find what a run left behind. Everything created is
tracked (fxa's testAccountTracker) and deleted in teardown where the environment allows
writes; the run tag purge (`DELETE /api/admin/test-runs/<run>`) catches the rest.
Plain Python: no pytest import.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shopflow_qa.core.admin_flows import Admin
from shopflow_qa.core.flows import FlowError, Shop

if TYPE_CHECKING:
    from faker import Faker

EMAIL_DOMAIN = "example.com"
# Every address the factory makes, customer (`qa+`) or guest (`guest+`): the run id and the
# worker id reduced to lower-case letters and digits, a counter and 6 random hex digits. All
# lower-case, as the API stores every e-mail (it lower-cases what it is sent).
EMAIL_PATTERN = re.compile(r"(qa|guest)\+[a-z0-9]{1,24}\.[a-z0-9]{1,24}\.[0-9]+\.[0-9a-f]{6}@example\.com")


@dataclass
class Customer:
    """A signed-up customer: identity, API token and a client acting as them."""

    email: str
    password: str = field(repr=False)
    name: str
    id: Any = None
    token: str = field(default="", repr=False)
    api: Shop | None = field(default=None, repr=False)


def _slug(value: str, limit: int = 24) -> str:
    return re.sub(r"[^a-z0-9]+", "", value.lower())[:limit] or "x"


class CustomerFactory:
    """Makes identities and customers for one worker of one run; remembers them for cleanup.

    `on_mint(values)` hears of every password it makes up (before it is sent anywhere) and every
    token it is given: the pytest plugin passes the run's redactor, so they never reach a report."""

    def __init__(
        self,
        run_id: str,
        worker_id: str = "main",
        seed: int | None = None,
        on_mint: Callable[[Iterable[str]], object] | None = None,
    ) -> None:
        self.run_id = run_id
        self.worker_id = worker_id
        self._on_mint = on_mint
        self._seed = seed
        self._faker: Faker | None = None
        self._counter = itertools.count(1)
        self.created: list[Customer] = []

    @property
    def faker(self) -> Faker:
        """Made on first use: a load user that only needs guest e-mails never pays for Faker's providers."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            if self._seed is not None:
                self._faker.seed_instance(self._seed)
        return self._faker

    def _email(self, kind: str) -> str:
        return f"{kind}+{_slug(self.run_id)}.{_slug(self.worker_id)}.{next(self._counter)}.{secrets.token_hex(3)}@{EMAIL_DOMAIN}"

    def guest_email(self) -> str:
        """A fresh address for a guest checkout (no account): unique per run, worker and call, so
        the mailbox and the admin search find exactly this test's order (nothing is sent)."""
        return self._email("guest")

    def identity(self, **overrides: str) -> dict[str, str]:
        """A fresh, never-used identity (nothing is sent)."""
        email = self._email("qa")
        identity = {"email": email, "name": self.faker.name(), "password": f"Pw-{secrets.token_urlsafe(12)}"}
        identity.update(overrides)
        self._minted(identity["password"])
        return identity

    def _minted(self, *values: str) -> None:
        if self._on_mint is not None:
            self._on_mint([v for v in values if v])

    def create(self, api: Any, **overrides: str) -> Customer:
        """Sign a new customer up through the API (`api`: a ShopFlowClient or any Shop)."""
        identity = self.identity(**overrides)
        data = api.sign_up(identity["email"], identity["password"], identity["name"])
        customer = Customer(
            identity["email"], identity["password"], identity["name"], id=data["customer"]["id"], token=data["token"]
        )
        self._minted(customer.token)
        if hasattr(api, "as_customer"):
            customer.api = api.as_customer(customer.token)
        self.created.append(customer)
        return customer

    def cleanup(self, admin: Admin | None, customers: list[Customer] | None = None) -> list[str]:
        """Delete `customers` (default: every one made here); their carts and orders go with them.

        Returns problems as lines (the caller reports them) instead of hiding them; without an
        admin client (no admin token, read-only environment) nothing is deleted.
        """
        problems: list[str] = []
        targets = list(self.created if customers is None else customers)
        self.created = [c for c in self.created if c not in targets]
        if admin is None:
            return problems
        for customer in targets:
            try:
                response = admin.raw_delete_customer(customer.id)
            except Exception as error:  # reported to the caller, never swallowed
                problems.append(f"customer {customer.id}: {type(error).__name__}: {error}")
                continue
            if response.status_code not in (204, 404):
                problems.append(f"customer {customer.id}: delete answered HTTP {response.status_code}")
        return problems


__all__ = ["Customer", "CustomerFactory", "FlowError"]
