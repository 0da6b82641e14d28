"""The production guard at every entry point, proved by counting connections, not exit codes.

Production stands in twice, so that nothing but the guard stands between a command and the
counting server (tests/fixtures/countingserver.py, which counts every TCP connection it
accepts, HTTP or not):
- host NAMES: `socket.getaddrinfo` is patched in this process so that every name resolves to
  the counting server. A command the guard let through connects to it whatever name it was
  given (the controls show that it does, for most disguises, once the guard is switched off).
  No production network is listed then, so only the name comparison can refuse.
- ADDRESSES: 127.0.0.2 is declared a production network (an env file's `[safety]`) and the
  counting server listens there: `2130706434`, `0x7f.2`, `[::ffff:7f00:2]` … reach it through
  the kernel, no patch involved.
Commands run in this process (click's CliRunner on the CLI; pytester's inline runs), where the patch
applies; the gate and a plain `locust -f` add subprocesses that the address form reaches.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import idna
import pytest
import typer
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopflow_qa.cli.main import app as _app
from shopflow_qa.core.environment import Environment
from shopflow_stack import runner
from tests.fixtures.countingserver import CountingServer
from tests.fixtures.disguises import ADDRESSES, NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = typer.main.get_command(_app)  # built once: typer's runner rebuilds it per call (3x slower)
# Plugins the guard does not involve, left out of the inline pytest runs (0.5 s → 0.2 s a run).
UNINVOLVED_PLUGINS = (
    "locust",
    "playwright",
    "cacheprovider",
    "xdist",
    "allure_pytest",
    "rerunfailures",
    "schemathesis",
    "faker",
    "anyio",
    "hypothesispytest",
)
# Variables that steer the environment: none of the caller's may leak into these runs.
STEERING = (
    "SHOPFLOW_ENV",
    "SHOPFLOW_ENV_FILE",
    "E2E_BASE_URL",
    "PYTEST_BASE_URL",
    "BASE_URL",
    "ADMIN_BASE_URL",
    "PAYMENTS_BASE_URL",
    "BASE_URL__TARGET",
    "SHOPFLOW_RUN_ID",
    "SHOPFLOW_RUN_DIR",
    "DATABASE_URL",
    "REDIS_URL",
)
SECRETS = {"GUARD_TEST_TOKEN": "guard-token", "GUARD_TEST_ADMIN_TOKEN": "guard-admin-token"}
ENVIRONMENT = """
[environments.target]
web_url = "http://127.0.0.1:9"
api_url = "http://127.0.0.1:9"
policy = "read-write"
[environments.target.secrets]
token = "GUARD_TEST_TOKEN"
admin_token = "GUARD_TEST_ADMIN_TOKEN"
"""
PRODUCTION_NETWORK = '[safety]\nproduction_networks = ["127.0.0.2/32"]\n'
# Where a disguised URL can come from (shopflow_qa/core/environment.py: flag > variable > env file).
SLOTS = ("BASE_URL", "BASE_URL__TARGET", "env file api_url", "ADMIN_BASE_URL", "E2E_BASE_URL", "PAYMENTS_BASE_URL")
PAYMENTS_SUITE = """
import pytest


@pytest.mark.payments
def test_a_declined_card_is_refused(api):
    api.post("/api/orders/1/pay", json={"payment_method": "pm_card_chargeDeclined"})
