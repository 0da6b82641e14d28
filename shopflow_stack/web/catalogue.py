"""Home, product list (category filter, search, pages) and product pages."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shopflow_stack.web import state
from shopflow_stack.web.pages import render

router = APIRouter()
FEATURED_COUNT = 8
PER_PAGE = 12


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    api = state.shop_api(request)
    products, categories = await asyncio.gather(
        api.get("/api/products", page=1, per_page=FEATURED_COUNT),
        api.get("/api/categories"),
    )
    return render(request, "home.html", {"products": products["items"], "categories": categories["items"]})


@router.get("/products", response_class=HTMLResponse)
async def product_list(request: Request, category: str = "", q: str = "", page: int = 1) -> HTMLResponse:
    api = state.shop_api(request)
    page = max(page, 1)
    products, categories = await asyncio.gather(
        api.get("/api/products", page=page, per_page=PER_PAGE, category=category, q=q.strip()),
        api.get("/api/categories"),
    )
    total = int(products.get("total", 0))
    return render(
        request,
        "products.html",
        {
            "products": products["items"],
            "categories": categories["items"],
            "category": category,
            "q": q,
            "page": page,
            "total": total,
            "has_next": page * PER_PAGE < total,
        },
    )


@router.get("/products/{slug}", response_class=HTMLResponse)
async def product_page(request: Request, slug: str) -> HTMLResponse:
    product = await state.shop_api(request).get(f"/api/products/by-slug/{slug}")
    return render(request, "product.html", {"product": product})
