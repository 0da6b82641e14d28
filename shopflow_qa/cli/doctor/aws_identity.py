"""Are AWS credentials usable ($AWS_PROFILE, STS GetCallerIdentity) where the environment uses AWS?"""

from __future__ import annotations

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext
from shopflow_qa.core import aws as aws_clients

NAME = "aws credentials"


def check(ctx: DoctorContext) -> list[CheckResult]:
    aws = ctx.environment.aws
    if aws is None:
        return [ctx.skip(NAME, f"'{ctx.environment.name}' names no AWS resources")]
    profile = ctx.environ.get("AWS_PROFILE")
    fix = (
        f"`aws sso login --profile {profile}` or refresh that profile's keys"
        if profile
        else "export AWS_PROFILE=<your profile> (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in CI)"
    )
    try:
        identity = aws_clients.client(aws, "sts").get_caller_identity()
    except Exception as error:  # any botocore failure is the finding; describe it in one line
        return [ctx.fail(NAME, aws_clients.describe_error(error), fix)]
    ctx.aws_usable = True
    shown = f"profile {profile}, " if profile else ""
    return [ctx.ok(NAME, f"{shown}account {identity['Account']} as {identity['Arn']}")]