"""


@dataclass
class Production:
    """The counting server standing in for production, and the env files of the two cases."""

    server: CountingServer
    names_env: Path  # `target`, no production network: names are refused by name alone
    addresses_env: Path  # `target`, 127.0.0.2 a production network
    folder: Path

    def url(self, form: str) -> str:
        return form.format(port=self.server.port)

    def env_file(self, form: str) -> Path:
        return self.addresses_env if "{port}" in form else self.names_env

    def connections(self) -> int:
        return self.server.connections


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    folder = tmp_path_factory.mktemp("production")
    server = CountingServer(host="127.0.0.2", routes={("GET", "/health"): (200, {"status": "ok", "version": "abc1234"})})
    server.start()
    names_env, addresses_env = folder / "names.toml", folder / "addresses.toml"
    names_env.write_text(ENVIRONMENT)
    addresses_env.write_text(PRODUCTION_NETWORK + ENVIRONMENT)
    yield Production(server, names_env, addresses_env, folder)
    server.stop()


@pytest.fixture(autouse=True)
def _names_resolve_to_production(production: Production, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every host NAME resolves to the counting server (addresses keep their own meaning)."""
    real = socket.getaddrinfo

    def resolve(host, port, family=0, type=0, proto=0, flags=0):
        if not host:  # no host (httpx on `http:/\\x`): the local machine, never production
            return real(host, port, family, type, proto, flags)
        try:
            return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError, TypeError):
            return real(production.server.host, production.server.port, family, type, proto, socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    for name in STEERING:
        monkeypatch.delenv(name, raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _place(production: Production, url: str, slot: str, env_file: Path) -> tuple[list[str], dict[str, str]]:
    """`--env-file` arguments and variables that put `url` into `slot`."""
    files = [str(env_file)]
    if slot == "env file api_url":
        override = production.folder / f"override-{uuid.uuid4().hex[:8]}.toml"
        override.write_text(f"[environments.target]\napi_url = {json.dumps(url, ensure_ascii=False)}\n")
        files.append(str(override))
        return files, {}
    return files, {slot: url}


def _cli(*args: str, env: dict[str, str], catch: bool = False) -> tuple[int, str]:
    result = CliRunner().invoke(CLI, list(args), env=env, catch_exceptions=catch)
    return result.exit_code, result.stderr


COMMANDS = {
    "seed": ("seed", "--env", "target"),
    "purge": ("purge", "--env", "target", "--run", "guard-run"),
    "load": ("load", "browse", "--env", "target", "--duration", "1s", "--max-requests", "1", "--users", "1"),
}


def _refused_by_cli(production: Production, command: str, form: str, slot: str) -> None:
    """`command` with the disguise `form` in `slot`: refused in one line, no connection."""
    url = production.url(form)
    files, variables = _place(production, url, slot, production.env_file(form))
    before = production.connections()
    code, stderr = _cli(*COMMANDS[command], *(p for f in files for p in ("--env-file", f)), env=variables)
    assert production.connections() == before, f"{command} with {slot}={url!r} connected to production"
    assert code == 2 and stderr.count("\n") == 1, (command, slot, url, code, stderr)
    if _not_a_url(stderr):
        return  # the schema refuses it before the guard: no client would be given it either
    assert stderr.startswith(
        f"shopflow-qa: error: refused on target: {command} writes data and environment 'target' points at production ("
    ), (url, stderr)


def _not_a_url(line: str) -> bool:
    """A form only a browser's lenient parser reads (`http:host`, `http:\\\\host`) placed in an env
    file is refused by the environment schema as not an http(s) URL, before the guard is asked."""
    return "_url: must be an http(s) URL, got " in line


# ---- controls: without the guard, the disguises do reach the counting server -----------------


def test_controls_a_name_that_is_not_production_and_the_disguises_unguarded_reach_the_server(
    production: Production, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes 0 connections mean something: a harmless name resolves to the counting server
    and seed's POST arrives; with the guard switched off, the disguised forms arrive too (those
    httpx accepts; it refuses the others outright, Chromium would still follow them)."""
    code, stderr = _cli(
        "seed", "--env", "target", "--env-file", str(production.names_env), env={"BASE_URL": "http://qa-target.example"}
    )
    assert code == 0, stderr
    assert [(s.method, s.path) for s in production.server.seen][-1:] == [("POST", "/api/admin/seed")]

    monkeypatch.setattr(Environment, "production_matches", property(lambda self: ()))
    reached = []
    for form in (*NAMES, *ADDRESSES):
        before = production.connections()
        _cli(
            "seed",
            "--env",
            "target",
            "--env-file",
            str(production.env_file(form)),
            env={"BASE_URL": production.url(form)},
            catch=True,
        )  # httpx raises for the forms it refuses (InvalidURL, UnicodeError)
        reached += [form] if production.connections() > before else []
    # The rest httpx refuses outright (full-width letters, soft hyphens, `http:api…`, octal parts
    # …); Chromium follows them (tests/fixtures/test_hosts.py), so the guard refuses them too.
    assert len(reached) >= 35, f"only {len(reached)} of {len(NAMES) + len(ADDRESSES)} connected unguarded: {reached}"


def test_controls_the_same_address_reaches_the_server_when_it_is_not_listed(production: Production) -> None:
    before = production.connections()
    code, stderr = _cli(
        "seed",
        "--env",
        "target",
        "--env-file",
        str(production.names_env),
        env={"BASE_URL": f"http://2130706434:{production.server.port}"},
    )
    assert code == 0, stderr
    assert production.connections() > before


# ---- the property: no generated disguise reaches a socket -----------------------------------

IGNORED = [c for c in "\u00ad\u034f\u180b\u200b\u2060\ufe00\ufe0f\ufeff" if idna.uts46_remap(f"a{c}b") == "ab"]
DOTS = (".", "\u3002", "\uff0e", "\uff61", "%2E", "%2e", "%E3%80%82", "%EF%BC%8E", "\u2024", "\ufe52")
SCHEMES = ("http://", "https://", "HTTP://", "hTtPs://", "http:\\\\", "http:/\\", "http:", "http:///", "https:\\/")


def _letter(c: str) -> st.SearchStrategy[str]:
    """Spellings of one ASCII letter or digit that UTS-46 (and so Chromium) maps back to it."""
    full_width = chr(ord(c) + 0xFEE0)  # U+FF10 … U+FF5A
    forms = [c, c.upper(), full_width, f"%{ord(c):02X}", f"%{ord(c):02x}", "".join(f"%{b:02X}" for b in full_width.encode())]
    if c.isalpha():
        forms += [chr(0x1D41A + ord(c) - ord("a")), chr(0x24D0 + ord(c) - ord("a"))]  # mathematical bold, circled
    forms += {"s": ["\u017f"], "k": ["\u212a"]}.get(c, [])  # long s, Kelvin sign
    return st.sampled_from(forms)


@st.composite
def disguised_names(draw: st.DrawFn) -> str:
    host = draw(st.sampled_from(["api.shopflow.io", "www.shopflow.io", "admin.shopflow.io", "shopflow.io"]))
    prefix = draw(st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True), max_size=2))
    text = ".".join([*prefix, host])
    out = []
    for c in text:
        out.append(draw(st.sampled_from(DOTS)) if c == "." else draw(_letter(c)) if c.isalnum() else c)
        if IGNORED and draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(IGNORED)))
    spelt = "".join(out).replace("fl", draw(st.sampled_from(["fl", "\ufb02"])))
    trailing = "".join(draw(st.lists(st.sampled_from(DOTS[:4]), max_size=2)))
    userinfo = draw(st.sampled_from(["", "qa@", "qa:pw@", "staging-api.shopflow.io@", "x%40y@"]))
    port = draw(st.sampled_from(["", ":443", ":80", ":8443", ":0443"]))
    rest = draw(st.sampled_from(["", "/", "/health", "?x=1", "#f", "/a/../b"]))
    return f"{draw(st.sampled_from(SCHEMES))}{userinfo}{spelt}{trailing}{port}{rest}"


def _ipv4_parts(value: int, count: int) -> list[int]:
    """127.0.0.2 as 1 to 4 numbers, the last one filling the remaining bytes."""
    leading = [(value >> (8 * (3 - i))) & 0xFF for i in range(count - 1)]
    return [*leading, value & ((1 << (8 * (5 - count))) - 1)]


@st.composite
def disguised_addresses(draw: st.DrawFn) -> str:
    value = 0x7F000002
    if draw(st.booleans()):
        parts = _ipv4_parts(value, draw(st.integers(1, 4)))
        spelt = []
        for part in parts:
            kind = draw(st.sampled_from(["dec", "hex", "HEX", "oct"]))
            zeros = "0" * draw(st.integers(0, 2))
            spelt.append(
                {"dec": str(part), "hex": f"0x{zeros}{part:x}", "HEX": f"0X{zeros}{part:X}", "oct": f"0{zeros}{part:o}"}[kind]
            )
        host = ".".join(spelt) + draw(st.sampled_from(["", "."]))
        if draw(st.integers(0, 4)) == 0:
            host = host.translate({ord(d): chr(ord(d) + 0xFEE0) for d in "0123456789"})  # full-width digits
    else:
        tail = draw(st.sampled_from(["127.0.0.2", "7f00:2", "7F00:0002", "7f00:02"]))
        head = draw(st.sampled_from(["::ffff:", "0:0:0:0:0:ffff:", "0::ffff:", "::FFFF:", "0:0::ffff:"]))
        host = f"[{head}{tail}]"
    userinfo = draw(st.sampled_from(["", "qa@", "qa:pw@"]))
    return f"{draw(st.sampled_from(SCHEMES[:4]))}{userinfo}{host}:{{port}}{draw(st.sampled_from(['', '/', '/health']))}"


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.one_of(disguised_names(), disguised_addresses()),
    command=st.sampled_from(sorted(COMMANDS)),
    slot=st.sampled_from(SLOTS[:3] * 3 + SLOTS[3:]),
)
def test_no_disguise_of_production_reaches_a_socket(production: Production, form: str, command: str, slot: str) -> None:
    """500 generated spellings of every production host (and of a production address), each
    given to seed, purge or load through a URL variable or an env file: all refused in one line,
    and the counting server accepts no connection."""
    _refused_by_cli(production, command, form, slot)


# ---- the written-out forms × every command --------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_written_out_disguise_is_refused_by_the_cli_before_a_connection(production: Production, command: str) -> None:
    forms = (*NAMES, *ADDRESSES)
    for index, form in enumerate(forms):
        _refused_by_cli(production, command, form, SLOTS[index % 3])


def test_every_written_out_disguise_is_refused_by_plain_pytest_before_a_connection(
    production: Production, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_payments=PAYMENTS_SUITE)
    for index, form in enumerate((*NAMES, *ADDRESSES)):
        url = production.url(form)
        files, variables = _place(production, url, SLOTS[index % 3], production.env_file(form))
        flag = {3: ["--api-url", url], 4: ["--base-url", url]}.get(index % 5, [])
        for name, value in ({} if flag else variables).items():
            monkeypatch.setenv(name, value)
        before = production.connections()
        result = pytester.runpytest(
            *(a for p in UNINVOLVED_PLUGINS for a in ("-p", f"no:{p}")),
            "-m",
            "payments",
            "--env",
            "target",
            *(p for f in files for p in ("--env-file", f)),
            *flag,
        )
        for name in variables:
            monkeypatch.delenv(name, raising=False)
        assert production.connections() == before, f"pytest -m payments with {url!r} connected to production"
        assert result.ret == pytest.ExitCode.USAGE_ERROR, (url, result.stdout.str(), result.stderr.str())
        errors = [line for line in result.stderr.lines if line.startswith("ERROR: shopflow:")]
        assert len(errors) == 1, (url, result.stderr.str())
        if _not_a_url(errors[0]):
            continue
        assert "points at production" in errors[0], (url, result.stderr.str())
        assert errors[0].endswith("every selected test is refused (1 payments); only tests marked nondestructive run there")


def test_a_test_mislabelled_nondestructive_fails_before_its_write_leaves(
    production: Production, pytester: pytest.Pytester
) -> None:
    """Read-only is enforced by the clients too: only GET, HEAD and OPTIONS leave them."""
    pytester.makepyfile(
        test_mislabelled="""
import pytest


@pytest.mark.nondestructive
def test_reads_then_writes(api):
    assert api.get("/health").status_code == 200
    api.post("/api/carts", json={})
"""
    )
    before = len(production.server.seen)
    result = pytester.runpytest(
        *(a for p in UNINVOLVED_PLUGINS for a in ("-p", f"no:{p}")),
        "--env",
        "target",
        "--env-file",
        str(production.addresses_env),
        "--api-url",
        f"http://0x7f.2:{production.server.port}",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*WriteRefused: refused: POST /api/carts writes and environment 'target' points at production (api URL http://0x7f.2:*"]
    )
    assert [(s.method, s.path) for s in production.server.seen[before:]] == [("GET", "/health"), ("GET", "/health")]


GATE_FORMS = ("http://api．shopflow．io.", "http://[::ffff:7f00:2]:{port}")  # more in tests/gate/test_gate_run.py


def test_the_gate_refuses_written_out_disguises_before_a_connection(production: Production, tmp_path: Path) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_payments.py").write_text(PAYMENTS_SUITE)
    for index, form in enumerate(GATE_FORMS):
        url = production.url(form)
        files, variables = _place(production, url, SLOTS[index % 3], production.env_file(form))
        reports = tmp_path / f"reports-{index}"
        before = production.connections()
        result = CliRunner().invoke(
            CLI,
            [
                "gate",
                "--env",
                "target",
                *(p for f in files for p in ("--env-file", f)),
                "--suites",
                "payments",
                "--no-load",
                "--quiet",
                "--suites-path",
                str(suites),
            ],
            env={**variables, "SHOPFLOW_REPORTS_DIR": str(reports)},
            catch_exceptions=False,
        )
        assert production.connections() == before, f"gate with {url!r} connected to production"
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (url, result.output)
        assert "points at production" in result.stderr and "every selected test is refused (1 payments)" in result.stderr
        gate = json.loads(((reports / "latest").resolve() / "gate.json").read_text())
        assert gate["verdict"] == "refused" and gate["areas"][0]["status"] == "skipped"


# ---- the other entry points ------------------------------------------------------------------


def test_doctor_names_the_guard_and_never_sends_the_admin_token_to_production(production: Production) -> None:
    """Doctor only reads (GET /health, as it does for `--env production`); the admin probe,
    which carries the admin token, is not sent to a host that reaches production."""
    before = len(production.server.seen)
    result = CliRunner().invoke(
        CLI,
        ["doctor", "--env", "target", "--env-file", str(production.addresses_env), "--check", "health", "--check", "admin"],
        env={"BASE_URL": f"http://0x7f.2:{production.server.port}"},
        catch_exceptions=False,
    )
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("– policy: read-only (environment 'target' points at production (api URL http://0x7f.2:")
        for line in lines
    ), lines
    assert any(line.startswith("– admin api: not probed: the environment is read-only") for line in lines), lines
    sent = production.server.seen[before:]
    assert sent and all(s.method == "GET" and s.path == "/health" for s in sent), [(s.method, s.path) for s in sent]
    assert not any("authorization" in {k.lower() for k in s.headers} for s in sent)


@pytest.mark.parametrize(
    ("variable", "url", "why"),
    [
        ("DATABASE_URL", "postgresql://shop:pw@db．shopflow．io./shop", "db.shopflow.io, under production domain shopflow.io"),
        ("DATABASE_URL", "postgresql://shop@/shop?host=eu-db.SHOPFLOW.io", "eu-db.shopflow.io, under production domain"),
        ("REDIS_URL", "redis://0x7f.2:6379/0", "127.0.0.2, in production network 127.0.0.2/32"),
    ],
)
def test_a_local_stack_never_starts_on_a_production_database_or_redis(
    production: Production, variable: str, url: str, why: str
) -> None:
    name = f"guard-{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(
        CLI,
        ["stack", "up", "--name", name],
        env={variable: url, "SHOPFLOW_ENV_FILE": str(production.addresses_env)},
        catch_exceptions=False,
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert result.stderr.startswith(f"shopflow-qa: error: refused: stack up writes to its database and Redis, and {variable} ")
    assert why in result.stderr and "pw" not in result.stderr
    assert runner.read_state(name) is None


def test_a_plain_locust_run_refuses_a_production_host(production: Production) -> None:
    """`locust -f shopflow_qa/loadtests/browse.py -H URL` (no shopflow-qa in between) exits 2 before a user starts."""
    env = {**os.environ, "SHOPFLOW_ENV_FILE": str(production.addresses_env)}
    before = production.connections()
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            "shopflow_qa/loadtests/browse.py",
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "3s",
            "-H",
            f"http://2130706434:{production.server.port}",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    refusal = [line for line in result.stderr.splitlines() if "refused" in line]
    assert len(refusal) == 1 and "points at production (api URL http://2130706434:" in refusal[0], result.stderr[-2000:]
    assert production.connections() == before and time.monotonic() - started < 30
