"""boto3 clients for an environment's AWS resources (environments.toml `[…aws]`).

One place sets the profile ($AWS_PROFILE, read by boto3 itself), the region from the
environment, and short timeouts with one attempt: doctor and failure diagnostics must
answer in seconds, and a diagnostic that hangs would hide the failure it is explaining.
$AWS_ENDPOINT_URL (honoured by boto3) points everything at moto in the harness's tests.
"""

from __future__ import annotations

from typing import Any

from shopflow_qa.core.environment import AwsResources

CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 10


class AwsUnavailable(Exception):
    """No usable credentials or profile, or AWS did not answer; the message says which."""


def client(aws: AwsResources, service: str) -> Any:
    """A boto3 client for `service` in the environment's region."""
    import boto3
    import botocore.config
    import botocore.exceptions

    config = botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    try:
        session = boto3.session.Session(region_name=aws.region or None)
        return session.client(service, config=config)
    except botocore.exceptions.ProfileNotFound as error:
        raise AwsUnavailable(str(error)) from None


def describe_error(error: Exception) -> str:
    """A one-line, secret-free description of a boto3/botocore failure."""
    import botocore.exceptions

    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'ClientError')}: {details.get('Message', '')}".strip()
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found"
    return f"{type(error).__name__}: {error}"
