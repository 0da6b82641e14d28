"""`/health` probing (shopflow_qa/core/deploy.py) over http and https: an https API is trusted
only through the CA bundle (SSL_CERT_FILE here), an http one never negotiates TLS and so needs none."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from shopflow_qa.core import deploy

HEALTH = {"status": "ok", "version": "0123456789abcdef", "checks": {"db": "ok"}}


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(HEALTH).encode()
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[ThreadingHTTPServer] = []

    def start(tls: ssl.SSLContext | None = None) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
        if tls:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"{'https' if tls else 'http'}://localhost:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_http_api_is_probed(serve) -> None:
    health = deploy.probe(serve())
    assert health.ok and health.version == HEALTH["version"], health


def test_an_https_api_is_reached_only_with_its_ca_trusted(serve, tmp_path: Path, monkeypatch) -> None:
    authority = trustme.CA()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost").configure_cert(tls)
    url = serve(tls)

    untrusted = deploy.probe(url)  # the CA bundle does not hold this test CA
    assert not untrusted.reachable and "CERTIFICATE_VERIFY_FAILED" in untrusted.error, untrusted

    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    trusted = deploy.probe(url.upper().replace("HTTPS://LOCALHOST", "HTTPS://localhost"))  # scheme case aside
    assert trusted.ok and trusted.version == HEALTH["version"], trusted
