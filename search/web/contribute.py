"""Contributing from the browser: a form (``/contribute``) and a job page that follows the upload.

The form applies the same rules as ``POST /v1/documents`` (:mod:`search.services.contributions`),
then queues the same background job. Every problem is reported next to its field at once, not one per
attempt. The key travels in the form only: it is never put in a cookie or echoed back into the page.

The key is checked first, and only a valid key gets its file read: without one, the typed fields are
still checked (cheap), but the file and its front matter are not looked at, so a caller without a key
cannot make the server parse anything large. Reading the file, parsing and queueing run in the thread
pool, never on the event loop.

The job page. A job id is 128 random bits, shown only to the uploader (the form redirects there);
while reading is open that id is the capability, and the page refreshes itself until the job is done.
When reading needs a key (``KB_REQUIRE_KEY_FOR_READ``), the id alone reveals nothing: ``GET`` answers
401 with a form asking for the key, without saying whether the job exists; ``POST`` with the key of the
job's uploader (or an admin) shows where it stands. That page cannot refresh itself, since the key is
not kept anywhere, so it offers "Check again" with the key field instead. Wrong keys count against the
caller's address like every other failed key (429 past ``KB_AUTH_FAILURES_PER_MINUTE``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from kb.catalog import Catalog, JobRecord, KeyRecord
from kb.errors import AuthError, KBError, MetadataError, RateLimitedError
from kb.vocab import STATES, UNION_TERRITORIES
from search.services.auth import verify_token
from search.services.contributions import (
    Contributions,
    Draft,
    check_content,
    check_filename,
    check_new_id,
    check_states,
    merge_front_matter,
    upload_name,
    validate_merged,
)
from search.services.jobs import Jobs
from search.web.i18n import N_
from search.web.i18n import gettext as _
from search.web.render import LANGUAGES, page

router = APIRouter(include_in_schema=False)

TEXT_FIELDS = ("id", "title", "type", "sector", "level", "year", "language", "tags", "source_url")
FORM_FIELDS = ("file", "key", "states", *TEXT_FIELDS)
REQUIRED_CHOICES = {"type": N_("Choose the type of document."), "sector": N_("Choose the sector it belongs to.")}


def _catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def _contributions(request: Request) -> Contributions:
    return Contributions.of(request.app.state)


def _jobs(request: Request) -> Jobs:
    return Jobs.of(request.app.state)


def _form_page(
    request: Request,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    *,
    status_code: int = 200,
    **headers: str,
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
        **headers,
    )


@router.get("/contribute")
def contribute_form(request: Request) -> Response:
    """The empty form; ``?id=`` fills in the id (a new version of a submission sent back for changes)."""
    document_id = (request.query_params.get("id") or "").strip()[:120]
    return _form_page(request, {"states": [], "id": document_id} if document_id else None)


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


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _read_key(request: Request, text: str, errors: dict[str, str]) -> KeyRecord | None:
    """The form's key, checked before anything else is read; a 429 is reported on the key field."""
    if not text:
        errors["key"] = _("Enter your contributor key (it starts with kbk_).")
        return None
    settings = request.app.state.settings
    try:
        return verify_token(
            _catalog(request),
            text,
            client=request.client.host if request.client else None,
            failures_per_minute=settings.auth_failures_per_minute,
        )
    except RateLimitedError as exc:
        errors["key"] = _sentence(exc.message)
        raise
    except AuthError:
        errors["key"] = _("This key is not valid: it is mistyped or has been revoked.")
        return None


def _read_file(service: Contributions, upload: Any, errors: dict[str, str]) -> tuple[bytes, str]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = _("Choose the file to contribute (Markdown, PDF, Word, HTML or text).")
        return b"", ""
    filename = upload_name(upload.filename)
    try:
        check_filename(filename)
        data = service.read(upload.file, filename)
        if not data:
            errors["file"] = _("'%(name)s' is empty; choose the file again.") % {"name": filename}
            return b"", filename
        check_content(data, filename)
    except KBError as exc:
        errors["file"] = _sentence(exc.message)
        return b"", filename
    return data, filename


