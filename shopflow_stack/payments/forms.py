"""Decode Stripe's form encoding (`shipping[address][line1]=…`, `expand[0]=…`) into dicts.

The official SDKs send every request body (and GET query) this way, not as JSON; the
sandbox must read it exactly as Stripe does for the shop's SDK calls to mean the same thing.
"""

from __future__ import annotations

import re
from typing import Any, Literal, overload
from urllib.parse import parse_qsl

from shopflow_stack.payments.errors import invalid_request

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _parts(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        raise invalid_request(f"Invalid parameter name: {key}", param=key)
    head, brackets = match.groups()
    return [head, *re.findall(r"\[([^\[\]]*)\]", brackets)]


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all indices (`[0]`, `[1]`, `[]`) into lists, recursively."""
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(k.isdigit() or k.startswith("\x00") for k in node):
        return [node[k] for k in sorted(node, key=lambda k: (k.startswith("\x00"), int(k.lstrip("\x00") or 0)))]
    return node


def decode(body: str) -> dict[str, Any]:
    """`a[b][c]=1&l[0]=x&l[1]=y` → {"a": {"b": {"c": "1"}}, "l": ["x", "y"]} (values stay strings)."""
    root: dict[str, Any] = {}
    for position, (key, value) in enumerate(parse_qsl(body, keep_blank_values=True)):
        parts = _parts(key)
        node = root
        for index, part in enumerate(parts):
            if part == "":  # `expand[]=a&expand[]=b`: keep the order they came in
                part = f"\x00{position}"
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid_request(f"Invalid parameter: {key} mixes a value and a hash", param=parts[0])
                node = child
    return _listify(root)


@overload
def as_int(params: dict[str, Any], name: str, *, required: Literal[True], minimum: int | None = None) -> int: ...
@overload
def as_int(params: dict[str, Any], name: str, *, required: bool = False, minimum: int | None = None) -> int | None: ...
def as_int(params: dict[str, Any], name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    """An integer parameter, with Stripe's error wording when it is missing or malformed."""
    raw = params.get(name)
    if raw in (None, ""):
        if required:
            raise invalid_request(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise invalid_request(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise invalid_request(
            f"This value must be greater than or equal to {minimum}.", param=name, code="parameter_invalid_integer"
        )
    return value


def as_bool(params: dict[str, Any], name: str) -> bool | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("true", "false"):
        raise invalid_request(f"Invalid boolean: {raw}", param=name)
    return raw == "true"


@overload
def as_str(params: dict[str, Any], name: str, *, required: Literal[True]) -> str: ...
@overload
def as_str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None: ...
def as_str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    raw = params.get(name)
    if raw in (None, ""):
        if required:
            raise invalid_request(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(raw, str):
        raise invalid_request(f"Invalid string: {name} must be a string, not a hash or array", param=name)
    return raw


def as_dict(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise invalid_request(f"Invalid object: {name} must be a hash", param=name)
    return raw


def as_list(params: dict[str, Any], name: str) -> list[Any] | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list):
        raise invalid_request(f"Invalid array: {name} must be an array", param=name)
    return raw


def reject_unknown(params: dict[str, Any], known: frozenset[str]) -> None:
    """Stripe refuses parameters it does not know; so does the sandbox (typos fail loudly)."""
    for name in params:
        if name not in known:
            raise invalid_request(f"Received unknown parameter: {name}", param=name)
