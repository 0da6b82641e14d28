"""The harness's configuration errors: one line for the person, exit code 2."""

from __future__ import annotations


class ConfigError(Exception):
    """A problem with configuration or input, reported as one line (exit code 2)."""


class MissingSecret(ConfigError):
    """An environment needs a secret whose variable is not set."""
