"""A deploy that never goes live: the gate writes the ECS services' recent events (moto) into the run."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3

from tests.ops.conftest import run_cli


def test_deploy_wait_timeout_attaches_the_ecs_service_events(ops_stack, aws_env, monkeypatch, tmp_path: Path):
    for key, value in aws_env.items():
        monkeypatch.setenv(key, value)
    suffix = uuid.uuid4().hex[:8]
    cluster, service = f"shopflow-gate-{suffix}", f"shopflow-gate-api-{suffix}"
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family=f"api-{suffix}", containerDefinitions=[{"name": "api", "image": "shopflow:new", "memory": 512}]
    )
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=f"api-{suffix}", desiredCount=2)
    env_file = tmp_path / "env.toml"
    env_file.write_text(
        ops_stack.env_file.read_text()
        + "\n".join(
            [
                "",
                f"[environments.{ops_stack.name}.aws]",
                'region = "us-east-1"',
                f'ecs_cluster = "{cluster}"',
                f'ecs_services = {{ api = "{service}" }}',
                "",
            ]
        )
    )
    reports = tmp_path / "reports"
    suites = tmp_path / "suites"  # never reached: the gate stops at the deploy wait
    suites.mkdir()
    (suites / "test_never.py").write_text("def test_never():\n    raise AssertionError('ran')\n")
    result = run_cli(
        "gate",
        "--env",
        ops_stack.name,
        "--env-file",
        str(env_file),
        "--expect-version",
        "0123456789abcdef0123456789abcdef01234567",
        "--wait-for-deploy",
        "0",
        "--no-load",
        "--quiet",
        "--suites-path",
        str(suites),
        env={**aws_env, "SHOPFLOW_REPORTS_DIR": str(reports), "SHOPFLOW_RUN_DIR": ""},
    )
    assert result.code == 2, result.stdout + result.stderr
    events_files = list(reports.glob("*-gate/diagnostics/ecs-service-events.txt"))
    assert len(events_files) == 1, result.stdout + result.stderr
    text = events_files[0].read_text()
    assert text.startswith(f"# ECS events of cluster {cluster}")
    assert f"deployment PRIMARY api-{suffix}:1" in text and f"[{service}]" in text
    assert "ECS service events in" in result.stdout + result.stderr
