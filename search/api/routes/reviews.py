"""Review before publishing: ``/v1/reviews`` (a curator's queue), ``/v1/submissions`` (a
contributor's own), and ``POST /v1/documents/{id}/review`` (a decision).

The rules are in :mod:`search.services.reviews`; this module is the HTTP surface. A submission is
invisible to everyone but its submitter, the curators of its states and admins (404 for others,
as for an unknown id).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from kb.blobs import open_blob_store
from kb.catalog import SubmissionRecord
from search.api.deps import CurrentKey
from search.api.routes.documents import FILE_HEADERS
from search.api.schemas import FILE_RESPONSE, KEY_REQUIRED, JobOut, problem_responses
from search.services.reviews import NOTE_MAX_CHARS, Reviews

router = APIRouter(prefix="/v1", tags=["review"], responses=problem_responses(401, 403, 404, 422, 429))
SubmissionId = Annotated[str, PathParam(description="A submission's id.", max_length=64)]
DocumentId = Annotated[str, PathParam(description="The document's id (a slug).", max_length=120)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def get_reviews(request: Request) -> Reviews:
    return Reviews.of(request.app.state)


ReviewsDep = Annotated[Reviews, Depends(get_reviews)]


class SubmissionOut(BaseModel):
    """A submission as its submitter and its curators see it."""

    id: str
    document_id: str
    kind: str = Field(description="create (a new document) or update (a new version of a published one)")
    status: str = Field(
        description="submitted (waiting for a curator), changes_requested (back with the owner), rejected, "
        "approved (being published), published, superseded (a newer upload replaced it)"
    )
    title: str
    states: list[str]
    visibility: str
    filename: str
    warnings: list[str] = Field(description="What the checks found (e.g. missing case-study sections).")
    note: str | None = Field(description="The curator's note with the last decision.")
    decided_by: str | None
    decided_at: str | None
    publish_job: str | None = Field(description="The job publishing it, once approved (`/v1/jobs/{id}`).")
    created_at: str
    updated_at: str
    url: str
    file_url: str

    @classmethod
    def of(cls, s: SubmissionRecord) -> SubmissionOut:
        return cls(
            id=s.id,
            document_id=s.document_id,
            kind=s.kind,
            status=s.status,
            title=s.title,
            states=s.states,
            visibility=s.visibility,
            filename=s.filename,
            warnings=s.warnings,
            note=s.note,
            decided_by=s.decided_by,
            decided_at=s.decided_at,
            publish_job=s.publish_job_id,
            created_at=s.created_at,
            updated_at=s.updated_at,
            url=f"/v1/submissions/{s.id}",
            file_url=f"/v1/submissions/{s.id}/file",
        )


class SubmissionDetail(SubmissionOut):
    metadata: dict[str, Any]
    preview: list[dict[str, Any]] = Field(description="The converted sections (heading_path, page, text).")


class SubmissionList(BaseModel):
    submissions: list[SubmissionOut]
    limit: int
    offset: int


class ReviewDecision(BaseModel):
    """``POST /v1/documents/{id}/review``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "request_changes", "note": "Add the Results section."}]},
    )

    decision: Literal["approve", "request_changes", "reject"]
    note: str = Field(default="", max_length=NOTE_MAX_CHARS, description="Required unless approving.")


class ReviewOutcome(BaseModel):
    submission: SubmissionOut
    job: JobOut | None = Field(description="For an approval: the job that publishes the document.")


@router.get(
    "/reviews", response_model=SubmissionList, summary="The review queue of a curator", dependencies=KEY_REQUIRED
)
def review_queue(reviews: ReviewsDep, key: CurrentKey, limit: Limit = 50, offset: Offset = 0) -> SubmissionList:
    """Submissions waiting for a decision that this curator may take (their states), oldest first."""
    found = reviews.queue(key, limit=limit, offset=offset)
    return SubmissionList(submissions=[SubmissionOut.of(s) for s in found], limit=limit, offset=offset)


@router.get("/submissions", response_model=SubmissionList, summary="Your submissions", dependencies=KEY_REQUIRED)
def my_submissions(reviews: ReviewsDep, key: CurrentKey, limit: Limit = 50, offset: Offset = 0) -> SubmissionList:
    """What this key sent for review, newest first, with each one's status and the curator's note."""
    found = reviews.submitted_by(key, limit=limit, offset=offset)
    return SubmissionList(submissions=[SubmissionOut.of(s) for s in found], limit=limit, offset=offset)


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionDetail,
    summary="A submission with its converted text",
    dependencies=KEY_REQUIRED,
)
def get_submission(submission_id: SubmissionId, reviews: ReviewsDep, key: CurrentKey) -> SubmissionDetail:
    submission = reviews.get(key, submission_id)
    return SubmissionDetail(
        **SubmissionOut.of(submission).model_dump(), metadata=submission.metadata, preview=submission.preview
    )


@router.get(
    "/submissions/{submission_id}/file",
    response_class=StreamingResponse,
    summary="Download a submission's original file",
    responses={200: FILE_RESPONSE},
    dependencies=KEY_REQUIRED,
)
def get_submission_file(
    request: Request, submission_id: SubmissionId, reviews: ReviewsDep, key: CurrentKey
) -> StreamingResponse:
    submission = reviews.get(key, submission_id)
    blobs = open_blob_store(request.app.state.settings, request.app.state.catalog)
    quoted = quote(submission.filename)
    disposition = (
        f'attachment; filename="{submission.filename}"'
        if quoted == submission.filename
        else f"attachment; filename*=utf-8''{quoted}"
    )
    return StreamingResponse(
        blobs.open_stream(submission.blob_sha256),
        media_type="application/octet-stream",
        headers={
            **FILE_HEADERS,
            "Content-Disposition": disposition,
            "Content-Length": str(blobs.size(submission.blob_sha256)),
        },
    )


@router.post(
    "/documents/{document_id}/review",
    response_model=ReviewOutcome,
    summary="Decide a submission: approve, request changes or reject",
    responses=problem_responses(409, s409="Already decided"),
    dependencies=KEY_REQUIRED,
)
def decide(document_id: DocumentId, body: ReviewDecision, reviews: ReviewsDep, key: CurrentKey) -> ReviewOutcome:
    """A curator of the document's states decides its waiting submission. Approving queues the job
    that publishes it (follow `job.url`); the previous published version stays visible until then."""
    decided = reviews.decide(key, document_id, body.decision, body.note)
    return ReviewOutcome(
        submission=SubmissionOut.of(decided.submission),
        job=JobOut.of(decided.job) if decided.job is not None else None,
    )
