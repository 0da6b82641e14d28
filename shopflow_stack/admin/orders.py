"""Orders: list with search (number or email) and status filter, detail, refunds."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shopflow_stack.admin.auth import admin_api, render
from shopflow_stack.frontend.api_client import ApiError
from shopflow_stack.frontend.rendering import STATUS_WORDS, flash, money, parse_money

router = APIRouter()
PER_PAGE = 25
REFUND_ERRORS = {
    "refund_exceeds_captured": "The refund is more than what is left to refund on this order.",
    "order_not_paid": "This order has not been paid, so there is nothing to refund.",
}


@router.get("/orders", response_class=HTMLResponse)
async def order_list(request: Request, q: str = "", status: str = "", page: int = 1) -> HTMLResponse:
    page = max(page, 1)
    result = await admin_api(request).get("/api/admin/orders", q=q.strip(), status=status, page=page, per_page=PER_PAGE)
    total = int(result.get("total", len(result.get("items", []))))
    return render(
        request,
        "orders.html",
        {
            "orders": result.get("items", []),
            "q": q,
            "status": status,
            "statuses": STATUS_WORDS,
            "page": page,
            "total": total,
            "has_next": page * PER_PAGE < total,
        },
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_detail(request: Request, order_id: str) -> HTMLResponse:
    order = await admin_api(request).get(f"/api/admin/orders/{order_id}")
    refundable = max(int(order.get("paid_amount") or 0) - int(order.get("refunded_amount") or 0), 0)
    return render(request, "order.html", {"order": order, "refundable": refundable, "refund_key": uuid.uuid4().hex})


@router.post("/orders/{order_id}/refunds")
async def refund(
    request: Request, order_id: str, amount: str = Form(""), reason: str = Form(""), refund_key: str = Form("")
) -> RedirectResponse:
    api = admin_api(request)
    back = RedirectResponse(f"/orders/{order_id}", status_code=303)
    if not reason.strip():
        flash(request, "Please give a reason for the refund.", "error")
        return back
    try:
        minor_units = parse_money(amount)
    except ValueError:
        flash(request, "Enter the amount as dollars and cents, e.g. 12.50, or leave it empty for a full refund.", "error")
        return back
    try:
        result = await api.call(
            "POST",
            f"/api/admin/orders/{order_id}/refunds",
            json={"amount": minor_units, "reason": reason.strip()},
            idempotency_key=f"admin-refund-{refund_key}" if refund_key else None,
        )
    except ApiError as error:
        if error.code in REFUND_ERRORS or error.status in (409, 422):
            flash(request, REFUND_ERRORS.get(error.code, error.message), "error")
            return back
        raise
    refund_data = result.get("refund") or {}
    flash(request, f"Refunded {money(refund_data.get('amount'))}.", "success")
    return back
