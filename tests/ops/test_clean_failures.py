"""Bad input and broken surroundings: ONE line on stderr, the right exit code, in < 2 s, no traceback.

The commands run in-process (typer's CliRunner: the same argument parsing and error wrapper
as the console script, without a Python start-up per case). Full and read-only disks are real
tmpfs mounts where this machine allows mounting (root with CAP_SYS_ADMIN), skipped otherwise;
one more case injects ENOSPC at the gate's report-writing seam, so that path is always covered.
"""

from __future__ import annotations

import errno
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopflow_qa.cli.main import app

ANSWER_WITHIN_S = 2.0
CI_SLOS = Path(__file__).resolve().parents[1] / "load" / "slos-ci.toml"


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float


def cli(*args: str, env: dict[str, str] | None = None) -> Outcome:
    started = time.monotonic()
    result = CliRunner().invoke(app, list(args), env=env)
    seconds = time.monotonic() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return Outcome(result.exit_code, result.stdout, result.stderr, seconds)


def assert_one_line(outcome: Outcome, code: int, *needles: str) -> None:
    assert outcome.code == code, outcome
    assert outcome.stderr.count("\n") == 1 and outcome.stderr.startswith("shopflow-qa: error: "), outcome.stderr
    assert "Traceback" not in outcome.stdout + outcome.stderr
    for needle in needles:
        assert needle in outcome.stderr, (needle, outcome.stderr)
    assert outcome.seconds < ANSWER_WITHIN_S, outcome.seconds


