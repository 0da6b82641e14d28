"""Fixtures of the ops tests: the CLI as a subprocess, a moto server, TLS servers, env files."""

from __future__ import annotations

import datetime
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_S = 120


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def marked(self, mark: str) -> list[str]:
        return [line for line in self.lines if line.startswith(mark + " ")]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT_S) -> CliResult:
    """`shopflow-qa ARGS` in a subprocess, as a person runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(result.returncode, result.stdout, result.stderr)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_env_file(path: Path, name: str, **values: object) -> Path:
    """A one-environment TOML file; nested dicts become sub-tables."""
    lines = [f"[environments.{name}]"]
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    for key, value in values.items():
        if key not in tables:
            lines.append(f"{key} = {_toml(value)}")
    for key, table in tables.items():
        lines.append(f"[environments.{name}.{key}]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in table.items())
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str):
        return '"' + value + '"'
    return str(value)


@dataclass(frozen=True)
class OpsStack:
    """A running stack and an env file describing it (its own env.toml when complete)."""

    name: str
    urls: dict[str, str]
    api_url: str
    env_file: Path
    directory: Path


@pytest.fixture(scope="session")
def ops_stack(sqlite_stack, tmp_path_factory) -> OpsStack:
    """The session's shared healthy SQLite stack, with an env file naming it."""
    stack = sqlite_stack
    env_file = stack.env_file
    if "web" not in stack.urls:  # a stack without a storefront yet: the API stands in for web_url
        env_file = tmp_path_factory.mktemp("ops-env") / "env.toml"
        text = stack.env_file.read_text().replace("api_url =", f'web_url = "{stack.api_url}"\napi_url =', 1)
        env_file.write_text(text)
    return OpsStack(stack.name, dict(stack.urls), stack.api_url, env_file, stack.state.directory)


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server (AWS APIs in memory) on a free loopback port; never a real account."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every call
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def moto_environ(endpoint: str, folder: Path) -> dict[str, str]:
    """Process variables that point boto3 at moto with dummy keys, and nothing else of the user's
    AWS set-up (config and credentials files in `folder`)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(folder / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(moto_endpoint: str, tmp_path: Path) -> dict[str, str]:
    return moto_environ(moto_endpoint, tmp_path)


# --- TLS --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsServer:
    port: int
    ca_file: Path


def _certificate(directory: Path, days: int) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"cert-{days}.pem", directory / f"key-{days}.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(tmp_path: Path):
    """Start a TLS server on localhost with a self-signed certificate valid for `days`."""
    stops: list[threading.Event] = []

    def start(days: int) -> TlsServer:
        cert_file, key_file = _certificate(tmp_path, days)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        stop = threading.Event()
        stops.append(stop)

        def serve() -> None:
            with listener:
                while not stop.is_set():
                    try:
                        connection, _ = listener.accept()
                    except OSError:
                        continue
                    try:
                        with context.wrap_socket(connection, server_side=True):
                            pass
                    except (ssl.SSLError, OSError):
                        connection.close()

        threading.Thread(target=serve, daemon=True).start()
        return TlsServer(listener.getsockname()[1], cert_file)

    yield start
    for stop in stops:
        stop.set()


def allure_attachments(results: Path) -> dict[str, str]:
    """name → text of every attachment Allure shows with the one failed test.

    Attachments made in a fixture's teardown sit in the fixture's container ("afters"),
    which names the test result among its children; Allure shows them under the test.
    """
    failed = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    failed = [r for r in failed if r["status"] in ("failed", "broken")]
    assert len(failed) == 1, [r["status"] for r in failed]
    attachments = list(failed[0].get("attachments", []))
    for path in results.glob("*-container.json"):
        container = json.loads(path.read_text())
        if failed[0]["uuid"] in container.get("children", []):
            for after in container.get("afters", []):
                attachments.extend(after.get("attachments", []))
    return {a["name"]: (results / a["source"]).read_text() for a in attachments}
