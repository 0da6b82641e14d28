"""The secret scan: which files of a run folder (zip members included) hold a secret."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from shopflow_qa.core.redaction import secret_forms


def secret_leaks(run: Path, secrets: Sequence[str]) -> list[Path]:
    """Files of the run folder holding one of `secrets` in any form the redactor knows
    (plain, URL-encoded, base64 at each alignment), also inside zip archives (Playwright
    traces compress their network log): the redaction proof, run on a whole gate.
    A hit inside an archive is named `archive.zip!member`."""
    needles = sorted({form.encode() for secret in secrets if secret for form in secret_forms(secret)})
    if not needles:
        return []
    leaks: list[Path] = []
    for path in sorted(run.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if any(needle in data for needle in needles):
            leaks.append(path.relative_to(run))
        elif data[:4] == b"PK\x03\x04":
            leaks += [Path(f"{path.relative_to(run)}!{member}") for member in _zip_leaks(path, needles)]
    return leaks


def _zip_leaks(path: Path, needles: Sequence[bytes]) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and any(needle in archive.read(info) for needle in needles)
            ]
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return []  # not a readable archive: its raw bytes were scanned already
