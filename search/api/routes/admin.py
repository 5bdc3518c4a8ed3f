"""Health, readiness and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from search.api.deps import AdminKey, DocumentsDep
from search.api.schemas import KEY_REQUIRED, READY_RESPONSES, AuditOut, problem_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: model and index loaded", responses=READY_RESPONSES)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    if not getattr(state, "ready", False):
        return JSONResponse({"status": "starting", "model": False, "index": False}, status_code=503)
    body: dict[str, Any] = {
        "status": "ready",
        "model": True,
        "index": True,
        "chunks": state.store.count_documents(),
    }
    return JSONResponse(body)


@router.get(
    "/v1/audit",
    response_model=list[AuditOut],
    tags=["admin"],
    summary="Audit log (admin)",
    responses=problem_responses(401, 403, 422, 429),
    dependencies=KEY_REQUIRED,
)
def audit(
    documents: DocumentsDep,
    admin: AdminKey,
    document_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditOut]:
    """Every write: who, what, when, which document. Newest first."""
    entries = documents.audit_log(admin, document_id=document_id, limit=limit, offset=offset)
    return [AuditOut.of(e) for e in entries]
