"""Contributing from the browser: a form (``/contribute``) and a job page that follows the upload.

The form goes through the same checks as ``POST /v1/documents`` (the API's own helpers for the file,
the metadata schema and the key's states), then queues the same background job. Every problem is
reported next to its field at once, not one per attempt. The key travels in the form only: it is
never put in a cookie or echoed back into the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from ingest.prepare import humanize
from kb.catalog import Catalog, KeyRecord
from kb.errors import ForbiddenError, KBError, MetadataError
from kb.metadata import DocumentMetadata, is_markdown, slugify, split_front_matter
from kb.vocab import STATES, UNION_TERRITORIES
from search.api.routes.documents import _check_file, _check_states, _validated
from search.jobs import JobRunner
from search.web.render import LANGUAGES, page

router = APIRouter(include_in_schema=False)

TEXT_FIELDS = ("id", "title", "type", "sector", "level", "year", "language", "tags", "source_url")
FORM_FIELDS = ("file", "key", "states", *TEXT_FIELDS)
REQUIRED_CHOICES = {"type": "Choose the type of document.", "sector": "Choose the sector it belongs to."}


def _catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def _form_page(
    request: Request,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "contribute.html",
        {
            "values": values or {"states": []},
            "errors": errors or {},
            "general": general or [],
            "state_names": STATES,
            "territory_names": UNION_TERRITORIES,
            "languages": LANGUAGES,
            "max_bytes": request.app.state.settings.max_upload_bytes,
        },
        status_code=status_code,
        Cache_Control="no-store",
    )


@router.get("/contribute")
def contribute_form(request: Request) -> Response:
    return _form_page(request)


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in TEXT_FIELDS}
    values["states"] = [str(s) for s in form.getlist("states") if str(s).strip()]
    return values


def _raw_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """What the official filled in, as the API's metadata JSON would carry it (blanks left out)."""
    raw: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS if values[name] and name != "tags"}
    if values["tags"]:
        raw["tags"] = [tag.strip() for tag in values["tags"].split(",") if tag.strip()]
    if values["states"]:
        raw["states"] = values["states"]
    return raw


def _metadata_errors(data: bytes, filename: str, raw: dict[str, Any]) -> tuple[dict[str, str], DocumentMetadata | None]:
    """All invalid fields at once (the schema's own messages), else the metadata as the API builds it."""
    merged = dict(raw)
    if is_markdown(Path(filename)):
        try:
            merged = {**split_front_matter(data.decode("utf-8", errors="replace"))[0], **raw}
        except MetadataError as exc:
            return {"file": f"The file's front matter is not valid: {exc.message}"}, None
    errors = {name: message for name, message in REQUIRED_CHOICES.items() if not merged.get(name)}
    stem = Path(filename).name.split(".")[0] or "document"
    candidate = {"id": slugify(stem), "title": humanize(stem)}
    candidate.update({k: v for k, v in merged.items() if v not in (None, "", [])})
    try:
        DocumentMetadata.model_validate(candidate)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "metadata"
            errors.setdefault(name, str(error["msg"]).removeprefix("Value error, "))
    if errors:
        return errors, None
    try:
        return {}, _validated(data, filename, raw)
    except MetadataError as exc:
        return {exc.field or "metadata": exc.message}, None


async def _read_upload(form: FormData, errors: dict[str, str]) -> tuple[bytes, str]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "Choose the file to contribute (Markdown, PDF, Word, HTML or text)."
        return b"", ""
    data = await upload.read()
    filename = Path(upload.filename).name
    if not data:
        errors["file"] = f"'{filename}' is empty; choose the file again."
        return b"", filename
    try:
        _check_file(data, filename)
    except KBError as exc:
        errors["file"] = exc.message
    return data, filename


def _read_key(catalog: Catalog, text: str, errors: dict[str, str]) -> KeyRecord | None:
    if not text:
        errors["key"] = "Enter your contributor key (it starts with kbk_)."
        return None
    key = catalog.verify_key(text)
    if key is None:
        errors["key"] = "This key is not valid: it is mistyped or has been revoked."
    return key


@router.post("/contribute")
async def contribute_submit(request: Request) -> Response:
    catalog = _catalog(request)
    jobs: JobRunner = request.app.state.jobs
    form = await request.form()
    values = _values(form)
    errors: dict[str, str] = {}
    key = _read_key(catalog, str(form.get("key") or "").strip(), errors)
    data, filename = await _read_upload(form, errors)
    raw = _raw_metadata(values)
    field_errors, meta = _metadata_errors(data, filename or "upload.md", raw)
    for name, message in field_errors.items():
        errors.setdefault(name, message)
    if key is not None and meta is not None:
        try:
            _check_states(key, meta)
        except ForbiddenError as exc:
            errors["states"] = exc.message[0].upper() + exc.message[1:] + "."
    if meta is not None and not errors:
        existing = catalog.get_document(meta.id)
        if existing is not None and existing.active:
            errors["id"] = (
                f"A document with the id '{meta.id}' already exists ('{existing.title}'). Choose another id;"
                f" a new version of that document is sent with PUT /v1/documents/{meta.id}."
            )
    if errors:
        general = [f"{name}: {message}" for name, message in errors.items() if name not in FORM_FIELDS]
        await form.close()
        return _form_page(request, values, errors, general, status_code=422)
    assert key is not None and meta is not None
    job = jobs.submit(data=data, filename=filename, raw_meta=raw, key=key, expected_id=meta.id)
    await form.close()
    return RedirectResponse(f"/contribute/jobs/{job.id}", status_code=303)


@router.get("/contribute/jobs/{job_id}")
def job_page(job_id: str, request: Request) -> Response:
    """Where an upload stands; refreshes itself (no JavaScript) until the job is done or failed."""
    catalog = _catalog(request)
    job = catalog.get_job(job_id)
    document = catalog.get_document(job.document_id) if job.status == "done" and job.document_id else None
    return page(
        request,
        "job.html",
        {"job": job, "document": document, "waiting": job.status in ("queued", "running")},
        Cache_Control="no-store",
    )
