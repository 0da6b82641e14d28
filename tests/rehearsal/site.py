"""A staging rehearsal: the local stack behind nginx, over TLS from a throw-away CA, on hostnames
of its own, described only by an env file shaped like `staging` in data/environments.toml.

- **Proxy**: nginx (Debian's `nginx-light`, installed by `make setup`), one TLS port, one
  server block per hostname, `Host` and `X-Forwarded-Proto` passed on; the stack believes those
  headers from 127.0.0.1 only (`SHOPFLOW_TRUSTED_PROXIES`). Swapping the stack behind it is a
  config rewrite and `nginx -s reload` — a rolling deploy, or a faulty build going live.
- **TLS**: trustme's CA signs one certificate for every hostname. The harness gets the CA only
  through variables: `SSL_CERT_FILE` (httpx, ssl), `REQUESTS_CA_BUNDLE`, and
  `SHOPFLOW_BROWSER_CA_FILE` for Chromium (shopflow_qa/core/browser_trust.py).
- **Hostnames**: `<role>.rehearsal.shopflow.test` → 127.0.0.1. glibc here does not resolve
  `*.localhost`, and Chromium and Python must resolve alike without flags, so a marked block
  is added to /etc/hosts once (idempotent; CI runs as root). Where that file is not writable
  and the names do not resolve, the rehearsal is skipped with that reason.
- **Secrets**: random per rehearsal, handed to the stack under its own variables and to the
  harness under staging's (STAGING_TOKEN …); no default secret is allowed.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shopflow_qa.cli.setup import find_nginx

DOMAIN = "rehearsal.shopflow.test"
HOSTS = {"web": f"shop.{DOMAIN}", "admin": f"admin.{DOMAIN}", "api": f"api.{DOMAIN}", "payments": f"payments.{DOMAIN}"}
INTERNAL_HOST = f"internal.{DOMAIN}"  # staging's VPN-only host: here it simply resolves
HOSTS_FILE = Path("/etc/hosts")
HOSTS_MARK = "# shopflow-qa staging rehearsal (tests/rehearsal/site.py)"
STAGING_SECRETS = {
    "token": "STAGING_TOKEN",
    "admin_token": "STAGING_ADMIN_TOKEN",
    "admin_user": "STAGING_ADMIN_USER",
    "admin_password": "STAGING_ADMIN_PASSWORD",
}
STACK_SECRETS = {
    "token": "SHOPFLOW_LOCAL_TOKEN",
    "admin_token": "SHOPFLOW_LOCAL_ADMIN_TOKEN",
    "admin_user": "SHOPFLOW_LOCAL_ADMIN_USER",
    "admin_password": "SHOPFLOW_LOCAL_ADMIN_PASSWORD",
}
REPO_ROOT = Path(__file__).resolve().parents[2]


def _resolves_locally(name: str) -> bool:
    try:
        return {info[4][0] for info in socket.getaddrinfo(name, None)} <= {"127.0.0.1", "::1"}
    except OSError:
        return False


def ensure_hostnames() -> str | None:
    """Make the rehearsal's names resolve to 127.0.0.1; the skip reason when that cannot be done."""
    names = [*HOSTS.values(), INTERNAL_HOST]
    missing = [name for name in names if not _resolves_locally(name)]
    if not missing:
        return None
    try:
        with HOSTS_FILE.open("a") as hosts:
            hosts.write("".join(f"127.0.0.1 {name} {HOSTS_MARK}\n" for name in missing))
    except OSError as error:
        return f"the rehearsal's hostnames do not resolve and {HOSTS_FILE} is not writable ({error.strerror})"
    still = [name for name in names if not _resolves_locally(name)]
    return f"{', '.join(still)} still do not resolve after adding them to {HOSTS_FILE}" if still else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    """The rehearsal's public face: the TLS port, the CA and the secrets."""

    folder: Path
    port: int
    ca_file: Path
    secrets: dict[str, str] = field(default_factory=dict)
    extra_environ: dict[str, str] = field(default_factory=dict)  # e.g. boto3 pointed at moto

    def url(self, role: str) -> str:
        return f"https://{HOSTS[role]}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        return {role: self.url(role) for role in HOSTS}

    def harness_environ(self, **extra: str) -> dict[str, str]:
        """What the gate and doctor get: the CA through standard variables, staging's secrets."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPFLOW_LOCAL_", "SHOPFLOW_RUN_"))}
        env.update(
            SSL_CERT_FILE=str(self.ca_file),
            REQUESTS_CA_BUNDLE=str(self.ca_file),
            SHOPFLOW_BROWSER_CA_FILE=str(self.ca_file),
            **{STAGING_SECRETS[role]: value for role, value in self.secrets.items()},
            **self.extra_environ,
            **extra,
        )
        env.pop("SHOPFLOW_ENV", None)
        env.pop("SHOPFLOW_ENV_FILE", None)
        return env

    def env_file(self, name: str = "rehearsal", capabilities: dict[str, object] | None = None, aws: str = "") -> Path:
        """An environment shaped exactly like data/environments.toml's `staging`: same keys and
        secret roles, no payments URL, no stack name, no default secrets."""
        given: dict[str, object] = {
            "payments_sandbox": False,
            "mailbox": True,
            "server_logs": "cloudwatch" if aws else "none",
            "admin_api": True,
            "fault_switches": False,
            **(capabilities or {}),
        }
        lines = [
            f"[environments.{name}]",
            'description = "staging rehearsal: the local stack behind nginx with TLS (tests/rehearsal/)"',
            *(f'{role}_url = "{self.url(role)}"' for role in ("web", "admin", "api")),
            'policy = "read-write"',
            "managed_stack = false",
            "allow_default_secrets = false",
            f'internal_host = "{INTERNAL_HOST}"',
            "",
            f"[environments.{name}.capabilities]",
            *(f"{key} = {json.dumps(value)}" for key, value in given.items()),
            "",
            f"[environments.{name}.secrets]",
            *(f'{role} = "{variable}"' for role, variable in STAGING_SECRETS.items()),
            "",
            f"[environments.{name}.capacity]",
            "web = 2",
            "api = 2",
            "worker = 1",
            "",
            aws.replace("<name>", name),
        ]
        path = self.folder / f"{name}.toml"
        path.write_text("\n".join(lines) + "\n")
        return path


def make_site(folder: Path) -> Site:
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert(*HOSTS.values())
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server.private_key_pem.write_to_path(str(folder / "server.key"))
    (folder / "server.pem").write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    chosen = {
        "token": secrets.token_urlsafe(24),
        "admin_token": secrets.token_urlsafe(24),
        "admin_user": f"staff-{secrets.token_hex(4)}@rehearsal.example",
        "admin_password": secrets.token_urlsafe(18),
    }
    return Site(folder, free_port(), ca_file, chosen)


# ---- the stack behind it -------------------------------------------------------------------


@dataclass
class Stack:
    name: str
    version: str
    ports: dict[str, int]


def start_stack(site: Site, name: str, version: str, faults: tuple[str, ...] = ()) -> Stack:
    """`python -m shopflow_stack up` as a process, told how browsers reach it through the proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGING_")}
    env.update(
        SHOPFLOW_SHOP_ORIGINS=site.url("web"),
        SHOPFLOW_TRUSTED_PROXIES="127.0.0.1",
        SHOPFLOW_PAYMENTS_PUBLIC_URL=site.url("payments"),
        **{STACK_SECRETS[role]: value for role, value in site.secrets.items()},
    )
    command = [sys.executable, "-m", "shopflow_stack", "up", "--name", name, "--version", version, "--json"]
    for fault in faults:
        command += ["--fault", fault]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"stack {name} did not start: {done.stderr.strip()[-800:]}")
    state = json.loads(done.stdout.strip().splitlines()[-1])
    ports = {role: int(url.rsplit(":", 1)[1]) for role, url in state["urls"].items()}
    return Stack(name, version, ports)


