"""Review before publishing, in the browser: a curator's queue (``/review``), one submission with
its converted text (``/review/{id}``), decisions, and a contributor's own list (``/submissions``).

Everything goes through :class:`~search.services.reviews.Reviews`, the same rules as ``/v1/reviews``:
a submission is seen by its submitter, the curators of its states and admins, and is missing
(the words for an unknown id) for everyone else. Each page is a ``GET`` that asks for the key and a
``POST`` that carries it (see :mod:`search.web.keyed` for why the key is never kept).

A decision names the submission the curator read: when its owner sent a newer upload meanwhile,
the decision is refused rather than applied to a text nobody read. A curator of another state is
told plainly that only a curator of the document's states decides it.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response, StreamingResponse

from kb.blobs import open_blob_store
from kb.catalog import KeyRecord, SubmissionRecord
from kb.errors import ConflictError, KBError
from kb.models import Section
from search.services.reviews import NOTE_MAX_CHARS, Decision, Reviews
from search.web.i18n import N_
from search.web.i18n import gettext as _
from search.web.keyed import KeyProblem, field, keyed_page, problem_status, read_key, sentence
from search.web.text import section_views

router = APIRouter(include_in_schema=False)

DECISIONS: dict[str, str] = {
    "approve": N_("Approve and publish"),
    "request_changes": N_("Request changes"),
    "reject": N_("Reject"),
}
DONE: dict[str, str] = {
    "approve": N_("Approved: “{title}” is being published and appears in search within a minute or two."),
    "request_changes": N_("Changes requested for “{title}”: its contributor reads your note under “My submissions”."),
    "reject": N_("Rejected “{title}”: its contributor reads your note."),
}
STATUS_WORDS: dict[str, str] = {
    "submitted": N_("Waiting for a curator"),
    "changes_requested": N_("Changes requested"),
    "rejected": N_("Rejected"),
    "approved": N_("Approved, being published"),
    "published": N_("Published"),
    "superseded": N_("Replaced by a newer upload"),
}


def _reviews(request: Request) -> Reviews:
    return Reviews.of(request.app.state)


async def _form(request: Request) -> FormData:
    form = await request.form(max_files=0, max_fields=20)
    await form.close()
    return form


def _key_page(request: Request, name: str, problem: KeyProblem | None, **context: Any) -> Response:
    """The page asking for a key (again, with the reason when one was given and refused)."""
    errors = {"key": problem.message} if problem else {}
    status = problem.status if problem else 200
    retry = problem.retry_after if problem else None
    return keyed_page(request, name, {"key": None, "errors": errors, **context}, status_code=status, retry_after=retry)


# -- the queue ------------------------------------------------------------------------------------------


def _queue_page(
    request: Request, key: KeyRecord, *, done: str = "", problem: str = "", status_code: int = 200
) -> Response:
    reviews = _reviews(request)
    if not key.is_curator:
        return keyed_page(
            request,
            "review.html",
            {"key": key, "queue": [], "errors": {}, "done": done, "refused": True, "problem": problem},
            status_code=403,
        )
    queue = reviews.queue(key, limit=200)
    context = {"key": key, "queue": queue, "errors": {}, "done": done, "refused": False, "problem": problem}
    context.update(decisions=DECISIONS, note_max=NOTE_MAX_CHARS, submitters=_submitters(request, queue))
    return keyed_page(request, "review.html", context, status_code=status_code)


def _submitters(request: Request, queue: list[SubmissionRecord]) -> dict[str | None, str]:
    """Who sent each submission, as the curator knows them: the key's label and its states."""
    names: dict[str | None, str] = {}
    for key_id in {s.key_id for s in queue if s.key_id}:
        try:
            owner = request.app.state.catalog.require_key(key_id)
        except KBError:
            continue
        states = ", ".join(owner.states)
        names[key_id] = f"{owner.label or owner.id} ({owner.role}{', ' + states if states else ''})"
    return names


@router.get("/review")
def review_form(request: Request) -> Response:
    """The key form of the queue (the queue itself needs the curator's key, sent by POST)."""
    return _key_page(request, "review.html", None)


