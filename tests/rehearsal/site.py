"""A staging rehearsal: the local stack behind nginx, over TLS from a throw-away CA, on hostnames
of its own, described only by an env file shaped like `staging` in data/environments.toml.

- **Proxy**: nginx (Debian's `nginx-light`, installed by `make setup`): nginx.py. Server logs
  in CloudWatch (moto): cloudwatch.py. The stack is started as a process and told its public
  face (`SHOPFLOW_SHOP_ORIGINS`, `SHOPFLOW_PAYMENTS_PUBLIC_URL`, `SHOPFLOW_TRUSTED_PROXIES`).
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
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.ops.conftest import free_port

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
