"""The exchange between states, in the browser: the inbox (``/inbox``), asking the owning state about
a practice and recording an adoption (forms on a document's page), and each state's ledger of
practices it gave and took (``/states/{state}``, summed up on ``/browse``).

The rules are :class:`~search.services.exchange.Exchange`'s, the same as the API's: any key asks;
the asker, the owning states' contributors and curators and admins see, answer and close a request
(it is missing for everyone else); a key of the adopting state records its adoption. Documents are
read through :class:`~search.services.documents.Documents` with the caller's key (or anonymously on
the public pages), so a restricted or unpublished document never shows to the wrong reader. The
public pages never show an adoption's contact: the web is anonymous.

The review pages live in :mod:`search.web.review`; this router includes them, so the app registers
one router for the whole exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from kb.catalog import DocumentRecord, KeyRecord, KnowledgeRequestRecord
from kb.catalog.exchange import ADOPTION_STATUSES
from kb.errors import ForbiddenError, KBError, NotFoundError
from kb.vocab import canonical_state
from search.services.access import Viewer
from search.services.documents import Documents
from search.services.exchange import MAX_CONTACT_CHARS, MAX_MESSAGE_CHARS, MAX_NOTE_CHARS, Exchange
from search.web import review
from search.web.i18n import gettext as _
from search.web.keyed import KeyProblem, field, keyed_page, problem_status, read_key, sentence
from search.web.ledger import STATUS_WORDS, document_context, ledger
from search.web.pages import MISSING, WITHDRAWN, check_reading
from search.web.render import page

router = APIRouter(include_in_schema=False)
router.include_router(review.router)


def _exchange(request: Request) -> Exchange:
    return Exchange.of(request.app.state)


async def _form(request: Request) -> FormData:
    form = await request.form(max_files=0, max_fields=20)
    await form.close()
    return form


def _readable(request: Request, document_id: str, key: KeyRecord | None) -> DocumentRecord:
    return Documents.of(request.app.state).get(document_id, key, missing=MISSING, withdrawn=WITHDRAWN)


def _form_page(
    request: Request, kind: str, record: DocumentRecord, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    context = {"kind": kind, "doc": record, "values": values, "errors": errors}
    context.update(document_context(request.app.state, record))
    return keyed_page(request, "exchange_form.html", context, status_code=status)


def _form_key(request: Request, form: FormData, errors: dict[str, str]) -> tuple[KeyRecord | None, int]:
    """The form's key, or None with its problem in ``errors`` (the other fields are still checked)."""
    try:
        return read_key(request, form), 422
    except KeyProblem as problem:
        errors["key"] = problem.message
        return None, problem.status


def _ask(request: Request, document_id: str, form: FormData) -> Response:
    values = {"message": field(form, "message", MAX_MESSAGE_CHARS + 1)}
    errors: dict[str, str] = {}
    key, status = _form_key(request, form, errors)
    record = _readable(request, document_id, key)
    if not values["message"]:
        errors["message"] = _("Write what you want to know.")
    if errors or key is None:
        return _form_page(request, "ask", record, values, errors, status)
    try:
        asked = _exchange(request).ask(key, record.id, values["message"])
    except KBError as exc:
        errors["message"] = sentence(exc.message)
        return _form_page(request, "ask", record, values, errors, problem_status(exc))
    done = {"kind": "asked", "doc": record, "states": asked.states}
    return keyed_page(request, "exchange_done.html", done)


@router.post("/documents/{document_id}/ask")
async def ask(document_id: str, request: Request) -> Response:
    """Ask the owning states of a practice for a knowledge transfer (message + key)."""
    return await run_in_threadpool(_ask, request, document_id[:120], await _form(request))


def write_up_id(text: str) -> str:
    """The adopter's own write-up as an id: a pasted page address (``.../documents/x#y``) or the id."""
    text = text.strip()
    if "/documents/" in text:
        text = text.split("/documents/", 1)[1]
    return text.split("#", 1)[0].split("?", 1)[0].strip("/")


def _adopt_field(exc: KBError) -> str:
    """Which field of the adoption form a refusal of the service is about."""
    if isinstance(exc, ForbiddenError):
        return "state"
    head = exc.message.split(":", 1)[0].split(" ", 1)[0].strip("'")
    return {"state": "state", "status": "status", "note": "note", "contact": "contact"}.get(head, "write_up")


