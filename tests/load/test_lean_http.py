"""The load users' lean HTTP client (shopflow_qa/loadtests/lean_http.py) against a scripted server
that answers with exact bytes: bodies by length, chunked and until close, kept-alive and closed
connections, a server that closed an idle connection, interim answers, errors, garbage, silence
and TLS — each request reported once, with its failure, as Locust's statistics expect.

The client is gevent's, not Locust's: this module imports no Locust (which would monkey-patch the
pytest process); the scripted server runs in a plain thread.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from shopflow_qa.loadtests import lean_http
from shopflow_qa.loadtests.lean_http import HttpStatusFailure, LeanSession, MalformedResponse

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok": 1}\r\n'
SILENT = b""  # read the request, answer nothing


@dataclass
class Reply:
    raw: bytes
    close: bool = False  # close the connection after sending (without saying so in the answer)


@dataclass
class ScriptedServer:
    """Answers the n-th request it reads with the n-th reply; counts connections and keeps each request."""

    replies: list[Reply]
    tls: ssl.SSLContext | None = None
    accepted: int = 0
    requests: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._listener.settimeout(0.2)  # here, not in the thread: a test may stop() before it runs
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener closed by stop()
                return
            self.accepted += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buffered = b""
            while True:
                while b"\r\n\r\n" not in buffered:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffered += chunk
                head, _, buffered = buffered.partition(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
                )
                while len(buffered) < length:
                    buffered += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + buffered[:length])
                buffered = buffered[length:]
                reply = self.replies[len(self.requests) - 1]
                if reply.raw is SILENT:
                    time.sleep(2)
                    return
                conn.sendall(reply.raw)
                if reply.close:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()


class Recorder:
    """Stands in for Locust's request event: what its statistics would receive."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def fire(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ScriptedServer] = []

    def start(*replies: Reply | bytes, tls: ssl.SSLContext | None = None) -> ScriptedServer:
        server = ScriptedServer([r if isinstance(r, Reply) else Reply(r) for r in replies], tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def session(server: ScriptedServer, **kwargs: Any) -> tuple[LeanSession, Recorder]:
    events = Recorder()
    return LeanSession(server.url, events, **kwargs), events


def test_keep_alive_one_connection_json_body_and_one_report_per_request(serve) -> None:
    server = serve(OK, OK, OK)
    client, events = session(server, headers={"X-Default": "d"})
    for _ in range(3):
        response = client.request(
            "POST", "/api/carts", json={"qty": 1}, headers={"Authorization": "Bearer t"}, name="/api/carts/[id]"
        )
        assert response.status_code == 200 and response.json() == {"ok": 1} and response.ok
    assert server.accepted == 1, "the connection was kept alive"
    first = server.requests[0].decode()
    assert first.startswith("POST /api/carts HTTP/1.1\r\n")
    for line in (f"Host: 127.0.0.1:{server.port}", "X-Default: d", "Authorization: Bearer t", "Content-Type: application/json"):
        assert line in first
    assert first.endswith('Content-Length: 10\r\n\r\n{"qty": 1}')
    assert [(c["request_type"], c["name"], c["response_length"], c["exception"]) for c in events.calls] == [
        ("POST", "/api/carts/[id]", 11, None)
    ] * 3
    assert all(c["response_time"] >= 0 and c["url"] == f"{server.url}/api/carts" for c in events.calls)


def test_a_chunked_body_with_extensions_and_trailers(serve) -> None:
    chunked = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"a"\r\n6\r\n: [1]}\r\n0\r\nX-Trailer: t\r\n\r\n'
    server = serve(chunked, OK)
    client, events = session(server)
    assert client.get("/x").json() == {"a": [1]}
    assert client.get("/y").status_code == 200
    assert server.accepted == 1 and events.calls[0]["response_length"] == 10


def test_connection_close_and_a_body_until_close_open_a_new_connection(serve) -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"
    until_close = b"HTTP/1.0 200 OK\r\n\r\nall of it"
    server = serve(closing, Reply(until_close, close=True), OK)  # the first stays open: only its header says close
    client, _ = session(server)
    assert client.get("/a").content == b"hi"
    assert client.get("/b").content == b"all of it"
    assert client.get("/c").json() == {"ok": 1}
    assert server.accepted == 3


