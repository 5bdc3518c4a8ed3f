"""Request and response bodies of adoptions, knowledge-transfer requests and their threads.

Apart from :mod:`search.api.schemas` so the document resource (which lists a practice's adoptions,
:class:`AdoptionSummary`) can import them without a cycle. Limits are declared here, so the
OpenAPI schema states them and a body over them is a 422 before any rule runs; the service checks
the same limits for the other front doors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kb.catalog import AdoptionRecord, KnowledgeRequestRecord, RequestMessage
from search.assistant_adoptions import AdoptionStatus, DocumentAdoption
from search.services.exchange import MAX_CONTACT_CHARS, MAX_MESSAGE_CHARS, MAX_NOTE_CHARS, RequestThread

RequestStatus = Literal["open", "answered", "closed"]


class AdoptionIn(BaseModel):
    """``POST /v1/documents/{id}/adoptions``: a state's adoption of this practice, new or changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "state": "Punjab",
                    "status": "piloting",
                    "note": "Pilot in two districts from March",
                    "contact": "State e-Governance Society, Punjab",
                }
            ]
        },
    )

    state: str = Field(
        min_length=1, max_length=80, description="The adopting state or UT (aliases such as 'J&K' accepted)."
    )
    status: AdoptionStatus = Field(description="exploring, piloting, adopted or dropped.")
    note: str | None = Field(
        default=None, max_length=MAX_NOTE_CHARS, description="What was done or decided; omitted: kept as it is."
    )
    contact: str | None = Field(
        default=None,
        max_length=MAX_CONTACT_CHARS,
        description="Whom to ask in the adopting state (shown to keyed callers only); omitted: kept.",
    )
    document_id: str | None = Field(
        default=None, max_length=120, description="The adopting state's own write-up in the exchange, if any."
    )


class AdoptionStep(BaseModel):
    status: str
    note: str
    at: str
    actor: str = Field(description="Who recorded it (key:<id>, cli, ...).")


class AdoptionSummary(DocumentAdoption):
    """How a practice's page lists one state's adoption of it (the fields assistants get too)."""


class AdoptionOut(AdoptionSummary):
    """One adoption with its history, oldest step first."""

    id: str
    document_id: str = Field(description="The practice taken up.")
    created_at: str
    history: list[AdoptionStep]
    url: str = Field(description="The practice's adoptions.")

    @classmethod
    def of(cls, record: AdoptionRecord, *, keyed: bool) -> AdoptionOut:
        return cls(
            **AdoptionSummary.of(record, keyed=keyed).model_dump(),
            id=record.id,
            document_id=record.document_id,
            created_at=record.created_at,
            history=[AdoptionStep(status=h.status, note=h.note, at=h.at, actor=h.actor) for h in record.history],
            url=f"/v1/documents/{record.document_id}/adoptions",
        )


class DocumentAdoptions(BaseModel):
    document_id: str
    adoptions: list[AdoptionOut]


class AdoptionList(BaseModel):
    total: int
    limit: int
    offset: int
    adoptions: list[AdoptionOut]


class RequestIn(BaseModel):
    """``POST /v1/documents/{id}/requests``: a question to the states that own this practice."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message": "How did you train the block staff for CM Window?"}]},
    )

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="What you want to know.")


class MessageIn(BaseModel):
    """``POST /v1/requests/{id}/messages``: an answer (owner side) or a follow-up (asker)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "Two weeks at HIPA."}]})

    body: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class MessageOut(BaseModel):
    seq: int
    side: Literal["asker", "owner"] = Field(description="Written by the asker or by the owning states' side.")
    body: str
    at: str

    @classmethod
    def of(cls, message: RequestMessage, request: KnowledgeRequestRecord) -> MessageOut:
        side: Literal["asker", "owner"] = "asker" if message.key_id == request.key_id else "owner"
        return cls(seq=message.seq, side=side, body=message.body, at=message.at)


class RequestOut(BaseModel):
    id: str
    document_id: str
    states: list[str] = Field(description="The owning states, whose inbox it is in.")
    status: RequestStatus = Field(description="open, answered or closed.")
    asker_states: list[str]
    message: str
    created_at: str
    updated_at: str
    url: str

    @classmethod
    def of(cls, request: KnowledgeRequestRecord) -> RequestOut:
        return cls(
            id=request.id,
            document_id=request.document_id,
            states=request.states,
            status=request.status,  # type: ignore[arg-type]  # the catalog writes only these three
            asker_states=request.asker_states,
            message=request.message,
            created_at=request.created_at,
            updated_at=request.updated_at,
            url=f"/v1/requests/{request.id}",
        )


class RequestThreadOut(RequestOut):
    """A request with its thread, and how the caller relates to it."""

    your_side: Literal["asker", "owner", "admin"]
    messages: list[MessageOut]

    @classmethod
    def of_thread(cls, thread: RequestThread) -> RequestThreadOut:
        return cls(
            **RequestOut.of(thread.request).model_dump(),
            your_side=thread.side,  # type: ignore[arg-type]
            messages=[MessageOut.of(m, thread.request) for m in thread.messages],
        )


class RequestList(BaseModel):
    total: int
    limit: int
    offset: int
    requests: list[RequestOut]
