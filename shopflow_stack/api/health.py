"""GET /health: version and the state of each dependency; 503 naming the one that failed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shopflow_stack.api.auth import Ctx

STALE_VERSION = "0000000-stale"
router = APIRouter()


def _run(check: Any) -> str:
    try:
        return str(check())
    except Exception as error:  # a dependency's failure is the check's value, not a 500
        return f"fail: {type(error).__name__}: {str(error)[:200]}"


@router.get("/health")
def health(ctx: Ctx) -> JSONResponse:
    faults = ctx.settings.faults
    checks = {name: _run(check) for name, check in ctx.health_checks.items()}
    if "health_degraded" in faults:  # answers 200 but its body says a check fails
        checks["database"] = "fail: injected (health_degraded)"
    failing = [name for name, value in checks.items() if value not in ("ok", "disabled")]
    hard_failure = failing and "health_degraded" not in faults
    body = {
        "status": "fail" if failing else "ok",
        "version": STALE_VERSION if "stale_version" in faults else ctx.settings.version,
        "checks": checks,
        "faults": faults.names,
    }
    return JSONResponse(body, status_code=503 if hard_failure else 200)
