"""``/v1/jobs/{id}``: where a queued upload stands."""

from __future__ import annotations

from fastapi import APIRouter

from kb.errors import NotFoundError
from search.api.deps import CatalogDep, CurrentKey
from search.api.schemas import JobOut, problem_responses

router = APIRouter(prefix="/v1/jobs", tags=["contributions"], responses=problem_responses(401, 404))


@router.get("/{job_id}", response_model=JobOut, summary="Status of an ingest job")
def get_job(job_id: str, catalog: CatalogDep, key: CurrentKey) -> JobOut:
    """queued, running, done (with the document id) or failed (with the reason). Visible to its key and admins."""
    job = catalog.get_job(job_id)
    if not key.is_admin and job.key_id != key.id:
        raise NotFoundError(f"no job with id '{job_id}'")
    return JobOut.of(job)
