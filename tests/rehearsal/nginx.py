"""nginx in front of the rehearsal's stack: one TLS port, one server block per hostname.

`Host` and `X-Forwarded-Proto` are passed on (the stack believes them from 127.0.0.1 only);
swapping the build behind it is a config rewrite and a reload (SIGHUP), old workers finishing
their requests — a rolling deploy, or a faulty build going live.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from shopflow_qa.cli.setup import find_nginx
from tests.rehearsal.site import HOSTS, Site, Stack


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


def _ssl_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))
