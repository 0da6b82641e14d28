"""httpx clients for the ShopFlow API and admin API, with an exchange log.

Why this and not bare httpx in tests: one place sets the base URL, the bearer token (from
`Environment.secret(...)`, never typed into a test), the timeouts, the run's
`X-ShopFlow-Test-Run` tag and per-request `X-Request-Id` / `traceparent` (so a failure can be
found in the service's logs); one place refuses non-catalogue cards, and any write to a
read-only environment (production, or a URL reaching it); and every exchange is
kept so that a failed test can show exactly what was sent and answered — redacted by
`fixtures.redaction` when written, never before (recording stays cheap).

Retries hide nothing: only connection errors (nothing reached the server, or the kept-alive
connection was gone) are retried, and only for idempotent requests (GET, HEAD, OPTIONS, PUT,
DELETE, or a POST carrying an `Idempotency-Key`). A 5xx is returned as is: it is a finding.

The business operations (`raw_create_order()` / `create_order()`, …) are inherited from
`fixtures.flows`, which the load profiles share. Plain Python: no pytest import.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import shlex
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from shopflow_qa.core.admin_flows import Admin
from shopflow_qa.core.cards import CardCatalogue, default_catalogue
from shopflow_qa.core.environment import Environment
from shopflow_qa.core.flows import Shop
from shopflow_qa.core.redaction import Redactor, minted_secrets
from shopflow_qa.core.safety import WriteRefused, why_read_only

TEST_RUN_HEADER = "X-ShopFlow-Test-Run"
RUN_ID_VARIABLE = "SHOPFLOW_RUN_ID"  # the run's tag, handed by the CLI and the gate to pytest and Locust
REQUEST_ID_HEADER = "X-Request-Id"
# The one place for HTTP timeouts (seconds): connect fast, allow a slow checkout to answer.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
CONNECTION_RETRIES = 2
RETRY_BACKOFF_S = 0.2
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # all a client of a read-only environment sends
RETRYABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
BODY_LIMIT = 64 * 1024  # bytes of each body kept in the log
LOG_SIZE = 1000  # exchanges kept per client (a session-scoped client serves many tests)


class _Bearer(httpx.Auth):
    """Adds `Authorization: Bearer …`; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "_Bearer(<redacted>)"


@dataclass
class Exchange:
    """One request and its answer (or the error instead), kept raw until written out."""

    seq: int
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    started: float
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    elapsed_ms: float = 0.0
    error: str = ""
    attempts: int = 1

    def render(self, redactor: Redactor) -> str:
        """Readable HTTP-like text, every secret redacted."""
        request_type = dict((k.lower(), v) for k, v in self.request_headers).get("content-type", "")
        response_type = dict((k.lower(), v) for k, v in self.response_headers).get("content-type", "")
        lines = [f"### #{self.seq} {self.method} {redactor.text(self.url)}  ({self.elapsed_ms:.1f} ms, attempts {self.attempts})"]
        lines += [f"{k}: {v}" for k, v in redactor.headers(self.request_headers).items()]
        if self.request_body:
            lines += ["", redactor.body(self.request_body, request_type)]
        lines.append("")
        if self.error:
            lines.append(f"<-- no answer: {redactor.text(self.error)}")
        else:
            lines.append(f"<-- HTTP {self.status}")
            lines += [f"{k}: {v}" for k, v in redactor.headers(self.response_headers).items()]
            if self.response_body:
                lines += ["", redactor.body(self.response_body, response_type)]
        return "\n".join(lines) + "\n"


class ExchangeLog:
    """The last `LOG_SIZE` exchanges of one or more clients; `mark()`/`since()` slice per test.

    `on_secrets(values)` hears of the secrets a server hands out in an answer (a customer's
    session token from a sign-up or sign-in, a payment's client secret), whichever test or
    fixture asked for them: the pytest plugin passes the run's redactor."""

    def __init__(self, size: int = LOG_SIZE, on_secrets: Callable[[list[str]], object] | None = None) -> None:
        self._entries: deque[Exchange] = deque(maxlen=size)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._on_secrets = on_secrets

    def next_seq(self) -> int:
        return next(self._counter)

    def add(self, exchange: Exchange) -> None:
        if self._on_secrets is not None:
            minted = minted_secrets(exchange.response_body)
            if minted:
                self._on_secrets(minted)
        with self._lock:
            self._entries.append(exchange)

    def mark(self) -> int:
        """A position to slice from later (the next exchange's sequence number)."""
        with self._lock:
            return self._entries[-1].seq + 1 if self._entries else 0

    def since(self, mark: int = 0) -> list[Exchange]:
        with self._lock:
            return sorted((e for e in self._entries if e.seq >= mark), key=lambda e: e.seq)

    def render(self, redactor: Redactor, mark: int = 0) -> str:
        return "\n".join(e.render(redactor) for e in self.since(mark))

    def __len__(self) -> int:
        return len(self._entries)


