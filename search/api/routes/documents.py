"""``/v1/documents``: list, read, download, similar; contribute, update, withdraw.

Writes are thin: the caller's key is checked first (``CurrentKey``), then
:mod:`search.services.contributions` applies the write rules (kinds of file, metadata, states,
ownership, ids) before any work is queued. Conversion and embedding run in the background worker
(``/v1/jobs/{id}``). Original files are served so that they can never run in our origin: no
sniffing, HTML only as a download, and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from kb.catalog import JobRecord
from kb.catalog.insights import UsageEvent
from search.api.deps import ContributionsDep, CurrentKey, DocumentsDep, ReaderKey
from search.api.exchange_schemas import AdoptionSummary
from search.api.routes.adoptions import ExchangeDep
from search.api.schemas import (
    FILE_RESPONSE,
    KEY_REQUIRED,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    JobOut,
    PendingReview,
    SectionOut,
    SimilarResponse,
    VersionDetail,
    VersionOut,
    WithdrawnOut,
    problem_responses,
)
from search.services.access import Viewer
from search.services.contributions import upload_name
from search.services.redaction import contact_available, redact_metadata
from search.services.reviews import Reviews
from search.validation import AdoptedByParam, SectorParam, TypeParam, YearParam, build_filters

router = APIRouter(prefix="/v1/documents", tags=["documents"], responses=problem_responses(400, 401, 404, 422, 429))
DocumentId = Annotated[
    str, PathParam(description="The document's id (a slug).", examples=["haryana-cm-window"], max_length=120)
]

FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}

MetadataField = Annotated[
    str,
    Form(
        description="Metadata as a JSON object (schema: title, type, states, sector, year, ...).",
        examples=[
            '{"title": "CM Window", "type": "case_study", "states": ["Haryana"], "sector": "grievance_redressal"}'
        ],
    ),
]


@router.get("", response_model=DocumentList, summary="List documents with filters and paging")
def list_documents(
    documents: DocumentsDep,
    key: ReaderKey,
    state: Annotated[
        list[str] | None, Query(description="State/UT; repeat for several.", examples=[["Haryana"]])
    ] = None,
    sector: SectorParam = None,
    type: TypeParam = None,
    year_from: YearParam = None,
    year_to: YearParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    adopted_by: AdoptedByParam = None,
) -> DocumentList:
    filters = build_filters(
        states=state, sector=sector, type=type, year_from=year_from, year_to=year_to, adopted_by=adopted_by
    )
    found = documents.listing(filters, limit=limit, offset=offset, viewer=Viewer.of(key))
    summaries = [DocumentSummary.of(r) for r in found.records]
    return DocumentList(total=found.total, limit=limit, offset=offset, documents=summaries)


@router.get("/{document_id}", response_model=DocumentDetail, summary="A document: metadata, sections, versions")
def get_document(
    request: Request, document_id: DocumentId, documents: DocumentsDep, key: ReaderKey, exchange: ExchangeDep
) -> DocumentDetail:
    record = documents.get(document_id, key)  # withdrawn: gone for readers, admins still see it
    pending = Reviews.of(request.app.state).pending_for(key, record.id)
    documents.count(UsageEvent(kind="view", surface="api", document_id=record.id))
    adoptions = [AdoptionSummary.of(a, keyed=key is not None) for a in exchange.adoptions_for(record, key)]
    return DocumentDetail(
        id=record.id,
        title=record.title,
        status=record.status,
        version=record.current_version,
        metadata=redact_metadata(record.metadata, key),  # contacts only for callers with a key
        contact_available=contact_available(record.metadata),
        sections=[SectionOut.of(i, s) for i, s in enumerate(documents.sections(record))],
        versions=[VersionOut.of(v) for v in documents.versions(record)],
        url=f"/documents/{record.id}",
        file_url=f"/v1/documents/{record.id}/file",
        created_at=record.created_at,
        updated_at=record.updated_at,
        adoptions=adoptions,
        pending_review=PendingReview.of(pending) if pending is not None else None,
    )


@router.get(
    "/{document_id}/file",
    response_class=StreamingResponse,
    summary="Download the original file",
    responses={200: FILE_RESPONSE},
)
def get_file(
    document_id: DocumentId,
    documents: DocumentsDep,
    key: ReaderKey,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> StreamingResponse:
    stored = documents.file(documents.get(document_id, key), version)
    documents.count(UsageEvent(kind="download", surface="api", document_id=document_id))
    # Always a download (an uploaded HTML page must not run scripts as our origin), never sniffed into
    # something else, and sandboxed by CSP should a browser render it anyway.
    quoted = quote(stored.filename)  # as Starlette's FileResponse names a download
    disposition = (
        f'attachment; filename="{stored.filename}"'
        if quoted == stored.filename
        else f"attachment; filename*=utf-8''{quoted}"
    )
    return StreamingResponse(
        stored.pieces,
        media_type=stored.media_type,
        headers={**FILE_HEADERS, "Content-Disposition": disposition, "Content-Length": str(stored.size)},
    )


@router.get(
    "/{document_id}/versions/{number}",
    response_model=VersionDetail,
    summary="One version as it was: metadata and sections",
)
def get_version(
    document_id: DocumentId,
    number: Annotated[int, PathParam(ge=1, le=1_000_000, description="The version number.")],
    documents: DocumentsDep,
    key: ReaderKey,
) -> VersionDetail:
    """A stored version never changes: cite it by its `url` (the page at `/documents/{id}/versions/{n}`)."""
    record = documents.get(document_id, key)
    stored = documents.version(record, number)
    return VersionDetail(
        **VersionOut.of(stored).model_dump(),
        document_id=record.id,
        metadata=redact_metadata(stored.metadata, key),
        sections=[SectionOut.of(i, s) for i, s in enumerate(documents.sections(record, number))],
        url=f"/documents/{record.id}/versions/{number}",
    )


@router.get("/{document_id}/similar", response_model=SimilarResponse, summary="Similar practices")
def similar(
    document_id: DocumentId,
    documents: DocumentsDep,
    key: ReaderKey,
    top_k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SimilarResponse:
    """Documents closest to this one by meaning (its own vectors), excluding itself."""
    record = documents.get(document_id, key)
    return SimilarResponse(document_id=record.id, results=documents.similar(record, top_k=top_k, viewer=Viewer.of(key)))


# -- writes: the rules are in search.services.contributions ------------------------------------------


def _accepted(job: JobRecord, response: Response) -> JobOut:
    job_out = JobOut.of(job)
    response.headers["Location"] = job_out.url
    return job_out


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    summary="Contribute a document (queued)",
    responses=problem_responses(403, 409, 413, 503, 507),
    dependencies=KEY_REQUIRED,
)
def create_document(
    response: Response,
    contributions: ContributionsDep,
    key: CurrentKey,
    file: Annotated[UploadFile, File(description="Markdown, PDF, DOCX, HTML or text.")],
    metadata: MetadataField = "{}",
) -> JobOut:
    """Validates the metadata and the key's states now; converts and indexes in the background.

    A plain ``def``: FastAPI runs it in its thread pool, so reading and parsing never block the loop.
    """
    job = contributions.create(key, upload=file.file, filename=upload_name(file.filename), metadata=metadata)
    return _accepted(job, response)


@router.put(
    "/{document_id}",
    status_code=202,
    response_model=JobOut,
    summary="New version of a document (queued)",
    responses=problem_responses(403, 409, 413, 503, 507),
    dependencies=KEY_REQUIRED,
)
def update_document(
    document_id: DocumentId,
    response: Response,
    contributions: ContributionsDep,
    key: CurrentKey,
    # typed without `| None` so the schema does not offer null, which a multipart part cannot be
    file: Annotated[UploadFile, File(description="The new file; omit to change metadata only.")] = None,  # type: ignore[assignment]
    metadata: MetadataField = "{}",
) -> JobOut:
    """The previous version stays in the catalog. Metadata fields not sent keep their current values."""
    upload, filename = (file.file, file.filename) if file is not None else (None, None)
    job = contributions.update(key, document_id, upload=upload, filename=filename, metadata=metadata)
    return _accepted(job, response)


@router.delete(
    "/{document_id}",
    response_model=WithdrawnOut,
    summary="Withdraw a document from search",
    responses=problem_responses(403, 507),
    dependencies=KEY_REQUIRED,
)
def withdraw_document(document_id: DocumentId, contributions: ContributionsDep, key: CurrentKey) -> WithdrawnOut:
    """Removed from search at once; kept in the catalog and the audit log."""
    record = contributions.withdraw(key, document_id)
    return WithdrawnOut(id=record.id, status="withdrawn")
