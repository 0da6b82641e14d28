"""Server-side log lines for a failed test, and the ECS events of a deploy that never went live.

A failed test knows the `X-Request-Id` of every request it sent (shopflow_qa/core/api.py adds one to
each); the services log that id on the request's line (docs/api.md, "Conventions"). So the
lines that explain a failure are found by id — in the local stack's log files, or in the
CloudWatch log groups environments.toml names (whichever its `server_logs` capability says) — and, when no line names any id (a browser
test, a request that never reached the app), by the test's time window instead.

Plain Python: the pytest plugin attaches what this returns; the gate calls the ECS part.
boto3 is imported only on the AWS paths.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopflow_qa.core.environment import AwsResources, Environment
from shopflow_qa.core.paths import stacks_dir

MAX_LINES = 200  # per excerpt: enough to read a traceback, not a whole log
MAX_REQUEST_IDS = 20  # CloudWatch: one filter call per id (moto and AWS agree on "exact phrase")
WINDOW_SLACK_S = 1.0  # clocks of the test process and the service differ a little
CLOUDWATCH_LAG_S = 5.0  # CloudWatch ingests with a few seconds' delay: ids not found yet are looked for again up to this long
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:[,.](\d{1,6}))?")


@dataclass(frozen=True)
class LogExcerpt:
    """Log lines from one or more services, and how they were chosen."""

    source: str  # "local stack 'x'" or "CloudWatch"
    matched_by: str  # "request ids" or "time window"
    lines: list[str] = field(default_factory=list)

    def render(self) -> str:
        header = f"# {self.source}: {len(self.lines)} line(s) chosen by {self.matched_by}"
        return "\n".join([header, *self.lines]) + "\n"


# --- local stack -------------------------------------------------------------------------------


def stack_logs_dir(stack_name: str) -> Path:
    """Where the runner writes a stack's logs (shopflow_stack/runner.py), without importing stack/."""
    return stacks_dir() / stack_name / "logs"


def _line_time(line: str) -> float | None:
    match = _TIMESTAMP.match(line)
    if not match:
        return None
    seconds = time.mktime(time.strptime(match.group(1).replace("T", " "), "%Y-%m-%d %H:%M:%S"))
    fraction = match.group(2) or "0"
    return seconds + int(fraction) / 10 ** len(fraction)


def _entries(path: Path) -> list[tuple[float | None, list[str]]]:
    """A log file as entries: a timestamped line plus the untimestamped lines after it (tracebacks)."""
    entries: list[tuple[float | None, list[str]]] = []
    for line in path.read_text(errors="replace").splitlines():
        stamp = _line_time(line)
        if stamp is None and entries:
            entries[-1][1].append(line)
        else:
            entries.append((stamp, [line]))
    return entries


def local_log_excerpt(
    logs_dir: Path, request_ids: Sequence[str], start: float, end: float, source: str = "local stack"
) -> LogExcerpt | None:
    """Lines of every service's log naming one of `request_ids`; else those logged in [start, end]."""
    files = sorted(p for p in logs_dir.glob("*.log") if p.name != "prepare.log") if logs_dir.is_dir() else []
    if not files:
        return None
    by_id: list[tuple[float, str]] = []
    by_time: list[tuple[float, str]] = []
    ids = [i for i in request_ids if i]
    for path in files:
        service = path.stem
        for stamp, lines in _entries(path):
            text = "\n".join(lines)
            key = stamp or 0.0
            if ids and any(i in text for i in ids):
                by_id.extend((key, f"[{service}] {line}") for line in lines)
            elif stamp is not None and start - WINDOW_SLACK_S <= stamp <= end + WINDOW_SLACK_S:
                by_time.extend((key, f"[{service}] {line}") for line in lines)
    if by_id:
        return LogExcerpt(source, "request ids", _last(by_id))
    if by_time:
        return LogExcerpt(source, "time window", _last(by_time))
    return LogExcerpt(source, "time window", [])


def _last(stamped: list[tuple[float, str]]) -> list[str]:
    ordered = [line for _, line in sorted(stamped, key=lambda pair: pair[0])]  # stable: keeps tracebacks
    return ordered[-MAX_LINES:]


# --- CloudWatch ---------------------------------------------------------------------------------


