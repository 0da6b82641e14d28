"""Certificate authorities the browser trusts besides its own: `$SHOPFLOW_BROWSER_CA_FILE`.

Python clients take an extra CA through the standard `SSL_CERT_FILE` (httpx, ssl) and
`REQUESTS_CA_BUNDLE`; Chromium on Linux has no such variable: it reads extra trust anchors
from the NSS database in `$HOME/.pki/nssdb`. So when `$SHOPFLOW_BROWSER_CA_FILE` names a PEM
file, every certificate in it is imported (NSS's `certutil`, package libnss3-tools) as a
trusted CA into a private database, and Chromium is launched with that folder as its HOME.
Certificates are checked as usual — nothing is ignored; a host the CA did not sign fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

CA_FILE_VARIABLE = "SHOPFLOW_BROWSER_CA_FILE"
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class BrowserTrustProblem(RuntimeError):
    """The CA file cannot be given to the browser; the message is one line."""


def ca_file(environ: Mapping[str, str] | None = None) -> Path | None:
    value = (os.environ if environ is None else environ).get(CA_FILE_VARIABLE, "").strip()
    return Path(value) if value else None


def trusting_home(pem_file: Path, cache_dir: Path | None = None) -> Path:
    """A HOME whose NSS database trusts every CA certificate in `pem_file` (made once per content)."""
    try:
        pem = pem_file.read_bytes()
    except OSError as error:
        raise BrowserTrustProblem(f"${CA_FILE_VARIABLE}: cannot read {pem_file} ({error.strerror or error})") from None
    certificates = _PEM.findall(pem)
    if not certificates:
        raise BrowserTrustProblem(f"${CA_FILE_VARIABLE}: {pem_file} holds no PEM certificate")
    certutil = shutil.which("certutil")
    if not certutil:
        raise BrowserTrustProblem(f"${CA_FILE_VARIABLE} needs NSS's certutil: run `make setup` (apt package libnss3-tools)")
    base = cache_dir or Path(tempfile.gettempdir())
    home = base / f"shopflow-browser-trust-{hashlib.sha256(pem).hexdigest()[:16]}"
    if (home / ".pki" / "nssdb" / "done").is_file():
        return home
    building = Path(tempfile.mkdtemp(prefix=f"{home.name}-", dir=base))
    database = building / ".pki" / "nssdb"
    database.mkdir(parents=True)
    _certutil(certutil, "-N", "-d", f"sql:{database}", "--empty-password")
    for number, certificate in enumerate(certificates):
        pem_path = building / f"ca-{number}.pem"
        pem_path.write_bytes(certificate + b"\n")
        _certutil(certutil, "-A", "-d", f"sql:{database}", "-n", f"shopflow-ca-{number}", "-t", "C,,", "-i", str(pem_path))
    (database / "done").write_text("")
    try:
        building.rename(home)  # atomic: parallel workers either win or find it made
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
    return home


def _certutil(certutil: str, *args: str) -> None:
    result = subprocess.run([certutil, *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BrowserTrustProblem(f"${CA_FILE_VARIABLE}: certutil {args[0]} failed: {last}")


def launch_environment(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The browser process's environment when a CA file is set (HOME → the trusting database); else None."""
    environ = os.environ if environ is None else environ
    pem_file = ca_file(environ)
    if pem_file is None:
        return None
    return {**environ, "HOME": str(trusting_home(pem_file))}
