"""The one exception the shop raises on purpose; the API answers it as docs/api.md's error body."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer the API gives on purpose: status, snake_case code, words, extra body fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        error_fields: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.error_fields = error_fields or {}
        self.body = body or {}

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.error_fields}, **self.body}
