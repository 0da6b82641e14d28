"""Jinja2 set-up shared by the storefront and admin: money and date filters, flash messages.

Templates of each host live in its own folder; `base.html` helpers and the stylesheet are
shared so both hosts look alike without a front-end build step.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shopflow_stack.security import csrf

STATIC_DIR = Path(__file__).resolve().parent / "static"
SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def money(amount: int | None, currency: str = "USD") -> str:
    """Minor units to a price a person reads: 1999 → '$19.99'."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    symbol = "$" if currency.upper() == "USD" else f"{currency.upper()} "
    return f"{sign}{symbol}{abs(amount) // 100:,}.{abs(amount) % 100:02d}"


def short_date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%d %b %Y, %H:%M")
    except ValueError:
        return value


STATUS_WORDS = {
    "pending": "Awaiting payment",
    "requires_action": "Awaiting authentication",
    "paid": "Paid",
    "fulfilled": "Fulfilled",
    "payment_failed": "Payment failed",
    "refunded": "Refunded",
    "partially_refunded": "Partially refunded",
}


def status_words(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", (status or "").replace("_", " ").capitalize())


def make_templates(folder: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=[str(folder), str(SHARED_TEMPLATES)])
    templates.env.filters["money"] = money
    templates.env.filters["short_date"] = short_date
    templates.env.filters["status_words"] = status_words
    templates.env.globals.update(csrf_token=csrf.csrf_token, csrf_field=csrf.csrf_field)
    return templates


def csrf_refused(request: Request, reason: str) -> Response:
    """The 403 of a request without its CSRF token: the host's error page, or JSON for scripts."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"outcome": "failed", "error": {"code": "csrf_failed", "message": csrf.REFUSED_MESSAGE}}, status_code=403
        )
    context = {"title": csrf.REFUSED_TITLE, "message": csrf.REFUSED_MESSAGE, "status": 403, "staff": request.session.get("staff")}
    return request.app.state.templates.TemplateResponse(request, "error.html", context, status_code=403)


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session.setdefault("flash", []).append({"message": message, "kind": kind})


def pop_flash(request: Request) -> list[dict[str, Any]]:
    return request.session.pop("flash", []) or []


def session_secret(settings_secret: str, purpose: str) -> str:
    """A signing key for one host's session cookie, derived from a stack secret (never logged)."""
    return hmac.new(settings_secret.encode(), f"shopflow-{purpose}-session".encode(), hashlib.sha256).hexdigest()


def parse_money(text: str) -> int | None:
    """'12.34' or '12' → 1234 / 1200 minor units; '' → None; anything else → ValueError."""
    text = text.strip().lstrip("$").replace(",", "")
    if not text:
        return None
    whole, _, cents = text.partition(".")
    if not whole.isdigit() and whole != "" or (cents and (not cents.isdigit() or len(cents) > 2)):
        raise ValueError(text)
    value = int(whole or 0) * 100 + int((cents + "00")[:2] if cents else 0)
    if value <= 0:
        raise ValueError(text)
    return value
