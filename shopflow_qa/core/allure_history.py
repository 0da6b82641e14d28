"""Allure's history across runs: `allure-history.jsonl` carried from the newest earlier run of the
same environment — a run folder beside this one, or the history restored from where reports
are published (`reports/.history/<env>.jsonl`, core/report_publish.py), whichever is newer —
every entry redacted with the run's secrets (an entry still holding one is dropped), so
trends survive, on a laptop and on CI, without a secret travelling from run to run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shopflow_qa.core import run_dir as runs
from shopflow_qa.core.redaction import Redactor, secret_forms

HISTORY_FILE = "allure-history.jsonl"
SEED_DIR = ".history"  # under the reports folder: histories restored from a published location


def seed_path(reports_root: Path, env: str) -> Path:
    """Where a history restored for `env` waits for that environment's next report."""
    return reports_root / SEED_DIR / f"{runs.safe_name(env)}.jsonl"


def _newest_timestamp(path: Path) -> int:
    """The newest entry's time in a history file (0 when unreadable or empty)."""
    newest = 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    for line in lines:
        try:
            newest = max(newest, int(json.loads(line).get("timestamp", 0)))
        except (ValueError, TypeError, AttributeError):
            continue
    return newest


# Ids Allure links history entries by: never rewritten.
_HISTORY_IDS = frozenset({"uuid", "id", "historyId", "knownTestCaseIds"})


@dataclass
class HistoryHandover:
    """Where the carried history came from and what had to be done to it."""

    source: Path | None = None
    entries: int = 0  # entries (one per earlier run) carried forward
    redacted: int = 0  # of those, entries whose texts held a secret, now replaced
    dropped: int = 0  # entries not carried: unreadable, or a secret left after redaction

    @property
    def warning(self) -> str | None:
        """One line for the gate's warnings (never the secret), or None when nothing was wrong."""
        if not (self.redacted or self.dropped):
            return None
        done = [f"a secret redacted in {_entries(self.redacted)}"] if self.redacted else []
        done += [f"{_entries(self.dropped)} that could not be cleaned left out"] if self.dropped else []
        return f"Allure history from {self.source}: {' and '.join(done)} (that run's own history file is unchanged)"


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def carry_history(run: Path, env: str, secrets: Sequence[str] = ()) -> HistoryHandover:
    """Seed `run/allure-history.jsonl` from the newest earlier run of `env` that has one, or
    from the history restored for `env`, whichever holds the newer entries; cleaned of
    `secrets` (see `clean_history`).

    Rewritten on every generation, so rebuilding a report (`shopflow-qa report`) never
    appends the same run to its history twice.
    """
    target = run / HISTORY_FILE
    target.unlink(missing_ok=True)
    mine = runs.read_run(run)
    candidates = [r for r in runs.list_runs(run.resolve().parent, env=env) if (r.path / HISTORY_FILE).exists()]
    earlier = [
        r
        for r in candidates
        if r.path.resolve() != run.resolve() and (mine is None or (r.started_at, r.name) < (mine.started_at, mine.name))
    ]
    sources = [earlier[-1].path / HISTORY_FILE] if earlier else []
    seed = seed_path(run.resolve().parent, env)
    if seed.is_file():
        sources.append(seed)
    if not sources:
        return HistoryHandover()
    history = max(sources, key=_newest_timestamp)
    source = history.parent if history.name == HISTORY_FILE else history
    lines, handover = clean_history(history, secrets)
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    handover.source = source
    return handover


def clean_history(path: Path, secrets: Sequence[str]) -> tuple[list[str], HistoryHandover]:
    """The entries (one JSON document a line) of the history file at `path`, each with every
    secret replaced in every text (values of `secrets` in any form, quoted values of secret
    keys, card numbers); an entry that is not JSON, or in which a form of a secret the gate's
    scan looks for is left after that, is dropped."""
    redactor = Redactor(secrets)
    needles = sorted({form for secret in redactor.secrets for form in secret_forms(secret)})
    handover = HistoryHandover()
    kept: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            handover.dropped += 1
            continue
        cleaned = redactor.strings(entry, keep=_HISTORY_IDS)
        changed = cleaned != entry
        text = json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")) if changed else line
        if any(needle in text for needle in needles):
            handover.dropped += 1
            continue
        handover.redacted += changed
        kept.append(text)
    handover.entries = len(kept)
    return kept, handover