def _review(request: Request, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        return _key_page(request, "review.html", problem)
    return _queue_page(request, key)


@router.post("/review")
async def review_queue(request: Request) -> Response:
    return await run_in_threadpool(_review, request, await _form(request))


# -- one submission ---------------------------------------------------------------------------------------


def preview_views(submission: SubmissionRecord) -> list[Any]:
    """The converted sections as the document page would show them once published."""
    sections = [
        Section(
            text=str(s.get("text") or ""),
            heading_path=tuple(str(h) for h in s.get("heading_path") or ()),
            page=cast(int | None, s.get("page")),
        )
        for s in submission.preview
    ]
    return section_views(sections)


@router.get("/review/{submission_id}")
def submission_form(submission_id: str, request: Request) -> Response:
    return _key_page(request, "submission.html", None, submission_id=submission_id[:64])


def _submission(request: Request, submission_id: str, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        return _key_page(request, "submission.html", problem, submission_id=submission_id)
    try:
        submission = _reviews(request).get(key, submission_id)
    except KBError as exc:
        context = {"key": key, "errors": {}, "submission_id": submission_id, "problem": sentence(exc.message)}
        return keyed_page(request, "submission.html", context, status_code=problem_status(exc))
    context = {
        "key": key,
        "errors": {},
        "submission_id": submission_id,
        "problem": "",
        "s": submission,
        "sections": preview_views(submission),
        "may_decide": submission.status == "submitted" and key.curates(submission.states),
        "decisions": DECISIONS,
        "note_max": NOTE_MAX_CHARS,
        "status_words": STATUS_WORDS,
    }
    return keyed_page(request, "submission.html", context)


@router.post("/review/{submission_id}")
async def submission_page(submission_id: str, request: Request) -> Response:
    return await run_in_threadpool(_submission, request, submission_id[:64], await _form(request))


def _file(request: Request, submission_id: str, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        return _key_page(request, "submission.html", problem, submission_id=submission_id)
    try:
        submission = _reviews(request).get(key, submission_id)
    except KBError as exc:
        context = {"key": key, "errors": {}, "submission_id": submission_id, "problem": sentence(exc.message)}
        return keyed_page(request, "submission.html", context, status_code=problem_status(exc))
    blobs = open_blob_store(request.app.state.settings, request.app.state.catalog)
    quoted = quote(submission.filename)
    return StreamingResponse(
        blobs.open_stream(submission.blob_sha256),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=utf-8''{quoted}",
            "Content-Length": str(blobs.size(submission.blob_sha256)),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/review/{submission_id}/file")
async def submission_file(submission_id: str, request: Request) -> Response:
    """The original file of a submission (a form POST: a link cannot carry the key)."""
    return await run_in_threadpool(_file, request, submission_id[:64], await _form(request))


def _decide(request: Request, submission_id: str, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        return _key_page(request, "review.html", problem)
    decision = field(form, "decision", 40)
    if decision not in DECISIONS:
        return _queue_page(request, key, problem=_("Choose approve, request changes or reject."), status_code=422)
    reviews = _reviews(request)
    document_id = field(form, "document_id", 120)
    try:
        waiting = reviews.pending_for(key, document_id)
        if waiting is not None and waiting.id != submission_id and waiting.status == "submitted":
            raise ConflictError("its contributor sent a newer version meanwhile; read that one before deciding")
        decided = reviews.decide(key, document_id, cast(Decision, decision), field(form, "note", NOTE_MAX_CHARS + 1))
    except KBError as exc:
        refusal = _("“%(id)s” was not decided: %(reason)s") % {"id": document_id, "reason": sentence(exc.message)}
        return _queue_page(request, key, problem=refusal, status_code=problem_status(exc))
    return _queue_page(request, key, done=_(DONE[decision]).format(title=decided.submission.title))


@router.post("/review/{submission_id}/decide")
async def decide(submission_id: str, request: Request) -> Response:
    """Approve, request changes or reject (the form names the document and the submission read)."""
    return await run_in_threadpool(_decide, request, submission_id[:64], await _form(request))


# -- a contributor's own ---------------------------------------------------------------------------------


@router.get("/submissions")
def submissions_form(request: Request) -> Response:
    return _key_page(request, "submissions.html", None)


def _submissions(request: Request, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        return _key_page(request, "submissions.html", problem)
    mine = _reviews(request).submitted_by(key, limit=100)
    context = {"key": key, "errors": {}, "submissions": mine, "status_words": STATUS_WORDS}
    return keyed_page(request, "submissions.html", context)


@router.post("/submissions")
async def my_submissions(request: Request) -> Response:
    """What this key sent for review, newest first, with the curator's note."""
    return await run_in_threadpool(_submissions, request, await _form(request))