def _header_list(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Headers as sent, in their original spelling (`Authorization`, not `authorization`)."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


def new_traceparent() -> str:
    """A W3C traceparent for a fresh trace (sampled)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


class ShopFlowClient(Shop):
    """An authenticated client of one ShopFlow host; a `Transport` for `fixtures.flows`."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        run_id: str = "",
        exchange_log: ExchangeLog | None = None,
        cards: CardCatalogue | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = CONNECTION_RETRIES,
        transport: httpx.BaseTransport | None = None,
        read_only: str = "",
    ) -> None:
        super().__init__(transport=None, cards=cards or default_catalogue())
        self.base_url = base_url.rstrip("/")
        self.run_id = run_id
        self.read_only = read_only  # why writes are refused ("environment 'production' is read-only"), or ""
        self.log = exchange_log if exchange_log is not None else ExchangeLog()
        self.retries = retries
        self._auth = _Bearer(token) if token else None
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, headers={TEST_RUN_HEADER: run_id} if run_id else None
        )

    # -- construction helpers --------------------------------------------------------------
    @classmethod
    def for_environment(cls, environment: Environment, *, role: str = "api", token_role: str = "token", **kwargs: Any) -> Self:
        """A client of `environment`'s `role` host with the secret `token_role` (sending only
        reads where the environment is read-only)."""
        kwargs.setdefault("read_only", why_read_only(environment) if environment.read_only else "")
        return cls(environment.url(role), environment.secret(token_role), **kwargs)

    def as_customer(self, token: str) -> ShopFlowClient:
        """The same client (pool, log, run tag) acting as a signed-in customer."""
        view = copy.copy(self)
        view._auth = _Bearer(token)
        view._transport = view
        return view

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, run={self.run_id!r})"

    # -- the transport ---------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """Send one request (card guard first), retrying only what is safe; log the exchange."""
        method = method.upper()
        if self.read_only and method not in READ_METHODS:
            raise WriteRefused(f"refused: {method} {path} writes and {self.read_only}")
        if json is not None:
            self.cards.guard_payload(json)
        if params:
            self.cards.guard_payload(dict(params))
        outgoing = {REQUEST_ID_HEADER: uuid.uuid4().hex, "traceparent": new_traceparent(), **(headers or {})}
        request = self._http.build_request(method, path, json=json, headers=outgoing, params=params)
        retryable = method in IDEMPOTENT_METHODS or any(k.lower() == "idempotency-key" for k in outgoing)
        exchange = Exchange(self.log.next_seq(), method, str(request.url), [], b"", time.time())
        started = time.perf_counter()
        try:
            response = self._send(request, retryable, exchange, auth)
        except httpx.HTTPError as error:
            exchange.error = f"{type(error).__name__}: {error}"
            raise
        else:
            exchange.status = response.status_code
            exchange.response_headers = _header_list(response.headers)
            exchange.response_body = response.content[:BODY_LIMIT]
            return response
        finally:
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
            exchange.request_headers = _header_list(request.headers)
            exchange.request_body = request.content[:BODY_LIMIT]
            self.log.add(exchange)

    def _send(self, request: httpx.Request, retryable: bool, exchange: Exchange, auth: bool) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            exchange.attempts = attempt
            try:
                return self._http.send(request, auth=self._auth if auth and self._auth else None)
            except RETRYABLE_ERRORS:
                if not retryable or attempt > self.retries:
                    raise
                time.sleep(RETRY_BACKOFF_S * 2 ** (attempt - 1))

    # Convenience verbs for ad-hoc calls in tests.
    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


class AdminClient(Admin, ShopFlowClient):
    """The admin API client: everything `ShopFlowClient` does, plus refunds, test runs, mailbox."""


def purge_command(environment: str, run_id: str, env_files: Iterable[str | Path] = ()) -> str:
    """The exact `shopflow-qa purge` line that deletes a run's tagged data later: what a run
    prints when its own purge could not reach the target (shell-quoted, env files absolute)."""
    files = [part for path in env_files for part in ("--env-file", str(Path(path).resolve()))]
    return shlex.join(["shopflow-qa", "purge", "--env", environment, *files, "--run", run_id])
