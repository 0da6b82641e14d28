"""What an installed harness puts into site-packages: two namespaced packages, nothing generic."""

from __future__ import annotations

import tomllib
from pathlib import Path

import setuptools

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERIC = {"fixtures", "harness", "stack", "loadtests", "data", "suites", "tests", "benchmarks"}


def test_the_distribution_holds_only_shopflow_qa_and_shopflow_stack():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = setuptools.find_packages(str(REPO_ROOT), include=include)
    assert {p.split(".")[0] for p in packages} == {"shopflow_qa", "shopflow_stack"}
    assert not GENERIC & {p.split(".")[0] for p in packages}
    for needed in (
        "shopflow_qa.core",
        "shopflow_qa.fixtures",
        "shopflow_qa.fixtures.pages",
        "shopflow_qa.loadtests",
        "shopflow_qa.cli",
        "shopflow_qa.data",
        "shopflow_stack.data",
    ):
        assert needed in packages, needed


def test_entry_points_name_the_namespaced_modules():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"shopflow-qa": "shopflow_qa.cli.main:main", "shopflow-stack": "shopflow_stack.__main__:main"}
    assert project["entry-points"]["pytest11"] == {"shopflow": "shopflow_qa.fixtures.plugin"}


def test_the_root_folders_people_know_point_into_the_packages():
    for folder, target in (
        ("fixtures", "shopflow_qa/fixtures"),
        ("loadtests", "shopflow_qa/loadtests"),
        ("data", "shopflow_qa/data"),
        ("stack", "shopflow_stack"),
    ):
        path = REPO_ROOT / folder
        assert path.is_symlink() and path.resolve() == (REPO_ROOT / target).resolve(), folder