def stop_stack(name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "shopflow_stack", "down", "--name", name], cwd=REPO_ROOT, capture_output=True, timeout=120
    )


# ---- nginx ---------------------------------------------------------------------------------


class Proxy:
    """nginx in the foreground as a child process, fronting one stack — or two during a rolling
    deploy, requests shared between the old and the new build."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.prefix = site.folder / "nginx"
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        self.config = self.prefix / "nginx.conf"
        self.process: subprocess.Popen[bytes] | None = None
        self.stack: Stack | None = None

    def _write(self, stacks: tuple[Stack, ...]) -> None:
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the prefix (pytest's tmp is 0700)
        servers = "".join(
            f"  upstream {role} {{ {''.join(f'server 127.0.0.1:{s.ports[role]}; ' for s in stacks)}}}\n"
            f"  server {{ listen 127.0.0.1:{self.site.port} ssl; server_name {host};\n"
            f"    location / {{ proxy_pass http://{role}; }} }}\n"
            for role, host in HOSTS.items()
        )
        tmp = self.prefix / "tmp"
        self.config.write_text(
            f"{user}worker_processes 1;\nerror_log {self.prefix}/error.log warn;\npid {self.prefix}/nginx.pid;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            f"  access_log {self.prefix}/access.log;\n"
            + "".join(f"  {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  ssl_certificate {self.site.folder}/server.pem;\n  ssl_certificate_key {self.site.folder}/server.key;\n"
            '  client_max_body_size 2m;\n  proxy_http_version 1.1;\n  proxy_set_header Connection "";\n'
            "  proxy_set_header Host $http_host;\n  proxy_set_header X-Forwarded-Proto https;\n"
            "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n  proxy_read_timeout 120s;\n"
            f"  server {{ listen 127.0.0.1:{self.site.port} ssl default_server; return 421; }}\n"
            f"{servers}}}\n"
        )

    def start(self, stack: Stack) -> None:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed: run `make setup` (apt package nginx-light)")
        self._write((stack,))
        self.process = subprocess.Popen(
            [nginx, "-p", str(self.prefix), "-c", str(self.config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.stack = stack
        self.wait_for(stack)

    def switch(self, *stacks: Stack, wait: bool = True) -> None:
        """Put `stacks` behind the proxy (nginx re-reads its config; old workers finish their
        requests); waits until the last one answers unless `wait` is false."""
        assert self.process is not None
        self._write(stacks)
        self.process.send_signal(signal.SIGHUP)
        self.stack = stacks[-1]
        if wait:
            self.wait_for(stacks[-1])

    def wait_for(self, stack: Stack, timeout: float = 30) -> None:
        """Until /health through the proxy reports `stack`'s version."""
        deadline = time.monotonic() + timeout
        last = ""
        with httpx.Client(verify=_ssl_context(self.site.ca_file), timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"nginx exited: {self.process.stderr.read().decode()[-500:] if self.process.stderr else ''}"
                    )
                try:
                    body = client.get(f"{self.site.url('api')}/health").json()
                    if body.get("version") == stack.version:
                        return
                    last = str(body.get("version"))
                except (httpx.HTTPError, ValueError) as error:
                    last = repr(error)
                time.sleep(0.2)
        raise RuntimeError(f"the proxy does not serve {stack.name} ({stack.version}) after {timeout} s: {last}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, master exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def _ssl_context(ca_file: Path):  # type: ignore[no-untyped-def]
    import ssl

    return ssl.create_default_context(cafile=str(ca_file))


# ---- CloudWatch Logs (moto) ----------------------------------------------------------------

LOG_GROUPS = {service: f"/ecs/rehearsal-{service}" for service in ("web", "admin", "api", "worker")}
AWS_REGION = "us-east-1"


def aws_table() -> str:
    """The env file's `[…aws]` table: where staging's services log (`<name>`: the environment)."""
    groups = ", ".join(f'{service} = "{group}"' for service, group in LOG_GROUPS.items())
    return f'[environments.<name>.aws]\nregion = "{AWS_REGION}"\nlog_groups = {{ {groups} }}\n'


def aws_environ(endpoint: str, folder: Path) -> dict[str, str]:
    """boto3 pointed at moto with dummy keys; nothing of the user's AWS set-up."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(folder / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _line_ms(line: str) -> int:
    try:
        stamp = time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S"))
        return int(stamp * 1000) + int(line[20:23])
    except ValueError:
        return int(time.time() * 1000)


class LogShipper:
    """What ECS's awslogs driver does on staging: the services' log lines into CloudWatch Logs
    (here moto), one stream per stack, every half second."""

    def __init__(self, endpoint: str, folder: Path) -> None:
        import boto3

        self.logs = boto3.client("logs", region_name=AWS_REGION, endpoint_url=endpoint, **_keys())
        for group in LOG_GROUPS.values():
            self.logs.create_log_group(logGroupName=group)
        self.offsets: dict[Path, int] = {}
        self.stacks: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rehearsal-log-shipper", daemon=True)

    def follow(self, stack_name: str) -> None:
        for group in LOG_GROUPS.values():
            self.logs.create_log_stream(logGroupName=group, logStreamName=stack_name)
        self.stacks.append(stack_name)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopping.wait(0.5):
            for stack_name in list(self.stacks):
                for service, group in LOG_GROUPS.items():
                    self._ship(REPO_ROOT / ".shopflow" / "stacks" / stack_name / "logs" / f"{service}.log", group, stack_name)

    def _ship(self, path: Path, group: str, stream: str) -> None:
        try:
            with path.open("rb") as handle:
                handle.seek(self.offsets.get(path, 0))
                chunk = handle.read()
        except OSError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]
        if not complete:
            return
        self.offsets[path] = self.offsets.get(path, 0) + len(complete)
        lines = [line for line in complete.decode(errors="replace").splitlines() if line.strip()]
        events = sorted(({"timestamp": _line_ms(line), "message": line} for line in lines), key=lambda e: e["timestamp"])
        for start in range(0, len(events), 500):
            self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[start : start + 500])


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
