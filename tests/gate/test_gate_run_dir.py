"""The run folder: one per run, `latest` follows the newest, previous runs found per environment."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shopflow_qa.core import run_dir
from shopflow_qa.core.environment import ConfigError

T0 = datetime(2026, 11, 28, 17, 0, 0, tzinfo=UTC)


@pytest.fixture()
def environ(tmp_path: Path) -> dict[str, str]:
    return {run_dir.REPORTS_DIR_VARIABLE: str(tmp_path / "reports")}


def test_folder_is_named_after_utc_time_env_and_kind_and_latest_points_at_it(environ: dict[str, str]) -> None:
    local_time = T0.astimezone(timezone(timedelta(hours=2)))
    path = run_dir.create_run_dir("staging", "gate", environ=environ, now=local_time)
    assert path.name == "20261128T170000Z-staging-gate"
    latest = Path(environ[run_dir.REPORTS_DIR_VARIABLE]) / "latest"
    assert latest.is_symlink() and latest.resolve() == path.resolve()
    assert not os.path.isabs(os.readlink(latest)), "relative, so the reports folder can be moved"
    assert json.loads((path / "run.json").read_text()) == {
        "env": "staging",
        "kind": "gate",
        "started_at": "2026-11-28T17:00:00+00:00",
    }


def test_two_runs_in_the_same_second_get_two_folders_and_latest_moves(environ: dict[str, str]) -> None:
    first = run_dir.create_run_dir("local", "gate", environ=environ, now=T0)
    second = run_dir.create_run_dir("local", "gate", environ=environ, now=T0)
    assert first != second and second.name == "20261128T170000Z-local-gate-2"
    assert (first.parent / "latest").resolve() == second.resolve()


def test_env_names_cannot_escape_the_reports_folder(environ: dict[str, str]) -> None:
    path = run_dir.create_run_dir("../../etc x", "gate", environ=environ, now=T0)
    assert path.parent == Path(environ[run_dir.REPORTS_DIR_VARIABLE])
    assert "/" not in path.name and " " not in path.name


def test_shopflow_run_dir_is_adopted_as_is(tmp_path: Path, environ: dict[str, str]) -> None:
    given = tmp_path / "ci" / "run"
    environ[run_dir.RUN_DIR_VARIABLE] = str(given)
    path = run_dir.create_run_dir("local", "load", environ=environ, now=T0)
    assert path == given.resolve() and (given / "run.json").exists()
    again = run_dir.create_run_dir("local", "pytest", environ=environ, now=T0 + timedelta(minutes=1))
    assert again == path
    assert json.loads((path / "run.json").read_text())["kind"] == "load", "the creator's run.json is kept"
    assert not (Path(environ[run_dir.REPORTS_DIR_VARIABLE]) / "latest").exists(), "outside reports/: latest untouched"


def test_export_hands_the_folder_to_subprocesses(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(run_dir.RUN_DIR_VARIABLE, "")  # recorded, so the export below is undone after the test
    monkeypatch.delenv(run_dir.RUN_DIR_VARIABLE)
    path = run_dir.create_run_dir("local", "gate", environ=environ, now=T0, export=True)
    assert os.environ[run_dir.RUN_DIR_VARIABLE] == str(path)


def test_latest_is_replaced_atomically_under_concurrent_runs(environ: dict[str, str]) -> None:
    root = Path(environ[run_dir.REPORTS_DIR_VARIABLE])
    made: list[Path] = []
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            made.append(run_dir.create_run_dir("local", f"k{index}", environ=environ, now=T0))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(made)) == 8
    assert (root / "latest").resolve() in {p.resolve() for p in made}


def test_previous_run_is_the_newest_earlier_run_of_the_same_environment(environ: dict[str, str]) -> None:
    a = run_dir.create_run_dir("local", "gate", environ=environ, now=T0)
    run_dir.create_run_dir("staging", "gate", environ=environ, now=T0 + timedelta(minutes=1))
    b = run_dir.create_run_dir("local", "gate", environ=environ, now=T0 + timedelta(minutes=2))
    run_dir.create_run_dir("local", "load", environ=environ, now=T0 + timedelta(minutes=3))
    c = run_dir.create_run_dir("local", "gate", environ=environ, now=T0 + timedelta(minutes=4))
    root = Path(environ[run_dir.REPORTS_DIR_VARIABLE])
    (root / "not-a-run").mkdir()
    found = run_dir.previous_run(c, "local", kind="gate", root=root)
    assert found is not None and found.path == b
    assert run_dir.previous_run(b, "local", kind="gate", root=root).path == a
    assert run_dir.previous_run(a, "local", kind="gate", root=root) is None
    assert [r.kind for r in run_dir.list_runs(root, env="local")] == ["gate", "gate", "load", "gate"]


def test_resolve_run_accepts_latest_names_and_paths(environ: dict[str, str]) -> None:
    root = Path(environ[run_dir.REPORTS_DIR_VARIABLE])
    path = run_dir.create_run_dir("local", "gate", environ=environ, now=T0)
    assert run_dir.resolve_run(None, root) == path.resolve()
    assert run_dir.resolve_run(path.name, root) == path.resolve()
    assert run_dir.resolve_run(str(path), root) == path.resolve()
    with pytest.raises(ConfigError, match="no run folder 'nope'"):
        run_dir.resolve_run("nope", root)
