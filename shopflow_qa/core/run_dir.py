"""One folder per run: `reports/<UTC time>-<env>-<kind>/`, and `reports/latest` (docs/architecture.md, "Run folder").

Whoever starts a run (the gate, `shopflow-qa load`, the xdist controller) calls
`create_run_dir`. When `SHOPFLOW_RUN_DIR` is set, that folder is used instead, so the gate
can hand ONE folder to its pytest and load subprocesses. Each folder holds a `run.json`
(env, kind, start time) so later runs can find the previous run of the same environment
(Allure history) without parsing folder names. Plain Python: no pytest, no locust.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shopflow_qa.core.environment import ConfigError
from shopflow_qa.core.paths import PROJECT_ROOT

RUN_DIR_VARIABLE = "SHOPFLOW_RUN_DIR"
REPORTS_DIR_VARIABLE = "SHOPFLOW_REPORTS_DIR"
LATEST = "latest"
RUN_FILE = "run.json"
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class RunInfo:
    """What `run.json` says about a run folder."""

    path: Path
    env: str
    kind: str
    started_at: str  # ISO 8601, UTC

    @property
    def name(self) -> str:
        return self.path.name


def reports_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`reports/` of the checkout, or `$SHOPFLOW_REPORTS_DIR` (tests use a temporary one)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(REPORTS_DIR_VARIABLE) or PROJECT_ROOT / "reports")


def safe_name(part: str) -> str:
    """`part` as a file name part: letters, digits, `_.-`."""
    return _UNSAFE.sub("_", part).strip("._") or "unnamed"


def _write_run_file(path: Path, env: str, kind: str, started: datetime) -> None:
    info = {"env": env, "kind": kind, "started_at": started.isoformat(timespec="seconds")}
    (path / RUN_FILE).write_text(json.dumps(info, indent=2) + "\n")


def create_run_dir(
    env: str,
    kind: str,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    export: bool = False,
) -> Path:
    """Create (or adopt `$SHOPFLOW_RUN_DIR`) the run folder and point `reports/latest` at it.

    `export=True` also sets `$SHOPFLOW_RUN_DIR` in this process, so every subprocess and
    xdist worker started afterwards writes into the same folder.
    """
    environ = os.environ if environ is None else environ
    started = (now or datetime.now(UTC)).astimezone(UTC)
    root = reports_dir(environ)
    given = environ.get(RUN_DIR_VARIABLE)
    where = Path(given) if given else root
    if where.exists() and not where.is_dir():
        raise ConfigError(
            f"cannot create the run folder: {where} is not a folder "
            f"(set ${RUN_DIR_VARIABLE if given else REPORTS_DIR_VARIABLE} to a folder)"
        )
    try:
        return _create(env, kind, started, root, given, export)
    except OSError as error:  # read-only, full disk, a path component that is a file: one line, exit 2
        raise ConfigError(f"cannot create the run folder in {where}: {error.strerror or error}") from None


def _create(env: str, kind: str, started: datetime, root: Path, given: str | None, export: bool) -> Path:
    if given:
        path = Path(given).resolve()
        path.mkdir(parents=True, exist_ok=True)
        if not (path / RUN_FILE).exists():
            _write_run_file(path, env, kind, started)
    else:
        root.mkdir(parents=True, exist_ok=True)
        stem = f"{started.strftime(_TIME_FORMAT)}-{safe_name(env)}-{safe_name(kind)}"
        path = root / stem
        for attempt in range(2, 1000):  # two runs in the same second get -2, -3, …
            try:
                path.mkdir()
                break
            except FileExistsError:
                path = root / f"{stem}-{attempt}"
        _write_run_file(path, env, kind, started)
    if path.resolve().parent == root.resolve():
        update_latest(path, root)
    if export:
        os.environ[RUN_DIR_VARIABLE] = str(path)
    return path


def write_whole(path: Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over: a full disk leaves no
    half-written gate.json or summary.json for CI to misread, only the OSError to report."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return path


def update_latest(path: Path, root: Path | None = None) -> Path:
    """Point `<root>/latest` at `path` atomically (a new link renamed over the old one)."""
    root = root or path.parent
    link = root / LATEST
    target = os.path.relpath(path.resolve(), root.resolve())
    temporary = root / f".{LATEST}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    temporary.symlink_to(target, target_is_directory=True)
    os.replace(temporary, link)
    return link


def read_run(path: Path) -> RunInfo | None:
    """The run described by `path/run.json`, or None when it is not a run folder."""
    try:
        info = json.loads((path / RUN_FILE).read_text())
        return RunInfo(path=path, env=str(info["env"]), kind=str(info["kind"]), started_at=str(info["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_runs(root: Path | None = None, env: str | None = None, kind: str | None = None) -> list[RunInfo]:
    """Run folders under `root`, oldest first, optionally of one environment and kind."""
    root = root or reports_dir()
    if not root.is_dir():
        return []
    runs = [r for r in (read_run(p) for p in root.iterdir() if p.is_dir() and not p.is_symlink()) if r]
    runs = [r for r in runs if (env is None or r.env == env) and (kind is None or r.kind == kind)]
    return sorted(runs, key=lambda r: (r.started_at, r.name))


def previous_run(current: Path, env: str, kind: str | None = None, root: Path | None = None) -> RunInfo | None:
    """The newest run of `env` (and `kind`) that started before `current`, for Allure history."""
    root = root or current.resolve().parent
    mine = read_run(current)
    earlier = [
        r
        for r in list_runs(root, env, kind)
        if r.path.resolve() != current.resolve() and (mine is None or (r.started_at, r.name) < (mine.started_at, mine.name))
    ]
    return earlier[-1] if earlier else None


def resolve_run(name: str | None, root: Path | None = None) -> Path:
    """A run folder from a name under reports/, a path, or (None) `reports/latest`."""
    root = root or reports_dir()
    candidates = [root / LATEST] if not name else [Path(name), root / name]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    raise ConfigError(f"no run folder '{name or LATEST}' (looked in {root})")
