"""Server-side diagnostics: local stack logs by request id or time window; CloudWatch and ECS on moto."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest

from shopflow_qa.core import diagnostics
from shopflow_qa.core.capabilities import Capabilities
from shopflow_qa.core.environment import AwsResources, Environment


def _stamp(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) + f",{int(at % 1 * 1000):03d}"


def test_local_excerpt_picks_lines_by_request_id_with_their_traceback(tmp_path: Path):
    now = time.time()
    (tmp_path / "api.log").write_text(
        f"{_stamp(now - 5)} api INFO stack.api GET /api/products 200 1.0ms request_id=aaa traceparent=- test_run=-\n"
        f"{_stamp(now - 4)} api ERROR stack.api unhandled KeyError on POST /api/orders request_id=bbb\n"
        "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'cart'\n"
        f"{_stamp(now - 3)} api INFO stack.api POST /api/orders 500 2.0ms request_id=bbb traceparent=- test_run=-\n"
    )
    (tmp_path / "web.log").write_text(f"{_stamp(now - 4)} web INFO stack.web GET / 200 request_id=ccc\n")
    excerpt = diagnostics.local_log_excerpt(tmp_path, ["bbb"], now - 10, now)
    assert excerpt.matched_by == "request ids"
    assert [line.split(" api ")[-1] for line in excerpt.lines[:1]] == [
        "ERROR stack.api unhandled KeyError on POST /api/orders request_id=bbb"
    ]
    assert "[api] KeyError: 'cart'" in excerpt.lines
    assert all("request_id=aaa" not in line and "ccc" not in line for line in excerpt.lines)


def test_local_excerpt_falls_back_to_the_time_window(tmp_path: Path):
    now = time.time()
    (tmp_path / "api.log").write_text(
        f"{_stamp(now - 3600)} api INFO old line request_id=old\n{_stamp(now - 2)} api WARNING database slow request_id=zzz\n"
    )
    excerpt = diagnostics.local_log_excerpt(tmp_path, ["not-logged"], now - 5, now)
    assert excerpt.matched_by == "time window"
    assert excerpt.lines == [f"[api] {_stamp(now - 2)} api WARNING database slow request_id=zzz"]


def test_request_ids_of_exchanges_in_order_without_repeats():
    headers = [[("X-Request-Id", "a"), ("traceparent", "00-x")], [("x-request-id", "b")], [("X-Request-Id", "a")]]
    assert diagnostics.request_ids_of(headers) == ["a", "b"]


# --- AWS on moto ------------------------------------------------------------------------------


@pytest.fixture
def moto_aws(aws_env: dict[str, str], monkeypatch) -> AwsResources:
    for key, value in aws_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    suffix = uuid.uuid4().hex[:8]
    return AwsResources(
        region="us-east-1",
        ecs_cluster=f"shopflow-test-{suffix}",
        ecs_services={"api": f"shopflow-test-api-{suffix}"},
        log_groups={"api": f"/ecs/shopflow-test-api-{suffix}", "worker": f"/ecs/shopflow-test-worker-{suffix}"},
    )


def _put_events(aws: AwsResources, service: str, messages: list[tuple[float, str]]) -> None:
    logs = boto3.client("logs", region_name=aws.region)
    group = aws.log_groups[service]
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="ecs/api/1")
    if messages:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="ecs/api/1",
            logEvents=[{"timestamp": int(at * 1000), "message": text} for at, text in messages],
        )


def test_cloudwatch_excerpt_by_request_id(moto_aws: AwsResources):
    now = time.time()
    _put_events(
        moto_aws,
        "api",
        [
            (now - 9, "GET /api/products 200 request_id=r-one"),
            (now - 8, "POST /api/orders 500 request_id=r-two"),
            (now - 7, "Traceback for r-two: KeyError"),
        ],
    )
    _put_events(moto_aws, "worker", [(now - 6, "job failed request_id=r-two")])
    excerpt = diagnostics.cloudwatch_log_excerpt(moto_aws, ["r-two"], now - 30, now)
    assert excerpt.matched_by == "request ids"
    assert excerpt.lines == [
        "[api] POST /api/orders 500 request_id=r-two",
        "[api] Traceback for r-two: KeyError",
        "[worker] job failed request_id=r-two",
    ]


def test_cloudwatch_excerpt_falls_back_to_the_time_window(moto_aws: AwsResources):
    now = time.time()
    _put_events(moto_aws, "api", [(now - 600, "long ago"), (now - 3, "recent line")])
    _put_events(moto_aws, "worker", [])
    excerpt = diagnostics.cloudwatch_log_excerpt(moto_aws, ["nobody-logged-this"], now - 10, now)
    assert (excerpt.matched_by, excerpt.lines) == ("time window", ["[api] recent line"])


def test_server_log_excerpt_reports_unreadable_cloudwatch_instead_of_raising(moto_aws: AwsResources):
    environment = Environment(
        name="staging-like",
        web_url="https://x.invalid",
        api_url="https://x.invalid",
        aws=moto_aws,
        capabilities=Capabilities(server_logs="cloudwatch"),
    )
    excerpt = diagnostics.server_log_excerpt(environment, ["r"], time.time() - 5, time.time())
    assert excerpt is not None and excerpt.matched_by == "nothing (unavailable)"
    assert "ResourceNotFoundException" in excerpt.lines[0]


def test_deploy_timeout_report_lists_the_ecs_services_deployments(moto_aws: AwsResources):
    ecs = boto3.client("ecs", region_name=moto_aws.region)
    ecs.create_cluster(clusterName=moto_aws.ecs_cluster)
    ecs.register_task_definition(
        family="shopflow-api",
        containerDefinitions=[
            {"name": "api", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shopflow:abc1234", "memory": 512}
        ],
    )
    ecs.create_service(
        cluster=moto_aws.ecs_cluster, serviceName=moto_aws.ecs_services["api"], taskDefinition="shopflow-api", desiredCount=2
    )
    environment = Environment(
        name="staging-like",
        web_url="https://x.invalid",
        api_url="https://x.invalid",
        aws=moto_aws,
        capabilities=Capabilities(server_logs="cloudwatch"),
    )
    report = diagnostics.deploy_timeout_report(environment)
    assert report.startswith(f"# ECS events of cluster {moto_aws.ecs_cluster}")
    assert f"[{moto_aws.ecs_services['api']}]" in report and "deployment PRIMARY shopflow-api:1" in report


def test_deploy_timeout_report_without_ecs_is_none():
    assert diagnostics.deploy_timeout_report(Environment(name="l", web_url="http://a", api_url="http://a")) is None


def _ingested_later(aws: AwsResources, when: float, message: str) -> threading.Timer:
    """The worker's line `message` (stamped `when`) reaches CloudWatch half a second from now."""
    logs = boto3.client("logs", region_name=aws.region)
    late = threading.Timer(
        0.5,
        lambda: logs.put_log_events(
            logGroupName=aws.log_groups["worker"],
            logStreamName="ecs/api/1",
            logEvents=[{"timestamp": int(when * 1000), "message": message}],
        ),
    )
    late.start()
    return late


