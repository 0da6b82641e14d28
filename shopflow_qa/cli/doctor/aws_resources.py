"""Do the ECS services and CloudWatch log groups that environments.toml names exist?

Failure diagnostics read those log groups and the deploy wait reads those services' events;
a renamed service or group would otherwise only show up as missing diagnostics on a red day.
"""

from __future__ import annotations

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext
from shopflow_qa.core import aws as aws_clients

NAME = "aws resources"


def check(ctx: DoctorContext) -> list[CheckResult]:
    aws = ctx.environment.aws
    if aws is None:
        return [ctx.skip(NAME, f"'{ctx.environment.name}' names no AWS resources")]
    if not ctx.aws_usable:
        return [ctx.skip(NAME, "not checked (no usable AWS credentials)")]
    try:
        missing = _missing_services(aws) + _missing_log_groups(aws)
    except Exception as error:  # credentials or permissions: one line, the identity check says more
        return [
            ctx.fail(
                NAME, aws_clients.describe_error(error), "grant ecs:DescribeServices and logs:DescribeLogGroups to this identity"
            )
        ]
    if missing:
        return [
            ctx.fail(
                NAME, f"not found: {', '.join(missing)}", "fix the names under [environments.<env>.aws] in the environment file"
            )
        ]
    return [
        ctx.ok(NAME, f"ECS cluster {aws.ecs_cluster}: {len(aws.ecs_services)} services, {len(aws.log_groups)} log groups found")
    ]


def _missing_services(aws) -> list[str]:
    names = list(aws.ecs_services.values())
    if not names:
        return []
    response = aws_clients.client(aws, "ecs").describe_services(cluster=aws.ecs_cluster, services=names)
    found = {s["serviceName"] for s in response.get("services", []) if s.get("status") != "INACTIVE"}
    return [f"ecs service {n}" for n in names if n not in found]


def _missing_log_groups(aws) -> list[str]:
    logs = aws_clients.client(aws, "logs")
    missing = []
    for group in aws.log_groups.values():
        response = logs.describe_log_groups(logGroupNamePrefix=group)
        if not any(g["logGroupName"] == group for g in response.get("logGroups", [])):
            missing.append(f"log group {group}")
    return missing
