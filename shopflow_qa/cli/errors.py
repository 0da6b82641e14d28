"""Exit codes of `shopflow-qa`, the one-line error wrapper, and SIGTERM handled as Ctrl-C."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import typer

from shopflow_qa.core.environment import ConfigError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 3

F = TypeVar("F", bound=Callable[..., Any])


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job, `kill`): handled exactly as Ctrl-C is, named apart in reports."""


def raise_terminated(signum: int, frame: object) -> None:
    """A SIGTERM handler: stop the way Ctrl-C stops (children stopped, reports written, exit 3)."""
    raise Terminated


def interruption(error: KeyboardInterrupt) -> str:
    """ "SIGTERM" or "Ctrl-C": what stopped the run, for its reports."""
    return "SIGTERM" if isinstance(error, Terminated) else "Ctrl-C"


def os_problem(error: OSError) -> str:
    """One line for a failed file operation: "No space left on device: /path"."""
    reason = error.strerror or type(error).__name__
    return f"{reason}: {error.filename}" if error.filename else reason


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    print(f"shopflow-qa: error: {message}", file=sys.stderr)
    return typer.Exit(code)


def fail_all(messages: list[str], code: int = EXIT_USAGE) -> typer.Exit:
    """Print each problem as its own line to stderr and return the Exit to raise."""
    for message in messages:
        print(f"shopflow-qa: error: {message}", file=sys.stderr)
    return typer.Exit(code)


def one_line_errors(function: F) -> F:
    """Turn configuration errors and unusable URLs into one line and exit 2, Ctrl-C and SIGTERM into exit 3; a file
    that cannot be written (read-only or full disk, a folder that is a file) is one line too."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigError as error:
            raise fail(str(error)) from None
        except httpx.InvalidURL as error:  # a host the guard could read but the HTTP client cannot
            raise fail(f"not a URL the HTTP client can use: {error}") from None
        except OSError as error:
            raise fail(os_problem(error)) from None
        except KeyboardInterrupt as error:
            raise fail(f"interrupted ({interruption(error)})", EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]
