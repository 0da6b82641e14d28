"""Publishing a run where the team looks, and bringing its history back for the next run.

Layout below the destination's root (an S3 prefix or a folder, core/report_store.py):

    index.html, runs.json              the recent runs of every environment, with verdicts
    <env>/<branch>/runs/<run>/…        the whole run folder (report, JUnit, results, load, logs)
    <env>/<branch>/latest/             the newest run's index.html (the single-file report),
                                       allure-history.jsonl, summary.md, gate.json
    <env>/latest/                      the same, for the newest run of the environment

The next run of the same environment and branch restores `allure-history.jsonl` from
`latest/` (`restore_history`), on CI as on a laptop, so Allure's trends, "new failure" and
"flaky" markers span runs. The caller scans the run for secrets before publishing.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shopflow_qa.core import run_dir as runs
from shopflow_qa.core.allure_history import HISTORY_FILE, seed_path
from shopflow_qa.core.report_store import Store

INDEX = "index.html"
RUNS_FILE = "runs.json"
KEEP_IN_INDEX = 50
# Files of a run copied to latest/ (report → index.html, so latest/ opens as a page).
LATEST_FILES = (
    ("allure-report/index.html", INDEX),
    (HISTORY_FILE, HISTORY_FILE),
    ("summary.md", "summary.md"),
    ("gate.json", "gate.json"),
)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_part(text: str) -> str:
    """A branch or environment name as one path part (`feature/x` → `feature-x`)."""
    return _UNSAFE.sub("-", text).strip("-.") or "unnamed"


def current_branch(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """The branch a run belongs to: GitHub's head ref (pull requests) or ref name, else git's
    current branch, else `local`."""
    environ = os.environ if environ is None else environ
    for variable in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME"):
        if environ.get(variable):
            return safe_part(environ[variable])
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "local"
    name = done.stdout.strip()
    return safe_part(name) if done.returncode == 0 and name and name != "HEAD" else "local"


@dataclass(frozen=True)
class Published:
    report: str  # the run's own report, as the store names it (s3://… or a path)
    latest: str  # <env>/<branch>/latest/index.html
    index: str  # the index of recent runs
    files: int
    keys: dict[str, str]  # report / latest / index: the keys below the destination's root

    def links(self, public_url: str) -> dict[str, str]:
        """The same places under `public_url`, the address a browser reaches the destination's
        root at (a bucket website, a CDN, the static server)."""
        return {name: f"{public_url.rstrip('/')}/{key}" for name, key in self.keys.items()}


def _verdict(run: Path) -> str:
    try:
        return str(json.loads((run / "gate.json").read_text()).get("verdict", "unknown"))
    except (OSError, ValueError, AttributeError):
        return "unknown"


def publish(run: Path, store: Store, env: str, branch: str) -> Published:
    """Upload the run folder, refresh `latest/` and the index; returns where things went."""
    base = f"{safe_part(env)}/{safe_part(branch)}"
    run_key = f"{base}/runs/{run.name}"
    files = sorted(p for p in run.rglob("*") if p.is_file() and not p.is_symlink())
    for path in files:
        store.upload(f"{run_key}/{path.relative_to(run).as_posix()}", path)
    for latest in (f"{base}/latest", f"{safe_part(env)}/latest"):
        for source, name in LATEST_FILES:
            if (run / source).is_file():
                store.upload(f"{latest}/{name}", run / source)
    info = runs.read_run(run)
    entry = {
        "env": env,
        "branch": branch,
        "run": run.name,
        "verdict": _verdict(run),
        "started_at": info.started_at if info else "",
        "report": f"{run_key}/allure-report/{INDEX}",
        "summary": f"{run_key}/summary.md",
    }
    recent = [e for e in _recent(store) if e.get("report") != entry["report"]]
    recent = sorted([entry, *recent], key=lambda e: str(e.get("started_at", "")), reverse=True)[:KEEP_IN_INDEX]
    store.write(RUNS_FILE, (json.dumps(recent, indent=1) + "\n").encode())
    store.write(INDEX, render_index(recent).encode())
    keys = {"report": entry["report"], "latest": f"{base}/latest/{INDEX}", "index": INDEX}
    return Published(store.url(keys["report"]), store.url(keys["latest"]), store.url(INDEX), len(files), keys)


def _recent(store: Store) -> list[dict[str, str]]:
    data = store.read(RUNS_FILE)
    try:
        entries = json.loads(data) if data else []
    except ValueError:
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


_MARKS = {"passed": "✅", "failed": "❌", "error": "⚠️", "refused": "⛔", "interrupted": "⏹️"}


def render_index(entries: list[dict[str, str]]) -> str:
    """A small static page: the recent runs, newest first, each with its verdict and links."""
    rows = "\n".join(
        "<tr><td>{started}</td><td>{env}</td><td>{branch}</td><td>{mark} {verdict}</td>"
        '<td><a href="{report}">{run}</a></td><td><a href="{summary}">summary</a></td></tr>'.format(
            started=html.escape(str(e.get("started_at", ""))),
            env=html.escape(str(e.get("env", ""))),
            branch=html.escape(str(e.get("branch", ""))),
            mark=_MARKS.get(str(e.get("verdict")), "❔"),
            verdict=html.escape(str(e.get("verdict", ""))),
            report=html.escape(str(e.get("report", "")), quote=True),
            run=html.escape(str(e.get("run", ""))),
            summary=html.escape(str(e.get("summary", "")), quote=True),
        )
        for e in entries
    )
    latest = sorted({(str(e.get("env", "")), str(e.get("branch", ""))) for e in entries})
    links = " · ".join(
        f'<a href="{html.escape(safe_part(env))}/{html.escape(safe_part(branch))}/latest/{INDEX}">{html.escape(env)} ({html.escape(branch)})</a>'
        for env, branch in latest
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>ShopFlow QA reports</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}</style></head><body>\n"
        f"<h1>ShopFlow QA reports</h1>\n<p>Latest: {links}</p>\n"
        "<table><thead><tr><th>started (UTC)</th><th>environment</th><th>branch</th><th>verdict</th>"
        f"<th>report</th><th></th></tr></thead><tbody>\n{rows}\n</tbody></table>\n</body></html>\n"
    )


def restore_history(store: Store, env: str, branch: str, reports_root: Path) -> int:
    """Bring the newest published history of `env` and `branch` (or, from a run folder such as an
    unpacked CI artifact, its own history) to where the next report of `env` picks it up.
    Returns the number of runs it holds (0: nothing to restore)."""
    data = store.read(f"{safe_part(env)}/{safe_part(branch)}/latest/{HISTORY_FILE}") or store.read(HISTORY_FILE)
    if not data:
        return 0
    target = seed_path(reports_root, env)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return sum(1 for line in data.splitlines() if line.strip())
