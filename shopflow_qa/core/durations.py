"""Durations as people type them (`30s`, `2m`, `1h`, `500ms`, a bare number of seconds): one
reader, one set of bounds, for `shopflow-qa load --duration` and `gate --load-duration`."""

from __future__ import annotations

import re

from shopflow_qa.core.environment import ConfigError

MIN_DURATION_S = 1.0
MAX_DURATION_S = 6 * 3600.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, option: str = "--duration") -> float:
    """Seconds, between 1 s and 6 h; ConfigError naming `option` otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigError(f"{option}: expected e.g. 30s or 2m, got {text!r}")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not MIN_DURATION_S <= seconds <= MAX_DURATION_S:
        raise ConfigError(f"{option}: must be between 1s and 6h, got {text!r}")
    return seconds