@pytest.fixture(autouse=True)
def _reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every case writes (if at all) under its own reports folder; nothing steers it elsewhere."""
    for name in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_ENV_FILE", "SHOPFLOW_RUN_ID", "BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    reports = tmp_path / "reports"
    monkeypatch.setenv("SHOPFLOW_REPORTS_DIR", str(reports))
    return reports


@pytest.fixture
def nowhere(tmp_path: Path) -> list[str]:
    """Options aiming a command at an environment nothing answers for (port 9, no managed
    stack): a case whose check did not fire fails on that, never starts or touches a stack."""
    return ["--env", "e", "--env-file", str(env_file(tmp_path, "", url="http://127.0.0.1:9"))]


def env_file(folder: Path, body: str, name: str = "e", url: str = "http://127.0.0.1:9") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'[environments.{name}]\nweb_url = "{url}"\napi_url = "{url}"\nallow_default_secrets = true\n'
        f'{body}\n[environments.{name}.default_secrets]\ntoken = "t"\nadmin_token = "a"\n'
    )
    return path


# ---- environment files: every table, every key ---------------------------------------------

COMMANDS = {
    "envs": ["envs"],
    "gate": ["gate", "--env", "e"],
    "load": ["load", "browse", "--env", "e"],
    "seed": ["seed", "--env", "e"],
    "purge": ["purge", "--env", "e", "--run", "r1"],
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_a_typo_in_the_aws_table_is_one_line_naming_file_table_and_key_in_every_command(command: str, tmp_path: Path) -> None:
    path = env_file(tmp_path, '[environments.e.aws]\nregion = "us-east-1"\necs_clustr = "shop"')
    outcome = cli(*COMMANDS[command], "--env-file", str(path))
    assert_one_line(outcome, 2, f"{path}: environments.e.aws.ecs_clustr: unknown key (known: ecs_cluster, ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[environments.e.capacity]\napi = true", "environments.e.capacity.api: must be an integer, got True"),
        ("[environments.e.capacity]\napi = 0", "environments.e.capacity.api: must be a positive integer"),
        ("[environments.e.capacity]\ndatabase = 2", "environments.e.capacity.database: unknown key"),
        ("[environments.e.aws]\nregion = 5", "environments.e.aws.region: must be a string, got 5"),
        ('[environments.e.aws]\nregion = "Virginia"', "environments.e.aws.region: must be an AWS region"),
        ("[environments.e.aws.ecs_services]\napi = 3", "environments.e.aws.ecs_services.api: must be a string"),
        ('[environments.e.aws.log_groups]\ndatabase = "/ecs/db"', "environments.e.aws.log_groups.database: unknown key"),
        ('[environments.e.secrets]\ntoken = "MY TOKEN"', "environments.e.secrets.token: must name an environment variable"),
        ('admin_url = "http://127.0.0.1:99999"', "environments.e.admin_url: bad port"),
        ('payments_url = "http://"', "environments.e.payments_url: must be an http(s) URL"),
        ("mailbox = 1", "environments.e.mailbox: must be a boolean, got 1"),
        (
            '[environments.e.capabilities]\nserver_logs = "s3"',
            "environments.e.capabilities.server_logs: must be one of local, cloudwatch, none, got 's3'",
        ),
        ("[environments.e.capabilities]\nmailbx = true", "environments.e.capabilities.mailbx: unknown capability (known: "),
        ('[environments.e.capabilities]\nmailbox = "yes"', "environments.e.capabilities.mailbox: must be a boolean, got 'yes'"),
        (
            '[environments.e.capabilities]\nserver_logs = "cloudwatch"',
            'environments.e.capabilities.server_logs: "cloudwatch" needs [environments.e.aws] log_groups',
        ),
        (
            '[safety]\nproduction_host = ["shopflow.io"]',
            "safety.production_host: unknown key (known: production_domains, production_hosts",
        ),
    ],
)
def test_each_table_of_an_environment_file_is_checked(body: str, message: str, tmp_path: Path) -> None:
    if body.startswith("[safety]"):  # a top-level table of its own, beside [environments.e]
        path = tmp_path / "e.toml"
        path.write_text(f'{body}\n[environments.e]\nweb_url = "http://127.0.0.1:9"\napi_url = "http://127.0.0.1:9"\n')
    else:
        path = env_file(tmp_path, body)
    assert_one_line(cli("envs", "--env-file", str(path)), 2, f"{path}: {message}")


# ---- SLO files and --slo: an objective naming nothing is an error, not a silent pass -------


@pytest.mark.parametrize(
    ("slos", "message"),
    [
        (
            '[local.load]\nerror_rate = 0.01\n[local.load.p95_ms]\n"GET /api/product" = 400\n',
            "local.load.p95_ms: no load profile requests 'GET /api/product'",
        ),
        (
            "[local.load]\nerror_rate = 0.01\n[local.load.profiles.checkout_flw]\nmin_rps = 1\n",
            "local.load.profiles.checkout_flw: unknown load profile",
        ),
        (
            '[staging.load.p99_ms]\n"POST /api/order" = 900\n[local.load]\nerror_rate = 0.01\n',
            "staging.load.p99_ms: no load profile requests 'POST /api/order'",
        ),
        ("[local.contract]\nresponse_msec = 900\n[local.load]\nerror_rate = 0.01\n", "local.contract.response_msec: unknown key"),
        (
            '[local.contract]\nresponse_ms = "fast"\n[local.load]\nerror_rate = 0.01\n',
            "local.contract.response_ms: must be a positive whole number",
        ),
    ],
)
def test_an_slo_file_naming_an_unknown_endpoint_profile_or_key_is_a_usage_error(
    slos: str, message: str, tmp_path: Path, nowhere: list[str]
) -> None:
    path = tmp_path / "slos.toml"
    path.write_text(slos)
    assert_one_line(cli("load", "browse", *nowhere, "--slos", str(path)), 2, f"{path}: {message}")


def test_a_misspelled_endpoint_in_slo_is_a_usage_error(nowhere: list[str]) -> None:
    outcome = cli("load", "browse", *nowhere, "--slos", str(CI_SLOS), "--slo", "p95_ms[GET /api/prodcts]=50")
    assert_one_line(outcome, 2, "--slo: no load profile requests 'GET /api/prodcts'")


# ---- --expect-version ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["zz", "zzzzzzzz", "abc12", "v1.2.3-rc", "0123456789abcdef" * 5])
def test_an_expected_version_that_is_no_sha_is_a_usage_error_before_anything_runs(
    version: str, _reports: Path, nowhere: list[str]
) -> None:
    outcome = cli("gate", *nowhere, "--no-load", "--expect-version", version)  # 'e' has no load SLOs: another line
    assert_one_line(outcome, 2, "--expect-version needs at least 7 characters of a hex SHA", repr(version))
    assert not _reports.exists(), "no run folder, no stack, no request"


# ---- something other than ShopFlow answers -------------------------------------------------


@pytest.fixture(
    scope="module",
    params=[(200, "text/html"), (404, "text/html"), (404, "application/json")],
    ids=["html-200", "html-404", "json-404"],
)
def foreign_host(request: pytest.FixtureRequest) -> Iterator[str]:
    """A web server that is not ShopFlow: a page (or FastAPI's 404) on every path."""
    status, kind = request.param
    body = b"<html><body>Welcome to nginx!</body></html>" if kind == "text/html" else b'{"detail": "Not Found"}'
    with _serving(lambda handler: handler.answer(status, kind, body)) as url:
        yield url


@pytest.mark.parametrize("command", ["gate", "load", "seed", "purge"])
def test_a_host_that_is_not_shopflow_is_one_line_exit_2(command: str, foreign_host: str, tmp_path: Path) -> None:
    path = env_file(tmp_path, "", url=foreign_host)
    args = {
        "gate": ["gate", "--no-load"],  # 'e' has no load SLOs, which the gate would report before it starts
        "load": ["load", "browse", "--slo", "error_rate=0.5"],
        "seed": ["seed"],
        "purge": ["purge", "--run", "r1"],
    }[command]
    outcome = cli(*args, "--env", "e", "--env-file", str(path))
    expected = "not the ShopFlow admin API" if command in ("seed", "purge") else "not a ShopFlow health answer"
    assert_one_line(outcome, 2, foreign_host, expected)


# ---- the reports folder: not a folder, read-only, full -------------------------------------


@pytest.mark.parametrize("command", [["gate", "--no-load"], ["load", "browse", "--slo", "error_rate=0.5"]], ids=["gate", "load"])
def test_a_reports_folder_that_is_a_file_is_one_line_exit_2(command: list[str], _reports: Path, nowhere: list[str]) -> None:
    _reports.write_text("not a folder\n")
    assert_one_line(cli(*command, *nowhere), 2, f"cannot create the run folder: {_reports} is not a folder")


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode}): needs root with CAP_SYS_ADMIN")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """mount(options) → a fresh tmpfs at a new folder; unmounted at teardown."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        where = tmp_path / f"tmpfs-{len(mounted)}"
        _mount_tmpfs(where, options)
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(folder: Path) -> None:
    """Write until the filesystem says ENOSPC: a full disk, not a simulated one."""
    with (folder / "filler").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC


@pytest.mark.parametrize("command", [["gate", "--no-load"], ["load", "browse", "--slo", "error_rate=0.5"]], ids=["gate", "load"])
def test_a_read_only_reports_folder_is_one_line_exit_2(
    command: list[str], tmpfs, monkeypatch: pytest.MonkeyPatch, nowhere: list[str]
) -> None:
    reports = tmpfs("ro,size=64k")
    monkeypatch.setenv("SHOPFLOW_REPORTS_DIR", str(reports))
    assert_one_line(cli(*command, *nowhere), 2, f"cannot create the run folder in {reports}: Read-only file system")


@pytest.mark.parametrize("command", [["gate", "--no-load"], ["load", "browse", "--slo", "error_rate=0.5"]], ids=["gate", "load"])
def test_a_full_reports_folder_is_one_line_exit_2(
    command: list[str], tmpfs, monkeypatch: pytest.MonkeyPatch, nowhere: list[str]
) -> None:
    reports = tmpfs("size=64k")
    _fill(reports)
    monkeypatch.setenv("SHOPFLOW_REPORTS_DIR", str(reports))
    assert_one_line(cli(*command, *nowhere), 2, f"cannot create the run folder in {reports}: No space left on device")


def test_a_disk_filling_up_during_the_gate_still_prints_its_verdict(
    tmpfs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The run folder is created, then the disk fills (here: as the health check arrives). The
    gate still says what it knew, then one line on why gate.json and summary.md are missing."""
    reports = tmpfs("size=256k")
    monkeypatch.setenv("SHOPFLOW_REPORTS_DIR", str(reports))
    health = b'{"status": "ok", "version": "0123456789abcdef", "checks": {}}'

    def fill_then_answer(handler: _Handler) -> None:
        if not (reports / "filler").exists():
            _fill(reports)
        handler.answer(200, "application/json", health)

    with _serving(fill_then_answer) as url:
        path = env_file(tmp_path, "", url=url)
        outcome = cli(
            "gate", "--env", "e", "--env-file", str(path), "--suites-path", str(tmp_path / "none"), "--no-load", "--quiet"
        )
    assert_one_line(outcome, 2, "cannot write the gate's reports in", "No space left on device")
    assert outcome.stdout.startswith("gate ERROR by its stages, but no reports (exit 2)") and "no tests ran" in outcome.stdout
    run = next(p for p in reports.iterdir() if p.is_dir() and not p.is_symlink())
    assert not (run / "gate.json").exists() and not list(run.glob(".gate.json.*")), "no half-written gate.json"


def test_a_report_write_failing_at_the_seam_keeps_the_verdict_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same path without a mount: ENOSPC injected where gate.json is written."""
    from shopflow_qa.core import run_dir

    def full(path: Path, text: str) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(run_dir, "write_whole", full)
    health = b'{"status": "ok", "version": "0123456789abcdef", "checks": {}}'
    with _serving(lambda handler: handler.answer(200, "application/json", health)) as url:
        path = env_file(tmp_path, "", url=url)
        outcome = cli(
            "gate", "--env", "e", "--env-file", str(path), "--suites-path", str(tmp_path / "none"), "--no-load", "--quiet"
        )
    assert_one_line(outcome, 2, "cannot write the gate's reports in", "No space left on device", "gate.json")
    assert outcome.stdout.startswith("gate ERROR by its stages, but no reports (exit 2)")


# ---- a tiny HTTP server whose answers a test decides ---------------------------------------


class _Handler(BaseHTTPRequestHandler):
    respond: Callable[[_Handler], None]

    def answer(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        type(self).respond(self)

    do_GET = do_POST = do_DELETE = _any

    def log_message(self, *args: object) -> None:
        return


class _serving:
    """`with _serving(respond) as url:` a server on 127.0.0.1 calling `respond(handler)` per request."""

    def __init__(self, respond: Callable[[_Handler], None]) -> None:
        handler = type("Handler", (_Handler,), {"respond": staticmethod(respond)})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---- a URL the guard reads but the HTTP client refuses -------------------------------------


@pytest.mark.parametrize("command", [["seed"], ["purge", "--run", "r1"]], ids=["seed", "purge"])
def test_a_url_override_the_http_client_cannot_use_is_one_line_exit_2(command: list[str], tmp_path: Path) -> None:
    """Full-width capitals pass the guard's readings (not production) but httpx's IDNA codec refuses them."""
    path = env_file(tmp_path, "")
    outcome = cli(*command, "--env", "e", "--env-file", str(path), env={"BASE_URL": "http://ＡＢＣ.example"})
    assert_one_line(outcome, 2, "not a URL the HTTP client can use", "ＡＢＣ.example")
