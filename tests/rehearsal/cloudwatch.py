"""Server logs in CloudWatch Logs, as on staging: a moto server (never a real account) fed with
the rehearsal stacks' log lines the way ECS's awslogs driver ships a service's output."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.rehearsal.site import REPO_ROOT

LOG_GROUPS = {service: f"/ecs/rehearsal-{service}" for service in ("web", "admin", "api", "worker")}
AWS_REGION = "us-east-1"


def aws_table() -> str:
    """The env file's `[…aws]` table: where staging's services log (`<name>`: the environment)."""
    groups = ", ".join(f'{service} = "{group}"' for service, group in LOG_GROUPS.items())
    return f'[environments.<name>.aws]\nregion = "{AWS_REGION}"\nlog_groups = {{ {groups} }}\n'


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
