"""``/v1/jobs/{id}``: where a queued upload stands."""

from __future__ import annotations

from fastapi import APIRouter

from search.api.deps import CurrentKey, JobsDep
from search.api.schemas import KEY_REQUIRED, JobOut, problem_responses

router = APIRouter(prefix="/v1/jobs", tags=["contributions"], responses=problem_responses(401, 404, 422, 429))


@router.get("/{job_id}", response_model=JobOut, summary="Status of an ingest job", dependencies=KEY_REQUIRED)
def get_job(job_id: str, jobs: JobsDep, key: CurrentKey) -> JobOut:
    """queued, running, done (with the document id) or failed (with the reason). Visible to its key and admins."""
    return JobOut.of(jobs.for_key(job_id, key))
