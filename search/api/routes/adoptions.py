"""``/v1/documents/{id}/adoptions`` and ``/v1/adoptions``: which states take up which practices.

Recording needs a key of the adopting state (readers included) or an admin key; reading is open like
the documents themselves (contacts only for keyed callers). The rules are in
:mod:`search.services.exchange`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from search.api.deps import CurrentKey, ReaderKey
from search.api.exchange_schemas import AdoptionIn, AdoptionList, AdoptionOut, AdoptionStatus, DocumentAdoptions
from search.api.schemas import KEY_REQUIRED, problem_responses
from search.services.exchange import Exchange

router = APIRouter(tags=["exchange"], responses=problem_responses(400, 401, 404, 422, 429))
DocumentId = Annotated[
    str, PathParam(description="The practice's document id.", examples=["haryana-cm-window"], max_length=120)
]


def get_exchange(request: Request) -> Exchange:
    return Exchange.of(request.app.state)


ExchangeDep = Annotated[Exchange, Depends(get_exchange)]


@router.post(
    "/v1/documents/{document_id}/adoptions",
    status_code=201,
    response_model=AdoptionOut,
    summary="Record a state's adoption of this practice",
    responses={
        **problem_responses(403, 507),
        200: {"model": AdoptionOut, "description": "This state's adoption changed (or was sent again)."},
    },
    dependencies=KEY_REQUIRED,
)
def record_adoption(
    document_id: DocumentId, body: AdoptionIn, response: Response, exchange: ExchangeDep, key: CurrentKey
) -> AdoptionOut:
    """201 for a new adoption, 200 when this state's adoption is changed (its history keeps every step).

    A key of the adopting state (any role) or an admin key; a state cannot adopt its own practice (422).
    """
    record, created = exchange.record_adoption(
        key,
        document_id,
        state=body.state,
        status=body.status,
        note=body.note,
        contact=body.contact,
        adopter_document_id=body.document_id,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/documents/{record.document_id}/adoptions"
    return AdoptionOut.of(record, keyed=True)


@router.get(
    "/v1/documents/{document_id}/adoptions",
    response_model=DocumentAdoptions,
    summary="The states taking up this practice, with history",
)
def document_adoptions(document_id: DocumentId, exchange: ExchangeDep, key: ReaderKey) -> DocumentAdoptions:
    records = exchange.adoptions_of(document_id, key)
    return DocumentAdoptions(
        document_id=document_id, adoptions=[AdoptionOut.of(r, keyed=key is not None) for r in records]
    )


@router.get("/v1/adoptions", response_model=AdoptionList, summary="Adoptions, newest change first")
def list_adoptions(
    exchange: ExchangeDep,
    key: ReaderKey,
    state: Annotated[str | None, Query(description="The adopting state/UT.", max_length=80)] = None,
    status: Annotated[AdoptionStatus | None, Query(description="exploring, piloting, adopted or dropped.")] = None,
    document_id: Annotated[str | None, Query(description="One practice.", max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AdoptionList:
    records, total = exchange.list_adoptions(
        key, state=state, status=status, document_id=document_id, limit=limit, offset=offset
    )
    return AdoptionList(
        total=total,
        limit=limit,
        offset=offset,
        adoptions=[AdoptionOut.of(r, keyed=key is not None) for r in records],
    )
