"""The recipes for running load workers where ShopFlow lives (deploy/): the image definition
passes hadolint, the ECS task definition passes botocore's own parameter validation of
RegisterTaskDefinition in the environment's region, the Kubernetes manifest passes the
Kubernetes schemas (kubernetes-validate, strict). All offline. Each check is shown to fail on
a broken copy. No Docker engine here: the image is linted, not built."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import kubernetes_validate
import pytest
import yaml
from botocore.validate import ParamValidator

from shopflow_qa.core.environment import resolve_environment

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HADOLINT = Path(sys.executable).with_name("hadolint")
K8S_VERSION = "1.37.0"


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HADOLINT), "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60)


def test_the_image_definition_passes_hadolint_runs_unprivileged_and_installs_no_browser() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    instructions = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    result = _hadolint(DEPLOY / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    users = [line.split()[1] for line in instructions.splitlines() if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "playwright" not in instructions and "chromium" not in instructions.lower()


def test_hadolint_fails_an_image_that_ends_as_root(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text((DEPLOY / "Dockerfile").read_text().replace("USER 10001:10001", "USER root"))
    result = _hadolint(broken)
    assert result.returncode != 0 and "DL3002" in result.stdout, result.stdout


def _ecs_problems(document: dict[str, Any]) -> str:
    model = botocore.session.get_session().get_service_model("ecs")
    report = ParamValidator().validate(document, model.operation_model("RegisterTaskDefinition").input_shape)
    return report.generate_report() if report.has_errors() else ""


def _regions(document: dict[str, Any]) -> set[str]:
    """Every region the task definition names (log driver, image registry, secret ARNs)."""
    regions = set()
    for container in document["containerDefinitions"]:
        regions.add(container["logConfiguration"]["options"]["awslogs-region"])
        regions.add(container["image"].split(".")[3])
        regions |= {secret["valueFrom"].split(":")[3] for secret in container.get("secrets", [])}
    return regions


def test_the_ecs_task_definition_is_valid_for_register_task_definition_in_the_environments_region() -> None:
    document = json.loads((DEPLOY / "ecs-locust-workers.json").read_text())
    assert _ecs_problems(document) == ""
    staging = resolve_environment("staging", [])
    assert staging.aws is not None and _regions(document) == {staging.aws.region}
    [worker] = document["containerDefinitions"]
    assert worker["user"].split(":")[0] not in ("root", "0") and worker["command"][0] == "load-worker"
    assert "STAGING_TOKEN" in {s["name"] for s in worker["secrets"]}, "the token from Secrets Manager, never a plain value"


def test_botocore_rejects_a_broken_task_definition() -> None:
    document = json.loads((DEPLOY / "ecs-locust-workers.json").read_text())
    broken = copy.deepcopy(document)
    broken["containerDefinitions"][0]["essential"] = "yes"
    broken["containerDefinition"] = broken.pop("containerDefinitions")
    problems = _ecs_problems(broken)
    assert "containerDefinitions" in problems and "containerDefinition" in problems, problems


def _k8s_documents() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / "k8s-locust-workers.yaml").read_text()) if d]


def test_the_kubernetes_manifest_passes_the_strict_schemas_and_runs_unprivileged() -> None:
    documents = _k8s_documents()
    for document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
    [deployment] = [d for d in documents if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    [container] = pod["containers"]
    assert container["args"][0] == "load-worker" and container["resources"]["limits"]["cpu"] == "1"


def test_the_kubernetes_schemas_reject_a_broken_manifest() -> None:
    [deployment] = [d for d in _k8s_documents() if d["kind"] == "Deployment"]
    broken = copy.deepcopy(deployment)
    broken["spec"]["replicas"] = "four"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["cpuLimit"] = 1  # strict: no unknown fields
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