def _adopt(request: Request, document_id: str, form: FormData) -> Response:
    values = {
        "state": field(form, "state", 100),
        "status": field(form, "status", 40),
        "note": field(form, "note", MAX_NOTE_CHARS + 1),
        "contact": field(form, "contact", MAX_CONTACT_CHARS + 1),
        "write_up": field(form, "write_up", 500),
    }
    errors: dict[str, str] = {}
    key, status = _form_key(request, form, errors)
    record = _readable(request, document_id, key)
    if not values["state"]:
        errors["state"] = _("Choose the state that is taking this up.")
    if values["status"] not in ADOPTION_STATUSES:
        errors["status"] = _("Choose where your state stands: exploring, piloting, adopted or dropped.")
    if errors or key is None:
        return _form_page(request, "adopt", record, values, errors, status)
    try:
        adoption, _created = _exchange(request).record_adoption(
            key,
            record.id,
            state=values["state"],
            status=values["status"],
            note=values["note"],
            contact=values["contact"],
            adopter_document_id=write_up_id(values["write_up"]) or None,
        )
    except KBError as exc:
        errors[_adopt_field(exc)] = sentence(exc.message)
        return _form_page(request, "adopt", record, values, errors, problem_status(exc))
    done = {"kind": "adopted", "doc": record, "adoption": adoption, "status_words": STATUS_WORDS}
    return keyed_page(request, "exchange_done.html", done)


@router.post("/documents/{document_id}/adoptions")
async def adopt(document_id: str, request: Request) -> Response:
    """ "Your state is taking this up": record or change the adopting state's status (key of that state)."""
    return await run_in_threadpool(_adopt, request, document_id[:120], await _form(request))


# -- the inbox ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadView:
    """A request as the inbox shows it: the practice (if still readable), replies, the caller's side."""

    request: KnowledgeRequestRecord
    practice: DocumentRecord | None
    messages: list[Any]
    side: str


def _inbox_page(
    request: Request, key: KeyRecord, *, done: str = "", problem: str = "", status_code: int = 200
) -> Response:
    exchange = _exchange(request)
    documents = Documents.of(request.app.state)
    viewer = Viewer.of(key)
    found, total = exchange.inbox(key, limit=100)
    threads = []
    for asked in found:
        thread = exchange.thread(key, asked.id)
        practice = documents.readable(asked.document_id, viewer)
        threads.append(ThreadView(asked, practice, thread.messages, thread.side))
    context = {
        "key": key,
        "errors": {},
        "done": done,
        "problem": problem,
        "to_us": [t for t in threads if t.side != "asker"],
        "ours": [t for t in threads if t.side == "asker"],
        "total": total,
        "max_message": MAX_MESSAGE_CHARS,
    }
    return keyed_page(request, "inbox.html", context, status_code=status_code)


@router.get("/inbox")
def inbox_form(request: Request) -> Response:
    return keyed_page(request, "inbox.html", {"key": None, "errors": {}})


def _inbox(request: Request, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        context = {"key": None, "errors": {"key": problem.message}}
        return keyed_page(request, "inbox.html", context, status_code=problem.status, retry_after=problem.retry_after)
    return _inbox_page(request, key)


@router.post("/inbox")
async def inbox(request: Request) -> Response:
    """Requests to the key's states and the key's own requests, each with its thread."""
    return await run_in_threadpool(_inbox, request, await _form(request))


def _reply(request: Request, request_id: str, form: FormData) -> Response:
    try:
        key = read_key(request, form)
    except KeyProblem as problem:
        context = {"key": None, "errors": {"key": problem.message}}
        return keyed_page(request, "inbox.html", context, status_code=problem.status, retry_after=problem.retry_after)
    exchange = _exchange(request)
    try:
        if field(form, "action", 20) == "close":
            exchange.close(key, request_id)
            done = _("The request is closed; it takes no more messages.")
        else:
            thread, _message = exchange.reply(key, request_id, field(form, "body", MAX_MESSAGE_CHARS + 1))
            done = _("Your answer was sent.") if thread.side != "asker" else _("Your reply was sent.")
    except KBError as exc:
        return _inbox_page(request, key, problem=sentence(exc.message), status_code=problem_status(exc))
    return _inbox_page(request, key, done=done)


@router.post("/inbox/{request_id}")
async def reply(request_id: str, request: Request) -> Response:
    """Answer (or reply to) a request, or close it."""
    return await run_in_threadpool(_reply, request, request_id[:64], await _form(request))


# -- each state's ledger --------------------------------------------------------------------------------


@router.get("/states/{state}")
def state_page(state: str, request: Request) -> Response:
    """A state on the exchange: its practices others took up (gave), and what it took up (took)."""
    check_reading(request)
    try:
        name = canonical_state(state[:100])
    except ValueError as exc:
        raise NotFoundError(f"There is no state or union territory called '{state[:100]}' ({exc}).") from None
    everything = ledger(request.app.state)
    context = {
        "state": name,
        "gave": [t for t in everything if name in t.practice.states],
        "took": [t for t in everything if t.adoption.state == name],
        "status_words": STATUS_WORDS,
    }
    return page(request, "state_exchange.html", context)
