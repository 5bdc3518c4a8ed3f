"""Adoptions as assistants read them: the ``list_adoptions`` tool and ``get_document``'s adoptions.

The same rules as the API (:class:`~search.services.exchange.Exchange`): adoptions of practices the
caller may read, contacts only when the call carries a key. The models name the practice by id and
title so a model can go on with ``get_document`` without another lookup.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field

from kb.catalog import AdoptionRecord, Catalog, KeyRecord
from kb.settings import Settings
from search.schemas import document_url
from search.services.documents import Documents
from search.services.exchange import Exchange

AdoptionStatus = Literal["exploring", "piloting", "adopted", "dropped"]


# the API's document resource lists adoptions with these fields too (search.api.exchange_schemas)
class DocumentAdoption(BaseModel):
    """One state's adoption of a practice."""

    state: str = Field(description="The adopting state or UT.")
    status: str = Field(description="exploring, piloting, adopted or dropped.")
    since: str = Field(description="When the current status began (ISO 8601).")
    updated_at: str
    note: str
    adopter_document_id: str | None = Field(description="The adopting state's own write-up, if any.")
    contact: str | None = Field(default=None, description="Whom to ask in the adopting state (calls with a key).")

    @classmethod
    def of(cls, record: AdoptionRecord, *, keyed: bool) -> Self:
        return cls(
            state=record.state,
            status=record.status,
            since=record.since,
            updated_at=record.updated_at,
            note=record.note,
            adopter_document_id=record.adopter_document_id,
            contact=(record.contact or None) if keyed else None,
        )


class AdoptionItem(DocumentAdoption):
    """An adoption with the practice it is of."""

    document_id: str = Field(description="The practice taken up (use it with get_document).")
    title: str
    practice_states: list[str] = Field(description="The states whose practice it is.")
    url: str


class AdoptionsResult(BaseModel):
    """Which states take up which practices (``list_adoptions``), newest change first."""

    total: int = Field(description="Adoptions matching, before the limit.")
    adoptions: list[AdoptionItem]


def exchange_for(catalog: Catalog, documents: Documents, settings: Settings) -> Exchange:
    return Exchange(catalog=catalog, documents=documents, settings=settings)


def list_adoptions(
    exchange: Exchange,
    key: KeyRecord | None,
    *,
    state: str | None,
    status: str | None,
    document_id: str | None,
    limit: int,
    base_url: str | None = None,
) -> AdoptionsResult:
    """A page of adoptions the caller may see, each with its practice's title and link."""
    records, total = exchange.list_adoptions(key, state=state, status=status, document_id=document_id, limit=limit)
    items = []
    for record in records:
        practice = exchange.catalog.get_document(record.document_id)
        items.append(
            AdoptionItem(
                **DocumentAdoption.of(record, keyed=key is not None).model_dump(),
                document_id=record.document_id,
                title=practice.title if practice else record.document_id,
                practice_states=practice.states if practice else [],
                url=document_url(exchange.settings, record.document_id, base=base_url),
            )
        )
    return AdoptionsResult(total=total, adoptions=items)