def cloudwatch_log_excerpt(
    aws: AwsResources, request_ids: Sequence[str], start: float, end: float, client: Any = None, lag_s: float = 0.0
) -> LogExcerpt:
    """Events of the environment's log groups naming a request id; else those in [start, end].

    `lag_s`: CloudWatch ingests with a delay, so the newest requests' lines may not be there yet
    when a test has just failed: ids not found are looked for again, once a second, for up to that
    long (a failed test's last request is usually the one that matters).
    """
    from shopflow_qa.core import aws as aws_clients

    logs = client or aws_clients.client(aws, "logs")
    window = {"startTime": int((start - WINDOW_SLACK_S) * 1000), "endTime": int((end + WINDOW_SLACK_S) * 1000)}
    missing = [i for i in request_ids if i][:MAX_REQUEST_IDS]
    found: dict[str, tuple[int, str]] = {}
    deadline = time.monotonic() + lag_s
    while missing:
        for request_id in list(missing):
            for service, group in aws.log_groups.items():
                for event in _events(logs, group, filterPattern=f'"{request_id}"', **window):
                    found[event["eventId"]] = (event["timestamp"], f"[{service}] {event['message'].rstrip()}")
                    if request_id in missing:
                        missing.remove(request_id)
        if not missing or time.monotonic() >= deadline:
            break
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    if found:
        return LogExcerpt("CloudWatch", "request ids", [line for _, line in sorted(found.values())][-MAX_LINES:])
    for service, group in aws.log_groups.items():
        for event in _events(logs, group, **window):
            found[event["eventId"]] = (event["timestamp"], f"[{service}] {event['message'].rstrip()}")
    return LogExcerpt("CloudWatch", "time window", [line for _, line in sorted(found.values())][-MAX_LINES:])


def _events(logs: Any, group: str, **kwargs: Any) -> Iterable[dict[str, Any]]:
    """filter_log_events, following nextToken, bounded by MAX_LINES events."""
    seen = 0
    token = None
    while seen < MAX_LINES:
        page = logs.filter_log_events(logGroupName=group, limit=MAX_LINES, **({"nextToken": token} if token else {}), **kwargs)
        for event in page.get("events", []):
            seen += 1
            yield event
        token = page.get("nextToken")
        if not token:
            return


# --- choosing the source ------------------------------------------------------------------------


def server_log_excerpt(environment: Environment, request_ids: Sequence[str], start: float, end: float) -> LogExcerpt | None:
    """The failure's server-side lines from wherever this environment logs; None if it logs nowhere we read.

    Never raises for AWS trouble: a diagnostic must not turn one failure into two. The
    returned excerpt then says why it is empty.
    """
    source = environment.capabilities.server_logs  # declared in the environment's table, never guessed
    if source == "local" and environment.stack_name:
        logs_dir = stack_logs_dir(environment.stack_name)
        if logs_dir.is_dir():
            return local_log_excerpt(logs_dir, request_ids, start, end, f"local stack '{environment.stack_name}'")
    if source == "cloudwatch" and environment.aws and environment.aws.log_groups:
        try:
            return cloudwatch_log_excerpt(environment.aws, request_ids, start, end, lag_s=CLOUDWATCH_LAG_S)
        except Exception as error:  # credentials, permissions, network: say so instead of failing
            from shopflow_qa.core import aws as aws_clients

            return LogExcerpt(
                "CloudWatch", "nothing (unavailable)", [f"could not read CloudWatch logs: {aws_clients.describe_error(error)}"]
            )
    return None


def request_ids_of(headers_per_request: Iterable[Iterable[tuple[str, str]]]) -> list[str]:
    """The X-Request-Id values among requests' headers, in order, without repeats."""
    ids: dict[str, None] = {}
    for headers in headers_per_request:
        for name, value in headers:
            if name.lower() == "x-request-id" and value:
                ids[value] = None
    return list(ids)


# --- ECS: why a deploy did not go live ---------------------------------------------------------


def ecs_service_events(aws: AwsResources, limit: int = 20, client: Any = None) -> list[str]:
    """The newest events of the environment's ECS services ("has reached a steady state", "unable to place…")."""
    from shopflow_qa.core import aws as aws_clients

    ecs = client or aws_clients.client(aws, "ecs")
    names = list(aws.ecs_services.values())
    if not names:
        return []
    response = ecs.describe_services(cluster=aws.ecs_cluster, services=names)
    events = []
    for service in response.get("services", []):
        for event in service.get("events", [])[:limit]:
            stamp = event["createdAt"]
            when = stamp.strftime("%Y-%m-%d %H:%M:%S %Z") if hasattr(stamp, "strftime") else str(stamp)
            events.append((str(stamp), f"{when} [{service['serviceName']}] {event['message']}"))
        deployments = service.get("deployments", [])
        for deployment in deployments:
            events.append(
                (
                    "~",
                    f"deployment {deployment.get('status')} {deployment.get('taskDefinition', '').rsplit('/', 1)[-1]}: "
                    f"{deployment.get('runningCount', 0)}/{deployment.get('desiredCount', 0)} running, "
                    f"rollout {deployment.get('rolloutState', '?')} [{service['serviceName']}]",
                )
            )
    return [line for _, line in sorted(events, reverse=True)][: limit * max(1, len(names))]


def deploy_timeout_report(environment: Environment) -> str | None:
    """Text to attach when the deploy wait times out: the ECS services' recent events; None without ECS."""
    if not environment.aws or not environment.aws.ecs_services:
        return None
    try:
        lines = ecs_service_events(environment.aws)
    except Exception as error:  # the timeout is the finding; a failed lookup only annotates it
        from shopflow_qa.core import aws as aws_clients

        return f"# ECS events of {environment.aws.ecs_cluster}: unavailable ({aws_clients.describe_error(error)})\n"
    return "\n".join([f"# ECS events of cluster {environment.aws.ecs_cluster}, newest first", *lines]) + "\n"
