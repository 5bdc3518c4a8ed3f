"""``/v1/documents``: list, read, download, similar; contribute, update, withdraw.

Writes check the caller's key here, before any work is queued: contributors may create documents only
for their own states and change or withdraw only documents their key created; admins may do anything.
Conversion and embedding run in the background worker (``/v1/jobs/{id}``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from ingest.converters import sniff_media_type
from ingest.converters.sniff import check_extension_matches
from ingest.prepare import humanize
from kb.blobs import BlobStore
from kb.catalog import Catalog, DocumentRecord, KeyRecord
from kb.errors import ConflictError, ForbiddenError, MetadataError, NotFoundError
from kb.metadata import DocumentMetadata, build_metadata, is_markdown, split_front_matter
from search.api.deps import CatalogDep, CurrentKey, JobsDep, ReaderKey, SearcherDep, SettingsDep
from search.api.schemas import (
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    JobOut,
    SectionOut,
    SimilarResponse,
    VersionOut,
    WithdrawnOut,
    problem_responses,
)
from search.facets import list_by_filters
from search.validation import SectorParam, TypeParam, YearParam, build_filters

router = APIRouter(prefix="/v1/documents", tags=["documents"], responses=problem_responses(400, 401, 404, 422))
DocumentId = Annotated[
    str, PathParam(description="The document's id (a slug).", examples=["haryana-cm-window"], max_length=120)
]

MetadataField = Annotated[
    str,
    Form(
        description="Metadata as a JSON object (schema: title, type, states, sector, year, ...).",
        examples=[
            '{"title": "CM Window", "type": "case_study", "states": ["Haryana"], "sector": "grievance_redressal"}'
        ],
    ),
]


def _visible(catalog: Catalog, document_id: DocumentId, key: KeyRecord | None) -> DocumentRecord:
    """Withdrawn documents are gone for readers; admins still see them."""
    record = catalog.require_document(document_id)
    if not record.active and not (key and key.is_admin):
        raise NotFoundError(f"document '{document_id}' was withdrawn")
    return record


@router.get("", response_model=DocumentList, summary="List documents with filters and paging")
def list_documents(
    catalog: CatalogDep,
    _key: ReaderKey,
    state: Annotated[
        list[str] | None, Query(description="State/UT; repeat for several.", examples=[["Haryana"]])
    ] = None,
    sector: SectorParam = None,
    type: TypeParam = None,
    year_from: YearParam = None,
    year_to: YearParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DocumentList:
    filters = build_filters(states=state, sector=sector, type=type, year_from=year_from, year_to=year_to)
    records, total = list_by_filters(catalog, filters, limit=limit, offset=offset)
    return DocumentList(total=total, limit=limit, offset=offset, documents=[DocumentSummary.of(r) for r in records])


@router.get("/{document_id}", response_model=DocumentDetail, summary="A document: metadata, sections, versions")
def get_document(document_id: DocumentId, catalog: CatalogDep, key: ReaderKey) -> DocumentDetail:
    record = _visible(catalog, document_id, key)
    return DocumentDetail(
        id=record.id,
        title=record.title,
        status=record.status,
        version=record.current_version,
        metadata=record.metadata,
        sections=[SectionOut.of(i, s) for i, s in enumerate(catalog.sections(record.id))],
        versions=[VersionOut.of(v) for v in catalog.versions(record.id)],
        url=f"/documents/{record.id}",
        file_url=f"/v1/documents/{record.id}/file",
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.get("/{document_id}/file", response_class=FileResponse, summary="Download the original file")
def get_file(
    document_id: DocumentId,
    catalog: CatalogDep,
    settings: SettingsDep,
    key: ReaderKey,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> FileResponse:
    record = _visible(catalog, document_id, key)
    stored = catalog.version(record.id, version)
    path = BlobStore(settings.blobs_dir).path(stored.blob_sha256)
    return FileResponse(path, media_type=stored.media_type, filename=stored.filename)


@router.get("/{document_id}/similar", response_model=SimilarResponse, summary="Similar practices")
def similar(
    document_id: DocumentId,
    catalog: CatalogDep,
    searcher: SearcherDep,
    key: ReaderKey,
    top_k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SimilarResponse:
    """Documents closest to this one by meaning (its own vectors), excluding itself."""
    record = _visible(catalog, document_id, key)
    return SimilarResponse(document_id=record.id, results=searcher.similar(record.id, top_k=top_k))


# -- writes --------------------------------------------------------------------------------------------


def _parse_metadata(text: str) -> dict[str, Any]:
    try:
        raw = json.loads(text.strip() or "{}")
    except json.JSONDecodeError as exc:
        raise MetadataError(f"the metadata field is not valid JSON: {exc.msg} (char {exc.pos})") from None
    if not isinstance(raw, dict):
        raise MetadataError('the metadata field must be a JSON object, e.g. {"title": "...", "states": ["Haryana"]}')
    return raw


def _check_file(data: bytes, filename: str) -> None:
    """Refuse content that does not match its name before queueing (cheap: magic bytes only)."""
    check_extension_matches(sniff_media_type(data, filename), filename)


def _validated(data: bytes, filename: str, raw: dict[str, Any]) -> DocumentMetadata:
    merged = dict(raw)
    if is_markdown(Path(filename)):
        merged = {**split_front_matter(data.decode("utf-8", errors="replace"))[0], **raw}
    stem = Path(filename).name.split(".")[0] or "document"
    return build_metadata(merged, source="metadata", default_id=stem, default_title=humanize(stem))


def _check_states(key: KeyRecord, meta: DocumentMetadata) -> None:
    if key.is_admin:
        return
    if not meta.states:
        raise ForbiddenError(f"set `states` in the metadata; this key may contribute for {', '.join(key.states)}")
    outside = [s for s in meta.states if s not in key.states]
    if outside:
        raise ForbiddenError(f"this key may contribute only for {', '.join(key.states)}, not for {', '.join(outside)}")


def _check_owner(key: KeyRecord, record: DocumentRecord) -> None:
    if not key.is_admin and record.owner_key_id != key.id:
        raise ForbiddenError(
            f"document '{record.id}' belongs to another contributor; only its owner or an admin may change it"
        )


def _accepted(job_out: JobOut, response: Response) -> JobOut:
    response.headers["Location"] = job_out.url
    return job_out


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    summary="Contribute a document (queued)",
    responses=problem_responses(403, 409, 413),
)
async def create_document(
    response: Response,
    catalog: CatalogDep,
    jobs: JobsDep,
    key: CurrentKey,
    file: Annotated[UploadFile, File(description="Markdown, PDF, DOCX, HTML or text.")],
    metadata: MetadataField = "{}",
) -> JobOut:
    """Validates the metadata and the key's states now; converts and indexes in the background."""
    data = await file.read()
    filename = Path(file.filename or "upload.txt").name
    raw = _parse_metadata(metadata)
    meta = _validated(data, filename, raw)
    _check_states(key, meta)
    existing = catalog.get_document(meta.id)
    if existing is not None and existing.active:
        raise ConflictError(
            f"a document with id '{meta.id}' exists; send a new version with PUT /v1/documents/{meta.id}"
        )
    _check_file(data, filename)
    job = jobs.submit(data=data, filename=filename, raw_meta=raw, key=key, expected_id=meta.id)
    return _accepted(JobOut.of(job), response)