def _check(
    service: Contributions, key: KeyRecord | None, form: FormData, raw: dict[str, Any], errors: dict[str, str]
) -> Draft | None:
    """Every problem of the submission at once; the file is read only for a valid key."""
    upload = form.get("file")
    data, filename = _read_file(service, upload, errors) if key is not None else (b"", "")
    if not filename and isinstance(upload, UploadFile) and upload.filename:
        filename = upload_name(upload.filename)
    name_for_ids = filename or "upload.md"
    meta = None
    try:
        merged = merge_front_matter(data, name_for_ids, raw, max_bytes=service.max_metadata_bytes)
    except KBError as exc:  # front matter that cannot be read, or over the size limit
        merged = dict(raw)
        errors.setdefault("file", _("The file's front matter is not valid: %(reason)s") % {"reason": exc.message})
    for name, message in REQUIRED_CHOICES.items():
        if not merged.get(name):
            errors.setdefault(name, _(message))
    try:
        meta = validate_merged(merged, name_for_ids, max_bytes=service.max_metadata_bytes)
    except MetadataError as exc:
        for name, message in exc.errors or [("metadata", exc.message)]:
            errors.setdefault(name, _sentence(message))
    except KBError as exc:  # stored metadata over the size limit
        errors.setdefault("metadata", _sentence(exc.message))
    if key is None or meta is None:
        return None
    try:
        check_states(key, meta)
    except KBError as exc:
        errors["states"] = _sentence(exc.message)
    if not errors:
        try:
            check_new_id(service.catalog, key, meta.id)
        except KBError as exc:
            errors["id"] = _sentence(exc.message)
    return None if errors else Draft(filename=filename, data=data, raw=raw, meta=meta)


def _submit(request: Request, form: FormData) -> Response:
    """The whole submission, run in the thread pool."""
    values = _values(form)
    errors: dict[str, str] = {}
    try:
        key = _read_key(request, str(form.get("key") or "").strip(), errors)
    except RateLimitedError as exc:
        retry = str(max(1, round(exc.retry_after or 60)))
        return _form_page(request, values, errors, status_code=429, Retry_After=retry)
    service = _contributions(request)
    raw = _raw_metadata(values)
    draft = _check(service, key, form, raw, errors)
    if draft is None or key is None:
        general = [f"{name}: {message}" for name, message in errors.items() if name not in FORM_FIELDS]
        return _form_page(request, values, errors, general, status_code=422)
    job = service.submit(key, draft)
    return RedirectResponse(f"/contribute/jobs/{job.id}", status_code=303)


@router.post("/contribute")
async def contribute_submit(request: Request) -> Response:
    form = await request.form()
    try:
        return await run_in_threadpool(_submit, request, form)
    finally:
        await form.close()


def _job_page(
    request: Request,
    job: JobRecord | None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    document = _jobs(request).document_of(job) if job is not None else None
    keyed = request.app.state.settings.require_key_for_read
    waiting = job is not None and job.status in ("queued", "running")
    context: dict[str, Any] = {
        "job": job,
        "document": document,
        "waiting": waiting,
        "refresh": waiting and not keyed,
        "errors": {},
    }
    context.update(extra)
    return page(request, "job.html", context, status_code=status_code, Cache_Control="no-store", **(headers or {}))


@router.get("/contribute/jobs/{job_id}")
def job_page(job_id: str, request: Request) -> Response:
    """Where an upload stands; refreshes itself (no JavaScript) until the job is done or failed."""
    if request.app.state.settings.require_key_for_read:
        return _job_page(request, None, status_code=401, ask_key=True, job_id=job_id)
    return _job_page(request, _jobs(request).get(job_id))


def _keyed_job(request: Request, job_id: str, key_text: str) -> Response:
    errors: dict[str, str] = {}
    try:
        key = _read_key(request, key_text, errors)
    except RateLimitedError as exc:
        retry = str(max(1, round(exc.retry_after or 60)))
        headers = {"Retry_After": retry}
        return _job_page(request, None, status_code=429, headers=headers, ask_key=True, job_id=job_id, errors=errors)
    if key is None:
        return _job_page(request, None, status_code=401, ask_key=True, job_id=job_id, errors=errors)
    job = _jobs(request).for_key(job_id, key)
    return _job_page(request, job, ask_key=request.app.state.settings.require_key_for_read, job_id=job_id)


@router.post("/contribute/jobs/{job_id}")
async def job_page_with_key(job_id: str, request: Request) -> Response:
    """The job page for a KB that needs a key for reading: the key comes in the form, as on /contribute."""
    form = await request.form()
    key_text = str(form.get("key") or "").strip()
    await form.close()
    return await run_in_threadpool(_keyed_job, request, job_id, key_text)
