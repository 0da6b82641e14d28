"""Rendering a storefront page with what every page shows (header badge, shopper, notices)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from shopflow_stack.frontend.rendering import pop_flash
from shopflow_stack.web import state


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    base = {
        "customer": state.customer(request),
        "cart_count": request.session.get("cart_count", 0),
        "flashes": pop_flash(request),
        "faults": request.app.state.settings.faults,
    }
    return request.app.state.templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)