@router.put(
    "/{document_id}",
    status_code=202,
    response_model=JobOut,
    summary="New version of a document (queued)",
    responses=problem_responses(403, 413),
)
async def update_document(
    document_id: DocumentId,
    response: Response,
    catalog: CatalogDep,
    settings: SettingsDep,
    jobs: JobsDep,
    key: CurrentKey,
    file: Annotated[UploadFile | None, File(description="The new file; omit to change metadata only.")] = None,
    metadata: MetadataField = "{}",
) -> JobOut:
    """The previous version stays in the catalog. Metadata fields not sent keep their current values."""
    record = catalog.require_document(document_id)
    _check_owner(key, record)
    current = catalog.version(record.id)
    if file is not None:
        data, filename = await file.read(), Path(file.filename or current.filename).name
    else:
        data, filename = BlobStore(settings.blobs_dir).get(current.blob_sha256), current.filename
    raw = {
        **{k: v for k, v in record.metadata.items() if v not in (None, [], "")},
        **_parse_metadata(metadata),
    }
    raw["id"] = record.id
    meta = _validated(data, filename, raw)
    _check_states(key, meta)
    _check_file(data, filename)
    job = jobs.submit(data=data, filename=filename, raw_meta=raw, key=key, document_id=record.id)
    return _accepted(JobOut.of(job), response)


@router.delete(
    "/{document_id}",
    response_model=WithdrawnOut,
    summary="Withdraw a document from search",
    responses=problem_responses(403),
)
def withdraw_document(document_id: DocumentId, request: Request, catalog: CatalogDep, key: CurrentKey) -> WithdrawnOut:
    """Removed from search at once; kept in the catalog and the audit log."""
    record = catalog.require_document(document_id, include_withdrawn=False)
    _check_owner(key, record)
    request.app.state.ingestor.remove(record.id, actor=key.actor)
    return WithdrawnOut(id=record.id, status="withdrawn")
