"""`shopflow-qa doctor`: every check against a real local stack, TLS servers and moto."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from shopflow_qa.cli.doctor import aws_identity, browser, dns_tls, health, internal_host, secrets, tools
from shopflow_qa.cli.doctor.model import DoctorContext, Status
from shopflow_qa.core.environment import load_environments
from tests.ops.conftest import free_port, run_cli, write_env_file


def _stack_env(ops_stack):
    return load_environments([ops_stack.env_file])[ops_stack.name]


def _statuses(results) -> list[Status]:
    return [r.status for r in results]


# --- against the local stack, through the CLI -------------------------------------------------


def test_doctor_passes_stack_checks_against_a_healthy_local_stack(ops_stack):
    result = run_cli(
        "doctor",
        "--env",
        ops_stack.name,
        "--env-file",
        str(ops_stack.env_file),
        "--check",
        "secrets",
        "--check",
        "dns",
        "--check",
        "health",
        "--check",
        "vpn",
        "--check",
        "aws",
        "--check",
        "browser",
        "--check",
        "tools",
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.marked("✗") == []
    text = result.stdout
    assert "✓ environment file:" in text
    assert "✓ dns+tls 127.0.0.1: 127.0.0.1 (– TLS skipped: http URL)" in text
    assert f"✓ health api: {ops_stack.api_url} ok, version" in text
    assert "✓ browser:" in text and "✓ node.js:" in text and "✓ allure:" in text
    assert "– vpn:" in text and "– aws credentials:" in text
    assert "local-admin-token" not in text and "local-service-token" not in text


def test_missing_secret_gives_one_failure_line_with_a_fix_and_exit_1(ops_stack, tmp_path: Path):
    env_file = write_env_file(
        tmp_path / "env.toml",
        "ci_like",
        web_url=ops_stack.urls.get("web", ops_stack.api_url),
        api_url=ops_stack.api_url,
        secrets={"token": "SHOPFLOW_DOCTOR_TEST_TOKEN"},
    )
    result = run_cli(
        "doctor",
        "--env",
        "ci_like",
        "--env-file",
        str(env_file),
        "--check",
        "secrets",
        "--check",
        "dns",
        "--check",
        "health",
        env={"SHOPFLOW_DOCTOR_TEST_TOKEN": ""},
    )
    assert result.code == 1
    failures = result.marked("✗")
    assert failures == [
        "✗ secrets: $SHOPFLOW_DOCTOR_TEST_TOKEN not set — fix: export SHOPFLOW_DOCTOR_TEST_TOKEN=… (CI: from GitHub secrets)"
    ]


def test_secret_values_are_never_printed(ops_stack, tmp_path: Path):
    env_file = write_env_file(
        tmp_path / "env.toml",
        "ci_like",
        web_url=ops_stack.urls.get("web", ops_stack.api_url),
        api_url=ops_stack.api_url,
        secrets={"token": "SHOPFLOW_DOCTOR_TEST_TOKEN"},
    )
    result = run_cli(
        "doctor",
        "--env",
        "ci_like",
        "--env-file",
        str(env_file),
        "--check",
        "secrets",
        env={"SHOPFLOW_DOCTOR_TEST_TOKEN": "s3cr3t-value-never-shown"},
    )
    assert result.code == 0
    assert "✓ secrets: 1 variables available" in result.stdout
    assert "s3cr3t-value-never-shown" not in result.stdout + result.stderr


def test_unreachable_host_gives_one_failure_line_with_a_fix_and_exit_1(tmp_path: Path):
    closed = f"http://127.0.0.1:{free_port()}"
    env_file = write_env_file(
        tmp_path / "env.toml", "gone", web_url=closed, api_url=closed, secrets={"admin_token": "SHOPFLOW_DOCTOR_TEST_ADMIN"}
    )
    result = run_cli(
        "doctor",
        "--env",
        "gone",
        "--env-file",
        str(env_file),
        "--check",
        "dns",
        "--check",
        "health",
        "--check",
        "admin",
        env={"SHOPFLOW_DOCTOR_TEST_ADMIN": "x"},
        timeout=30,
    )
    assert result.code == 1
    failures = result.marked("✗")
    assert len(failures) == 1, result.stdout
    assert failures[0].startswith(f"✗ health api: {closed} unreachable (ConnectError) — fix: ")
    assert "– admin api: not probed (the API host is unreachable)" in result.stdout


def test_invalid_environment_file_is_a_failed_check(tmp_path: Path):
    env_file = tmp_path / "env.toml"
    env_file.write_text('[environments.bad]\nweb_url = "ftp://nope"\napi_url = "http://127.0.0.1:1"\n')
    result = run_cli("doctor", "--env", "bad", "--env-file", str(env_file))
    assert result.code == 1
    assert result.lines[0].startswith("✗ environment file: ") and "web_url: must be an http(s) URL" in result.lines[0]


def test_unknown_environment_or_check_is_a_usage_error():
    assert run_cli("doctor", "--env", "no-such-env").code == 2
    result = run_cli("doctor", "--check", "bogus")
    assert result.code == 2 and result.stderr.strip().startswith("shopflow-qa: error: unknown check 'bogus'")


# --- single checks, in process ----------------------------------------------------------------


def test_health_reports_version_and_checks_of_the_api(ops_stack):
    ctx = DoctorContext(_stack_env(ops_stack))
    results = health.check(ctx)
    assert results and _statuses(results) == [Status.OK] * len(results)
    api_line = next(r.line() for r in results if r.name == "health api")
    assert "version " in api_line


def test_secrets_check_lists_every_missing_variable():
    environment = load_environments()["staging"]
    results = secrets.check(DoctorContext(environment, environ={}))
    assert _statuses(results) == [Status.FAIL]
    for variable in environment.secret_variables.values():
        assert f"${variable}" in results[0].detail


def test_tls_certificate_days_to_expiry(tls_server, monkeypatch):
    server = tls_server(days=90)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    environment = replace(
        load_environments()["staging"],
        web_url=f"https://localhost:{server.port}",
        api_url=f"https://localhost:{server.port}",
        admin_url="",
    )
    results = dns_tls.check(DoctorContext(environment))
    assert _statuses(results) == [Status.OK]
    assert "certificate valid for 89 more days" in results[0].detail or "certificate valid for 90 more days" in results[0].detail


def test_tls_certificate_about_to_expire_fails(tls_server, monkeypatch):
    server = tls_server(days=2)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    environment = replace(
        load_environments()["staging"],
        web_url=f"https://localhost:{server.port}",
        api_url=f"https://localhost:{server.port}",
        admin_url="",
    )
    results = dns_tls.check(DoctorContext(environment))
    assert _statuses(results) == [Status.FAIL]
    assert "expires in" in results[0].detail and "renew" in results[0].fix


def test_untrusted_tls_certificate_fails(tls_server, tmp_path, monkeypatch):
    server = tls_server(days=90)
    other_ca = tmp_path / "empty-ca.pem"
    other_ca.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    environment = replace(
        load_environments()["staging"],
        web_url=f"https://localhost:{server.port}",
        api_url=f"https://localhost:{server.port}",
        admin_url="",
    )
    results = dns_tls.check(DoctorContext(environment))
    assert _statuses(results) == [Status.FAIL]
    assert "certificate not trusted" in results[0].detail


def test_unresolvable_host_fails_dns_and_is_not_probed_for_health():
    environment = replace(
        load_environments()["staging"],
        web_url="https://shopflow-doctor-test.invalid",
        api_url="https://shopflow-doctor-test.invalid",
        admin_url="",
    )
    ctx = DoctorContext(environment, timeout=2.0)
    assert _statuses(dns_tls.check(ctx)) == [Status.FAIL]
    assert _statuses(health.check(ctx)) == [Status.SKIP]


@pytest.mark.parametrize(("host", "expected"), [("localhost", Status.OK), ("staging-internal.invalid", Status.FAIL)])
def test_vpn_only_internal_host(host: str, expected: Status):
    environment = replace(load_environments()["staging"], internal_host=host)
    results = internal_host.check(DoctorContext(environment, timeout=2.0))
    assert _statuses(results) == [expected]
    if expected is Status.FAIL:
        assert "VPN" in results[0].fix


def test_browser_launches_headless():
    results = browser.check(DoctorContext(load_environments()["local"]))
    assert _statuses(results) == [Status.OK], results[0].line()


def test_broken_browser_is_reported(monkeypatch, tmp_path: Path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SHOPFLOW_CHROMIUM", str(fake))
    results = browser.check(DoctorContext(load_environments()["local"]))
    assert _statuses(results) == [Status.FAIL]
    assert "cannot open display" in results[0].detail and "make setup" in results[0].fix


def test_node_is_found_and_allure_is_looked_up(monkeypatch):
    results = {r.name: r for r in tools.check(DoctorContext(load_environments()["local"]))}
    assert results["node.js"].status is Status.OK
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(tools.allure_report, "ALLURE_DIR", Path("/nonexistent"))
    missing = {r.name: r for r in tools.check(DoctorContext(load_environments()["local"]))}
    assert missing["node.js"].status is Status.FAIL and missing["allure"].status is Status.FAIL


# --- AWS, against moto ------------------------------------------------------------------------


def _aws_env_file(tmp_path: Path, cluster: str, service: str, group: str) -> Path:
    return write_env_file(
        tmp_path / "aws-env.toml",
        "staging_like",
        web_url="https://staging.example.invalid",
        api_url="https://staging-api.example.invalid",
        aws={"region": "us-east-1", "ecs_cluster": cluster, "ecs_services": {"api": service}, "log_groups": {"api": group}},
    )


def _profile(aws_env: dict[str, str], name: str) -> dict[str, str]:
    """A named profile in a throwaway credentials file, selected by AWS_PROFILE (no key variables)."""
    Path(aws_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[{name}]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    Path(aws_env["AWS_CONFIG_FILE"]).write_text(f"[profile {name}]\nregion = us-east-1\n")
    env = {**aws_env, "AWS_PROFILE": name}
    env["AWS_ACCESS_KEY_ID"] = env["AWS_SECRET_ACCESS_KEY"] = ""
    return env


def _create_resources(aws_env: dict[str, str], cluster: str, service: str, group: str | None) -> None:
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    ecs = session.client("ecs", endpoint_url=aws_env["AWS_ENDPOINT_URL"])
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family=service, containerDefinitions=[{"name": "api", "image": "shopflow:1", "memory": 512}])
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=service, desiredCount=1)
    if group:
        session.client("logs", endpoint_url=aws_env["AWS_ENDPOINT_URL"]).create_log_group(logGroupName=group)


def test_aws_credentials_and_resources_through_a_profile(aws_env, tmp_path: Path):
    suffix = uuid.uuid4().hex[:8]
    cluster, service, group = f"sf-{suffix}", f"sf-api-{suffix}", f"/ecs/sf-api-{suffix}"
    _create_resources(aws_env, cluster, service, group)
    result = run_cli(
        "doctor",
        "--env",
        "staging_like",
        "--env-file",
        str(_aws_env_file(tmp_path, cluster, service, group)),
        "--check",
        "aws",
        env=_profile(aws_env, "shopflow-staging"),
    )
    assert result.code == 0, result.stdout + result.stderr
    assert "✓ aws credentials: profile shopflow-staging, account 123456789012 as arn:aws:sts::123456789012:" in result.stdout
    assert f"✓ aws resources: ECS cluster {cluster}: 1 services, 1 log groups found" in result.stdout
    assert "testing" not in result.stdout


def test_aws_resources_that_do_not_exist_are_named(aws_env, tmp_path: Path):
    suffix = uuid.uuid4().hex[:8]
    cluster, service = f"sf-{suffix}", f"sf-api-{suffix}"
    _create_resources(aws_env, cluster, service, group=None)
    result = run_cli(
        "doctor",
        "--env",
        "staging_like",
        "--env-file",
        str(_aws_env_file(tmp_path, cluster, service, f"/ecs/renamed-{suffix}")),
        "--check",
        "aws",
        env=aws_env,
    )
    assert result.code == 1
    assert result.marked("✗") == [
        f"✗ aws resources: not found: log group /ecs/renamed-{suffix} — fix: fix the names "
        "under [environments.<env>.aws] in the environment file"
    ]


def test_aws_profile_that_does_not_exist_is_one_failure_with_the_login_fix(aws_env, tmp_path: Path):
    env = {**aws_env, "AWS_PROFILE": "no-such-profile", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    result = run_cli(
        "doctor", "--env", "staging_like", "--env-file", str(_aws_env_file(tmp_path, "c", "s", "g")), "--check", "aws", env=env
    )
    assert result.code == 1
    failures = result.marked("✗")
    assert len(failures) == 1 and failures[0].startswith("✗ aws credentials: ")
    assert "no-such-profile" in failures[0] and "aws sso login --profile no-such-profile" in failures[0]
    assert "– aws resources: not checked (no usable AWS credentials)" in result.stdout


def test_environment_without_aws_skips_the_aws_checks():
    results = aws_identity.check(DoctorContext(load_environments()["local"]))
    assert _statuses(results) == [Status.SKIP]
