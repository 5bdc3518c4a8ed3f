"""Response bodies of the document, job and audit resources."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from kb.catalog import AuditEntry, DocumentRecord, JobRecord, VersionRecord
from kb.models import Section
from search.api.exchange_schemas import AdoptionSummary
from search.api.problems import PROBLEM_MEDIA_TYPE
from search.schemas import FacetValue, SearchResult


class Problem(BaseModel):
    """An error (RFC 9457 problem details), served as ``application/problem+json``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/invalid-query",
                    "title": "Invalid query",
                    "status": 400,
                    "detail": "invalid filter sector: 'helth' is not a valid sector; did you mean 'health'?",
                }
            ]
        }
    )

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong and how to fix it.")


PROBLEM_MEANINGS = {
    400: "Invalid query, filter or paging value",
    401: "Missing or wrong API key",
    403: "The key may not do this",
    404: "Unknown document, version or job",
    409: "The id is taken (use PUT for a new version)",
    413: "Upload over the size limit",
    422: "Invalid metadata, unreadable file or invalid request",
    507: "The server's disk is full; nothing was stored",
    429: "Too many wrong keys from this address; retry after `Retry-After` seconds",
    503: "Busy (the upload queue is full) or starting; retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}


def problem_responses(*statuses: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting our problem+json errors.

    ``meanings`` overrides a description for one operation (``problem_responses(400, s400="Empty query")``).
    Every operation that takes parameters or a body should list 422: FastAPI would otherwise document its
    own ``application/json`` validation error, which this API never sends.
    """
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": meanings.get(f"s{status}", PROBLEM_MEANINGS[status]),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status in (429, 503):
            entry["headers"] = RETRY_AFTER
        entries[status] = entry
    return entries


# Declares the bearer key in the OpenAPI (Swagger's "Authorize", and clients and schemathesis know
# which operations need it). ``auto_error=False``: it only documents; ``search.api.deps`` checks the key.
KEY_REQUIRED = [
    Security(
        HTTPBearer(
            scheme_name="apiKey",
            description="An API key from `kb keys create`: `Authorization: Bearer <key>`.",
            auto_error=False,
        )
    )
]

_BINARY = {"schema": {"type": "string", "format": "binary"}}
FILE_RESPONSE: dict[str, Any] = {
    "description": "The original file, as a download (its stored media type).",
    "content": {
        media_type: _BINARY
        for media_type in (
            "text/markdown",
            "text/plain",
            "text/html",
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    },
}
READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Ready: model and index loaded, with the number of indexed chunks."},
    503: {
        "description": "Starting: the model or the index is not loaded yet.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


class DocumentSummary(BaseModel):
    id: str
    title: str
    type: str
    sector: str
    states: list[str]
    year: int | None
    status: str = Field(description="active or withdrawn")
    version: int
    updated_at: str
    url: str = Field(description="The document's page in the web UI.")

    @classmethod
    def of(cls, record: DocumentRecord) -> DocumentSummary:
        return cls(
            id=record.id,
            title=record.title,
            type=record.type,
            sector=record.sector,
            states=record.states,
            year=record.year,
            status=record.status,
            version=record.current_version,
            updated_at=record.updated_at,
            url=f"/documents/{record.id}",
        )


class DocumentList(BaseModel):
    total: int
    limit: int
    offset: int
    documents: list[DocumentSummary]


class SectionOut(BaseModel):
    position: int
    heading_path: list[str]
    section: str
    page: int | None
    text: str

    @classmethod
    def of(cls, position: int, section: Section) -> SectionOut:
        return cls(
            position=position,
            heading_path=list(section.heading_path),
            section=section.heading,
            page=section.page,
            text=section.text,
        )


class VersionOut(BaseModel):
    version: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    chunks: int
    created_at: str
    created_by: str
    file_url: str

    @classmethod
    def of(cls, v: VersionRecord) -> VersionOut:
        return cls(
            version=v.version,
            filename=v.filename,
            media_type=v.media_type,
            size_bytes=v.size_bytes,
            sha256=v.blob_sha256,
            chunks=v.chunk_count,
            created_at=v.created_at,
            created_by=v.created_by,
            file_url=f"/v1/documents/{v.document_id}/file?version={v.version}",
        )


class VersionDetail(VersionOut):
    """One stored version as it was: its metadata and sections, at its permanent address."""

    document_id: str
    metadata: dict[str, Any] = Field(description="`contact` is null unless the request carries an API key.")
    sections: list[SectionOut]
    url: str = Field(description="The version's permanent page, for citations.")


class DocumentDetail(BaseModel):
    id: str
    title: str
    status: str
    version: int
    metadata: dict[str, Any] = Field(
        description="All metadata fields, including extra ones. `contact` (officials' names, emails, phones) is "
        "null unless the request carries an API key."
    )
    contact_available: bool = Field(
        description="Whether the document names a contact: without a key it is hidden, ask with one to see it."
    )
    sections: list[SectionOut]
    versions: list[VersionOut]
    url: str
    file_url: str
    created_at: str
    updated_at: str
    adoptions: list[AdoptionSummary] = Field(
        default_factory=list, description="States taking this practice up (/v1/documents/{id}/adoptions)."
    )
    pending_review: PendingReview | None = Field(
        default=None,
        description="A new version waiting for a curator, shown only to its submitter, the curators of the "
        "document's states and admins (everyone else reads the published version alone).",
    )


class PendingReview(BaseModel):
    """A document's open submission, for the callers who may see it."""

    id: str
    status: str = Field(description="submitted (waiting for a curator) or changes_requested (with its owner)")
    note: str | None
    url: str

    @classmethod
    def of(cls, submission: Any) -> PendingReview:
        return cls(
            id=submission.id, status=submission.status, note=submission.note, url=f"/v1/submissions/{submission.id}"
        )


class JobOut(BaseModel):
    id: str
    kind: str = Field(description="create or update")
    status: str = Field(description="queued, running, done or failed")
    document_id: str | None
    error: str | None = Field(description="Why the job failed, when it did.")
    attempts: int = Field(description="Runs so far; a job interrupted by a restart is run again.")
    detail: dict[str, Any]
    created_at: str
    updated_at: str
    url: str

    @classmethod
    def of(cls, job: JobRecord) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            document_id=job.document_id,
            error=job.error,
            attempts=job.attempts,
            detail=job.detail,
            created_at=job.created_at,
            updated_at=job.updated_at,
            url=f"/v1/jobs/{job.id}",
        )


class AuditOut(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    document_id: str | None
    version: int | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(**asdict(entry))


class WithdrawnOut(BaseModel):
    id: str
    status: str


class SimilarResponse(BaseModel):
    document_id: str
    results: list[SearchResult]


class FacetsResponse(BaseModel):
    facets: dict[str, list[FacetValue]]
