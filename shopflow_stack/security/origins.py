"""Origins (scheme://host[:port]) read strictly, so a URL a browser would send elsewhere is never
taken for one of the shop's own: the check behind `return_url` and the sandbox's framing rules.

Strict means: ASCII only, no spaces, control characters or backslashes (browsers read
`http://evil.example\\@127.0.0.1:8600/` as a path on evil.example, Python as 127.0.0.1), no
user info, http or https only, a plain host name or IP address. Anything else has no origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])$")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str | None) -> str | None:
    """`https://Shop.example:443/x?y` → `https://shop.example`; None when it is no clean http(s) URL."""
    if not url or len(url) > 2048 or not url.isascii() or any(c <= " " or c in "\\\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if not _HOST.match(host):
        return None
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def is_on(url: str | None, origins: Iterable[str]) -> bool:
    """True when `url` is a clean URL on one of `origins` (already normalised by origin_of)."""
    origin = origin_of(url)
    return origin is not None and origin in set(origins)
