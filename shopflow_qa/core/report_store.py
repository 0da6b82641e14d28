"""Where published reports live: an S3 bucket (`s3://bucket/prefix`) or a folder a static file
server serves (`DIR`). Both are a flat key → bytes store with the same four operations, so
publishing and history restore are written once (core/report_publish.py).

S3 goes through boto3 with the standard credential chain; `$AWS_ENDPOINT_URL` (honoured by
boto3 itself) or the environment file's `aws.endpoint_url` points it elsewhere (moto in the
harness's own tests). Nothing here ever prints a credential.
"""

from __future__ import annotations

import mimetypes
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shopflow_qa.core.errors import ConfigError

CONTENT_TYPES = {".jsonl": "application/x-ndjson", ".md": "text/markdown; charset=utf-8", ".webm": "video/webm"}


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") or guessed == "application/json" else guessed


class Store(Protocol):
    """A published location: keys are `/`-separated paths below its root."""

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None: ...

    def upload(self, key: str, source: Path) -> None: ...

    def url(self, key: str) -> str: ...


@dataclass
class DirStore:
    """A folder, e.g. the document root of a static file server."""

    root: Path

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def upload(self, key: str, source: Path) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)

    def url(self, key: str) -> str:
        return str(self.root / key)


@dataclass
class S3Store:
    """A bucket and a prefix; `client` is a boto3 S3 client."""

    bucket: str
    prefix: str
    client: Any

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = answer["Body"].read()
        return data

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type(key))

    def upload(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type(key)})

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def parse_s3(destination: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix"); one line on a malformed one."""
    rest = destination.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket or any(c in bucket for c in " \\"):
        raise ConfigError(f"--to {destination}: expected s3://bucket/prefix")
    return bucket, prefix.strip("/")


def open_store(destination: str, region: str = "", endpoint_url: str = "") -> Store:
    """The store `destination` names: `s3://bucket/prefix` or a folder."""
    if destination.startswith("s3://"):
        bucket, prefix = parse_s3(destination)
        import boto3
        import botocore.config

        config = botocore.config.Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
        session = boto3.session.Session(region_name=region or None)
        return S3Store(bucket, prefix, session.client("s3", config=config, endpoint_url=endpoint_url or None))
    if "://" in destination:
        raise ConfigError(f"--to {destination}: publish to s3://bucket/prefix or to a folder")
    root = Path(destination)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--to {destination}: not a folder")
    return DirStore(root)