def test_cloudwatch_excerpt_looks_again_for_late_ingested_lines(moto_aws: AwsResources):
    now = time.time()
    _put_events(moto_aws, "api", [(now - 9, "unrelated line")])
    _put_events(moto_aws, "worker", [])
    late = _ingested_later(moto_aws, now - 2, "late line request_id=r-late")
    excerpt = diagnostics.cloudwatch_log_excerpt(moto_aws, ["r-late"], now - 30, now, lag_s=1.5)
    late.join()
    assert (excerpt.matched_by, excerpt.lines) == ("request ids", ["[worker] late line request_id=r-late"])


def test_cloudwatch_excerpt_waits_for_the_last_requests_lines_when_the_first_are_already_in(moto_aws: AwsResources):
    """A failed test's early requests are ingested, its last (the one that failed) not yet: the
    excerpt must not stop at the early ones."""
    now = time.time()
    _put_events(moto_aws, "api", [(now - 5, "POST /api/carts request_id=r-early")])
    _put_events(moto_aws, "worker", [])
    late = _ingested_later(moto_aws, now - 1, "POST /api/orders/7/pay request_id=r-last")
    excerpt = diagnostics.cloudwatch_log_excerpt(moto_aws, ["r-early", "r-last"], now - 30, now, lag_s=3.0)
    late.join()
    assert excerpt.lines == [
        "[api] POST /api/carts request_id=r-early",
        "[worker] POST /api/orders/7/pay request_id=r-last",
    ]
