"""Secrets out of the files a run keeps: Playwright traces, artefact folders, Allure attachments.

A trace records what a test typed (`fill` values: a staff password, a new customer's) and the
requests the browser sent (form bodies, cookies); pytest-playwright writes it as a zip. Every
file the harness keeps or attaches passes through here and is rewritten with each secret the
run knows replaced, inside zip members too, before anyone attaches or uploads it. The gate's
secret scan then checks the result.

Screenshots and videos are pixels: a typed password shows as dots, and replacing bytes inside
compressed image data would only break the file, so they are copied as they are (the gate's
scan still reads them).
Plain Python: no pytest import.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from shopflow_qa.core.redaction import Redactor

MEDIA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webm", ".mp4"})


def is_media(path: Path | str) -> bool:
    return Path(path).suffix.lower() in MEDIA_SUFFIXES


def redacted_bytes(data: bytes, redactor: Redactor) -> bytes:
    """`data` with every known secret replaced; a zip archive member by member (the archive is
    rebuilt only when a member changed). An unreadable archive is treated as plain bytes."""
    if data[:4] == b"PK\x03\x04":
        try:
            return _redacted_zip(data, redactor)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError):
            pass
    return redactor.data(data)


def _redacted_zip(data: bytes, redactor: Redactor) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    cleaned = [(info, redactor.data(content)) for info, content in members]
    if all(before == after for (_, before), (_, after) in zip(members, cleaned, strict=True)):
        return data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, content in cleaned:
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def redact_file(path: Path, redactor: Redactor) -> bool:
    """Rewrite `path` in place (atomically) when it holds a secret; True when it did.
    Media files and anything unreadable are left as they are."""
    if is_media(path) or not redactor.secret_count:
        return False
    try:
        data = path.read_bytes()
    except OSError:
        return False
    cleaned = redacted_bytes(data, redactor)
    if cleaned == data:
        return False
    _write_atomically(path, cleaned)
    return True


def redact_folder(folder: Path, redactor: Redactor) -> list[Path]:
    """Every file under `folder`, redacted in place; returns those that changed."""
    if not folder.is_dir():
        return []
    return [
        path for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink() and redact_file(path, redactor)
    ]


def copy_redacted(source: Path | str, destination: Path, redactor: Redactor) -> None:
    """Copy `source` to `destination` with secrets replaced (media copied as is)."""
    if is_media(source) or not redactor.secret_count:
        shutil.copyfile(source, destination)
        return
    destination.write_bytes(redacted_bytes(Path(source).read_bytes(), redactor))


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside `path` under a unique name, then replace it: a reader never sees half a file,
    and two processes redacting the same file never share a scratch file."""
    descriptor, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".redacting", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(scratch, path.stat().st_mode & 0o777)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