def test_an_idle_connection_the_server_closed_is_replaced_before_sending(serve) -> None:
    server = serve(Reply(OK, close=True), OK)  # the server hangs up after its answer, as at its keep-alive timeout
    client, events = session(server)
    client.get("/first")
    time.sleep(0.2)
    response = client.request("POST", "/orders", json={})
    assert response.status_code == 200 and events.calls[-1]["exception"] is None
    assert server.accepted == 2 and len(server.requests) == 2, "the POST was sent once, on a new connection"


def test_a_close_racing_the_request_repeats_only_what_may_be_repeated(serve, monkeypatch) -> None:
    """The server closes just as the request leaves: a GET is sent again, a POST is a failure."""
    monkeypatch.setattr(LeanSession, "_dropped", lambda self: False)  # the close arrives after the look
    server = serve(Reply(OK, close=True), Reply(OK, close=True))
    client, events = session(server)
    client.get("/one")
    time.sleep(0.2)
    assert client.get("/two").status_code == 200 and events.calls[-1]["exception"] is None
    assert server.accepted == 2
    time.sleep(0.2)
    post = client.request("POST", "/pay", json={"card": "tok"})
    assert post.status_code == 0 and isinstance(post.error, ConnectionError)
    assert events.calls[-1]["exception"] is post.error and len(server.requests) == 2, "the POST was not repeated"


def test_an_interim_100_continue_then_the_answer(serve) -> None:
    server = serve(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    client, _ = session(server)
    assert client.get("/x").json() == {"ok": 1}


def test_an_error_status_is_a_failure_with_its_body_still_readable(serve) -> None:
    body = b'{"error": {"code": "out_of_stock"}}'
    server = serve(b"HTTP/1.1 409 Conflict\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body), OK)
    client, events = session(server)
    response = client.request("POST", "/api/orders", json={}, name="/api/orders")
    assert response.status_code == 409 and response.json()["error"]["code"] == "out_of_stock"
    assert isinstance(response.error, HttpStatusFailure) and str(response.error) == "HTTP 409 for POST /api/orders"
    assert events.calls[0]["exception"] is response.error
    with pytest.raises(HttpStatusFailure):
        response.raise_for_status()
    assert client.get("/next").ok and server.accepted == 1, "an error answer keeps the connection"


def test_garbage_silence_and_refusal_are_failures_not_exceptions(serve) -> None:
    server = serve(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", SILENT)
    client, events = session(server, network_timeout=0.3)
    garbage = client.get("/x")
    assert garbage.status_code == 0 and isinstance(garbage.error, MalformedResponse)
    assert "not an HTTP/1.x status line" in str(garbage.error)
    silent = client.get("/y")
    assert isinstance(silent.error, TimeoutError)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = LeanSession(f"http://127.0.0.1:{closed_port}", events).get("/z")
    assert isinstance(refused.error, ConnectionRefusedError)
    assert [c["exception"] is not None for c in events.calls] == [True, True, True]


def test_a_body_cut_short_is_a_failure(serve) -> None:
    server = serve(Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", close=True))
    client, _ = session(server)
    response = client.get("/x")
    assert isinstance(response.error, MalformedResponse) and "9 bytes into a body of 100" in str(response.error)


def test_a_header_value_with_a_line_break_is_refused_before_sending(serve) -> None:
    server = serve(OK)
    client, events = session(server)
    with pytest.raises(ValueError, match="line break"):
        client.get("/x", headers={"X-Run": "a\r\nX-Injected: 1"})
    assert server.accepted == 0 and events.calls == []


@pytest.mark.parametrize("url", ["ftp://host/", "http:///nohost", ""])
def test_a_base_url_it_cannot_use_is_one_clear_error(url: str) -> None:
    with pytest.raises(ValueError, match="not an http\\(s\\) URL"):
        LeanSession(url, Recorder())


def test_tls_is_verified_against_the_trusted_store(serve, tmp_path: Path, monkeypatch, request) -> None:
    request.addfinalizer(lean_http.tls_context.cache_clear)  # no context built under this test's store outlives it
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    trusted = serve(OK, tls=server_context)
    lean_http.tls_context.cache_clear()  # one context per process: built again under this test's store
    untrusted, events = session(trusted)
    failed = untrusted.get("/x")
    assert isinstance(failed.error, ssl.SSLCertVerificationError), failed.error
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    lean_http.tls_context.cache_clear()
    client, _ = session(trusted)
    assert client.get("/y").json() == {"ok": 1}
