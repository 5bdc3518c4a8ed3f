"""``/insights``: what officials look for and read, for curators and admins, with the key in the form.

The numbers come from :class:`~search.services.insights.Insights` (the same as ``GET /v1/insights``);
charts are SVG drawn on the server, so the page needs no script and no CDN and reads on any screen.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kb.errors import ForbiddenError
from search.services.insights import Insights
from search.web.keyed import KeyProblem, field, keyed_page, read_key

router = APIRouter(include_in_schema=False)
PERIODS = (7, 30, 90, 365)


def bars(rows: list[tuple[str, int]], *, width: int = 560, row: int = 22) -> dict[str, Any]:
    """A horizontal bar chart's geometry: one bar per (label, value), scaled to the largest value."""
    top = max((value for _, value in rows), default=0) or 1
    label_w = 220
    room = width - label_w - 60
    items = [
        {"label": label, "value": value, "y": i * row, "w": max(2, round(room * value / top)) if value else 0}
        for i, (label, value) in enumerate(rows)
    ]
    return {"items": items, "width": width, "height": max(row, row * len(rows)), "x": label_w, "row": row}


@router.get("/insights")
def insights_form(request: Request) -> Response:
    context: dict[str, Any] = {"key": None, "errors": {}, "periods": PERIODS, "days": 30, "refused": False}
    return keyed_page(request, "insights.html", context)


@router.post("/insights")
async def insights_page(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    await form.close()
    days = int(field(form, "days", 4)) if field(form, "days", 4).isdigit() else 30
    days = days if days in PERIODS else 30
    context: dict[str, Any] = {"key": None, "errors": {}, "periods": PERIODS, "days": days, "refused": False}
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        context["errors"] = {"key": problem.message}
        return keyed_page(
            request, "insights.html", context, status_code=problem.status, retry_after=problem.retry_after
        )
    try:
        summary = await run_in_threadpool(Insights.of(request.app.state).summary, key, days=days, limit=15)
    except ForbiddenError:
        return keyed_page(request, "insights.html", {**context, "key": key, "refused": True}, status_code=403)
    charts = {
        "queries": bars([(q, n) for q, n, _ in summary.top_queries]),
        "gaps": bars([(q, n) for q, n, _ in summary.gaps]),
        "documents": bars([(t, v + w) for _, t, v, w in summary.documents]),
        "states": bars([(s, v + w) for s, v, w in summary.states]),
        "adoptions": bars(summary.adoptions_by_month[-12:]),
    }
    return keyed_page(request, "insights.html", {**context, "key": key, "summary": summary, "charts": charts})
