"""Publishing reports where the team looks (moto's S3, never a real account; and a folder), and
history that survives from one CI runner to the next.

Two gates in a row, each on a fresh reports folder as two CI runners would have: the first is
published, the second restores the history from the bucket before it runs and is published
too. The second report's trend then holds both runs. The second gate's load step breaches an
impossible SLO, so its junit.xml has the failing threshold case. A run with a planted secret
is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from shopflow_qa.core.allure_history import HISTORY_FILE
from tests.gate import fake_suite
from tests.ops.conftest import REPO_ROOT, moto_environ, run_cli

BUCKET = "shopflow-qa-reports"
DEST = f"s3://{BUCKET}/gate"
ENV = "pub"

SUITE = """
import pytest


@pytest.mark.smoke
def test_catalogue_answers(api):
    assert api.raw_list_products(per_page=1).status_code == 200
"""


@dataclass(frozen=True)
class Published:
    env_file: Path
    aws: dict[str, str]
    first: Path  # run folders
    second: Path
    history_line: str
    publish_outputs: list[str]
    second_code: int


def _gate(env_file: Path, suites: Path, reports: Path, aws: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **aws, "SHOPFLOW_REPORTS_DIR": str(reports)}
    env.pop("SHOPFLOW_RUN_DIR", None)
    command = [sys.executable, "-m", "shopflow_qa.cli", "gate", "--env", ENV, "--env-file", str(env_file)]
    command += ["--suites-path", str(suites), "--suites", "smoke", "--quiet", *extra]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def published(sqlite_stack, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Published:
    import boto3

    root = tmp_path_factory.mktemp("publish")
    aws = {**moto_environ(moto_endpoint, root), "AWS_DEFAULT_REGION": "us-east-1"}
    boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    ).create_bucket(Bucket=BUCKET)
    text = sqlite_stack.env_file.read_text().replace(f"environments.{sqlite_stack.name}", f"environments.{ENV}")
    env_file = root / "pub.toml"
    env_file.write_text(text + f"\n[environments.{ENV}.slos.load]\nmin_rps = 100000\n")
    suites = root / "suites"
    suites.mkdir()
    (suites / "conftest.py").write_text(fake_suite.MARKERS)
    (suites / "test_smoke.py").write_text(SUITE)
    outputs = []

    first = _gate(env_file, suites, root / "runner-1", aws, "--no-load")
    assert first.returncode == 0, first.stdout + first.stderr
    first_run = (root / "runner-1" / "latest").resolve()
    done = run_cli("report", "publish", str(first_run), "--to", DEST, "--env-file", str(env_file), "--branch", "main", env=aws)
    assert done.code == 0, done.stdout + done.stderr
    outputs.append(done.stdout)

    # A fresh runner: nothing on disk but what `report history` brings back from the bucket.
    restored = run_cli(
        "report", "history", "--env", ENV, "--from", DEST, "--env-file", str(env_file), "--branch", "main",
        env={**aws, "SHOPFLOW_REPORTS_DIR": str(root / "runner-2")},
    )  # fmt: skip
    assert restored.code == 0, restored.stdout + restored.stderr
    second = _gate(env_file, suites, root / "runner-2", aws, "--load", "browse", "--load-duration", "3s")
    second_run = (root / "runner-2" / "latest").resolve()
    done = run_cli("report", "publish", str(second_run), "--to", DEST, "--env-file", str(env_file), "--branch", "main", env=aws)
    assert done.code == 0, done.stdout + done.stderr
    outputs.append(done.stdout)
    return Published(env_file, aws, first_run, second_run, restored.stdout.strip(), outputs, second.returncode)


def _s3(published: Published):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=published.aws["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _read(published: Published, key: str) -> bytes:
    return _s3(published).get_object(Bucket=BUCKET, Key=f"gate/{key}")["Body"].read()


def test_the_second_report_restored_the_first_runs_history_and_its_trend_shows_both_runs(published: Published) -> None:
    assert published.history_line.startswith(f"history: 1 earlier run(s) of {ENV}/main restored"), published.history_line
    history = [json.loads(line) for line in (published.second / HISTORY_FILE).read_text().splitlines() if line.strip()]
    assert [entry["name"].rsplit(" — ", 1)[1] for entry in history] == [published.first.name, published.second.name]
    from shopflow_qa.core.allure_report import embedded_data

    html = (published.second / "allure-report" / "index.html").read_text()
    charts = embedded_data(html)["widgets/charts.json"]["general"].values()
    [dynamics] = [chart["data"] for chart in charts if chart["type"] == "statusDynamics"]
    assert len(dynamics) == 2, dynamics
    assert dynamics[0]["name"].endswith(published.first.name) and dynamics[0]["statistic"] == {"total": 1, "passed": 1}
    assert dynamics[1]["id"] == "current" and dynamics[1]["statistic"]["failed"] >= 1, "this run: the breached SLO"


def test_both_runs_are_in_the_bucket_with_latest_and_an_index_of_verdicts(published: Published) -> None:
    assert f"report: {DEST}/{ENV}/main/runs/{published.second.name}/allure-report/index.html" in published.publish_outputs[1]
    latest = _read(published, f"{ENV}/main/latest/index.html")
    assert latest == (published.second / "allure-report" / "index.html").read_bytes()
    assert _read(published, f"{ENV}/latest/{HISTORY_FILE}") == (published.second / HISTORY_FILE).read_bytes()
    runs = json.loads(_read(published, "runs.json"))
    assert [(r["run"], r["verdict"]) for r in runs] == [(published.second.name, "failed"), (published.first.name, "passed")]
    index = _read(published, "index.html").decode()
    assert f'href="{ENV}/main/runs/{published.first.name}/allure-report/index.html"' in index and "❌ failed" in index
    head = _s3(published).head_object(Bucket=BUCKET, Key=f"gate/{ENV}/main/latest/index.html")
    assert head["ContentType"].startswith("text/html")


def test_a_breached_load_slo_is_a_failing_junit_case_naming_the_threshold(published: Published) -> None:
    assert published.second_code == 1
    cases = {c.get("name"): c for c in ET.parse(published.second / "junit.xml").getroot().iter("testcase")}
    breached = cases["SLO min_rps >= 100000"]
    failure = breached.find("failure")
    assert failure is not None and failure.get("message", "").startswith("SLO breached: min_rps measured "), ET.tostring(breached)


def test_a_run_holding_a_secret_is_refused_naming_the_file(published: Published, tmp_path: Path) -> None:
    run = tmp_path / published.first.name
    shutil.copytree(published.first, run, symlinks=True)
    (run / "logs" / "planted.txt").write_text("token local-service-token\n")
    done = run_cli(
        "report", "publish", str(run), "--to", str(tmp_path / "site"), "--env-file", str(published.env_file), env=published.aws
    )
    assert done.code == 1, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"shopflow-qa: error: refusing to publish {run.name}: a secret value is written in logs/planted.txt"
    ]
    assert not (tmp_path / "site").exists(), "nothing was published"


def test_a_folder_for_a_static_server_gets_the_same_layout(published: Published, tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = run_cli(
        "report",
        "publish",
        str(published.first),
        "--to",
        str(site),
        "--env-file",
        str(published.env_file),
        "--branch",
        "feature/x",
    )
    assert done.code == 0, done.stdout + done.stderr
    assert (site / ENV / "feature-x" / "latest" / "index.html").read_bytes() == (
        published.first / "allure-report" / "index.html"
    ).read_bytes()
    assert (site / ENV / "feature-x" / "runs" / published.first.name / "junit.xml").is_file()
    assert published.first.name in (site / "index.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "ftp://example.com/reports"], "--to ftp://example.com/reports: publish to s3://bucket/prefix or to a folder"),
        (["--to", "s3:///no-bucket"], "--to s3:///no-bucket: expected s3://bucket/prefix"),
        ([], f"environment '{ENV}' names no reports bucket (aws.reports_bucket): pass --to s3://bucket/prefix or --to DIR"),
    ],
)
def test_a_bad_destination_is_one_line_and_exit_2(published: Published, args: list[str], message: str) -> None:
    done = run_cli("report", "publish", str(published.first), "--env-file", str(published.env_file), *args, env=published.aws)
    assert (done.code, done.stderr.strip().splitlines()) == (2, [f"shopflow-qa: error: {message}"]), done.stdout + done.stderr
