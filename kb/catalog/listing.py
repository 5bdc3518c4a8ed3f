"""The WHERE terms of listings and facet counts: filters, "All India", adoptions and visibility.

Shared by :meth:`~kb.catalog.documents.DocumentCatalog.list_documents` and ``facet_counts`` so a
count always describes the documents the listing would show.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from kb.catalog.tables import adoptions, document_states, documents


def listing_filters(
    states: Sequence[str],
    sector: str | None,
    type: str | None,
    year_from: int | None,
    year_to: int | None,
    *,
    national: bool = False,
    adopted_by: str | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The WHERE terms of a listing: any of ``states`` (through document_states), sector, type, years.

    ``national``: documents that name no state ("All India"); with ``states``, those states or none.
    ``adopted_by``: practices that state explores, pilots or adopted (any adoption status but dropped).
    """
    where: list[sa.ColumnElement[bool]] = []
    # aliases: the states facet joins document_states itself, which must not correlate
    listed = document_states.alias("listed_states")
    of_states = sa.exists().where(listed.c.document_id == documents.c.id, listed.c.state.in_(list(states)))
    of_none = ~sa.exists().where(listed.c.document_id == documents.c.id)
    if states and national:
        where.append(sa.or_(of_states, of_none))
    elif states or national:
        where.append(of_states if states else of_none)
    if sector:
        where.append(documents.c.sector == sector)
    if type:
        where.append(documents.c.type == type)
    if year_from is not None:
        where.append(documents.c.year >= year_from)
    if year_to is not None:
        where.append(documents.c.year <= year_to)
    if adopted_by:
        taken_up = sa.and_(adoptions.c.state == adopted_by, adoptions.c.status != "dropped")
        where.append(sa.exists().where(adoptions.c.document_id == documents.c.id, taken_up))
    return where


def visible_filter(visible_to: Sequence[str] | None) -> list[sa.ColumnElement[bool]]:
    """The WHERE term that keeps out restricted documents of states outside ``visible_to``."""
    if visible_to is None:
        return []
    public = documents.c.visibility != "restricted"
    if not visible_to:
        return [public]
    own = document_states.alias("own_states")
    mine = sa.exists().where(own.c.document_id == documents.c.id, own.c.state.in_(list(visible_to)))
    return [sa.or_(public, mine)]
