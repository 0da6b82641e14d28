"""What the `api` fixture's client adds per request over raw httpx, written to
benchmarks/results/api_overhead.md.

Target: under 2 ms added per request. The client adds the card guard on the body,
request id and traceparent headers, the run tag, and one exchange-log entry per request.

Two measurements, interleaved so that both see the same machine load:
1. over the network, the same endpoint: a real ShopFlow API (`--url`, default: the `local`
   environment's API when it answers, else a small threaded server started here on 127.0.0.1);
2. without a network (httpx.MockTransport), which isolates the client's own cost.

    .venv/bin/python benchmarks/api_overhead.py [--requests 2000] [--url http://127.0.0.1:8602] [--path /health]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shopflow_qa.core.api import ShopFlowClient  # noqa: E402
from shopflow_qa.core.environment import resolve_environment  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "api_overhead.md"
TARGET_MS = 2.0
BODY = {
    "cart_id": 12345,
    "email": "bench@example.com",
    "shipping_address": {"name": "Ann", "line1": "1 St", "city": "X", "postal_code": "1", "country": "US"},
}


def _local_server() -> tuple[str, Callable[[], None]]:
    payload = json.dumps({"status": "ok", "items": [{"id": i, "name": f"p{i}"} for i in range(20)]}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms per keep-alive request

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server.shutdown


def _token() -> str:
    """The local environment's service token, so both clients get the same (authorised) answer."""
    try:
        return resolve_environment("local").secret("token")
    except Exception:
        return "bench-token"


def _target(url: str | None) -> tuple[str, str, Callable[[], None]]:
    if url:
        return url, "given", lambda: None
    try:
        local = resolve_environment("local").url("api")
        httpx.get(f"{local}/health", timeout=1.0)
        return local, "the local stack's API", lambda: None
    except (httpx.HTTPError, Exception):
        served, stop = _local_server()
        return served, "a threaded server started by this script", stop


def _time(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _measure(
    raw: httpx.Client, ours: ShopFlowClient, method: str, path: str, n: int, rounds: int = 10
) -> tuple[list[float], list[float]]:
    """Alternate small batches of raw and wrapped requests; returns (raw, ours) samples in ms."""
    json_body = BODY if method == "POST" else None
    token = _token()
    statuses = {
        raw.request(method, path, json=json_body, headers={"Authorization": f"Bearer {token}"}).status_code,
        ours.request(method, path, json=json_body).status_code,
    }
    if len(statuses) != 1:
        raise SystemExit(f"raw and wrapped requests got different answers {statuses}: not the same work")
    raw_samples: list[float] = []
    our_samples: list[float] = []
    for _ in range(rounds):
        raw_samples += _time(
            lambda: raw.request(method, path, json=json_body, headers={"Authorization": f"Bearer {token}"}), n // rounds
        )
        our_samples += _time(lambda: ours.request(method, path, json=json_body), n // rounds)
    return raw_samples, our_samples


def _row(label: str, raw: list[float], ours: list[float]) -> str:
    def p(samples: list[float], q: float) -> float:
        return statistics.quantiles(samples, n=100)[int(q) - 1]

    added = statistics.median(ours) - statistics.median(raw)
    verdict = "met" if added < TARGET_MS else "MISSED"
    return (
        f"| {label} | {len(raw)} | {statistics.median(raw):.3f} | {statistics.median(ours):.3f} | "
        f"{p(raw, 95):.3f} | {p(ours, 95):.3f} | **{added:+.3f}** | {verdict} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--url", default=None)
    parser.add_argument("--path", default="/health")
    args = parser.parse_args()
    url, where, stop = _target(args.url)
    rows = []
    try:
        with httpx.Client(base_url=url, timeout=10) as raw, ShopFlowClient(url, _token(), run_id="bench") as ours:
            for _ in range(50):  # warm up both connection pools
                raw.get(args.path)
                ours.get(args.path)
            rows.append(_row(f"GET {args.path} over loopback", *_measure(raw, ours, "GET", args.path, args.requests)))
        mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"status": "ok"}))
        with (
            httpx.Client(base_url="http://bench.invalid", transport=mock) as raw,
            ShopFlowClient("http://bench.invalid", _token(), run_id="bench", transport=mock) as ours,
        ):
            rows.append(_row("GET, no network (MockTransport)", *_measure(raw, ours, "GET", "/api/products", args.requests)))
            rows.append(_row("POST JSON order body, no network", *_measure(raw, ours, "POST", "/api/orders", args.requests)))
    finally:
        stop()
    commit = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# API client overhead (`fixtures.api.ShopFlowClient` vs raw httpx)",
        "",
        f"Written by `benchmarks/api_overhead.py` on {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, commit {commit}, "
        f"{platform.node()} ({platform.python_version()}). Target: under {TARGET_MS:.0f} ms added per request "
        "(difference of medians). Raw and wrapped requests alternate in batches, same client settings.",
        f"Loopback target: {url}{args.path} ({where}).",
        "",
        "| case | requests each | raw median ms | ours median ms | raw p95 ms | ours p95 ms | added ms | target |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "What the client adds: card guard over the JSON body, `X-Request-Id`, `traceparent`, the run tag, "
        "bearer auth and one exchange-log entry (kept raw; redaction happens only when a failed test's "
        "exchanges are written).",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
