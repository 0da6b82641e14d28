"""`/health` probing (shopflow_qa/core/deploy.py) over http and https: an https API is trusted
only through the CA bundle (SSL_CERT_FILE here), an http one never negotiates TLS and so needs none."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from shopflow_qa.core import deploy
from tests.fixtures.countingserver import CountingServer

VERSION = "counting-server"  # what CountingServer's /health reports, as ShopFlow's does


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[CountingServer] = []

    def start(tls: ssl.SSLContext | None = None) -> str:
        servers.append(CountingServer(tls=tls).start())
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


def test_an_http_api_is_probed(serve) -> None:
    health = deploy.probe(serve())
    assert health.ok and health.version == VERSION, health


def test_an_https_api_is_reached_only_with_its_ca_trusted(serve, tmp_path: Path, monkeypatch) -> None:
    authority = trustme.CA()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    url = serve(tls)

    untrusted = deploy.probe(url)  # the CA bundle does not hold this test CA
    assert not untrusted.reachable and "CERTIFICATE_VERIFY_FAILED" in untrusted.error, untrusted

    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    trusted = deploy.probe(url.replace("https://", "HTTPS://"))  # the scheme's case aside
    assert trusted.ok and trusted.version == VERSION, trusted
