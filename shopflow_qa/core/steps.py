"""Steps a reader sees: page-object actions and business flows announce themselves here.

`@steps("Checkout page")` on a class makes each public method a step titled
"Checkout page: fill details" with its arguments; nested calls nest. Nobody listens by default
(Locust runs the same flows: a step is then one attribute read), and the pytest plugin
listens under `--alluredir`, turning each into an Allure step. Arguments are shown short and
without secrets: a parameter named like a secret shows `[REDACTED]`, a card by its name, a
product by its slug; the run's redactor cleans the rest as results are written.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

StepListener = Callable[[str, dict[str, str]], AbstractContextManager[object]]

_listener: StepListener | None = None
_SECRET_NAMES = ("password", "token", "secret", "key", "cookie", "authorization")
_MAX_SHOWN = 120
REDACTED = "[REDACTED]"

C = TypeVar("C", bound=type)


def listen(listener: StepListener | None) -> None:
    """Set (or, with None, remove) the one listener that receives every step."""
    global _listener
    _listener = listener


def shown(name: str, value: Any) -> str:
    """How an argument reads in a step: short, never a secret named as such."""
    if any(word in name.lower() for word in _SECRET_NAMES) and value not in (None, ""):
        return REDACTED
    if hasattr(value, "number") and hasattr(value, "name"):  # a test card: its outcome name, never its number
        return str(value.name)
    if isinstance(value, dict) and ("slug" in value or "id" in value):
        return str(value.get("slug") or value.get("id"))
    if not isinstance(value, (str, int, float, bool, type(None), dict, list, tuple)):
        return type(value).__name__  # a catalogue, a client: what it is, not its contents
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _title(prefix: str, method: str) -> str:
    return f"{prefix}: {method.replace('_', ' ').strip()}"


def _wrapped(prefix: str, function: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(function)

    @functools.wraps(function)
    def step(*args: Any, **kwargs: Any) -> Any:
        listener = _listener
        if listener is None:
            return function(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:  # let the call itself raise its own error
            return function(*args, **kwargs)
        params = {name: shown(name, value) for name, value in list(bound.arguments.items())[1:]}
        with listener(_title(prefix, function.__name__), params):
            return function(*args, **kwargs)

    return step


def _public_methods(cls: type) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, value in vars(cls).items():
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if str(value.__annotations__.get("return", "")).endswith("Locator"):
            continue  # a locator getter reads the page, it is not an action
        yield name, value


def steps(prefix: str) -> Callable[[C], C]:
    """Class decorator: every public method defined in the class (locator getters aside)
    becomes a step "<prefix>: <method>"."""

    def decorate(cls: C) -> C:
        for name, function in _public_methods(cls):
            setattr(cls, name, _wrapped(prefix, function))
        return cls

    return decorate
