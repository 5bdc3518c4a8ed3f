"""Document listing by search filters and facet counting, shared by the API, MCP, the web UI and search.

Facets count documents, never chunks: from catalog records (browsing, no query) or from the first
hit of each document among a query's candidates. One implementation, so every front door shows the
same numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from kb.catalog import Catalog, DocumentRecord
from search.schemas import FacetValue, SearchFilters

FACETS = ("states", "sector", "type", "year")
ALL_DOCUMENTS = 100_000  # enough for any catalog this embedded product serves


def list_by_filters(
    catalog: Catalog, filters: SearchFilters, *, limit: int = ALL_DOCUMENTS, offset: int = 0
) -> tuple[list[DocumentRecord], int]:
    """A page of active documents matching ``filters`` (newest first) and the total."""
    return catalog.list_documents(
        states=filters.states,
        sector=filters.sector.value if filters.sector else None,
        type=filters.type.value if filters.type else None,
        year_from=filters.year_from,
        year_to=filters.year_to,
        limit=limit,
        offset=offset,
    )


def _field(item: dict[str, Any] | DocumentRecord, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name)


def count_facet(items: Iterable[dict[str, Any] | DocumentRecord], facet: str) -> dict[str, int]:
    """Documents per value of ``facet`` among records or chunk payloads (one item per document)."""
    counter: Counter[str] = Counter()
    for item in items:
        value = _field(item, facet)
        if facet == "states":
            counter.update(value or [])
        elif value is not None:
            counter[str(value)] += 1
    return dict(counter)


def facet_values(counts: dict[str, int]) -> list[FacetValue]:
    """Most frequent first, then by value."""
    return [FacetValue(value=v, count=c) for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def facets_of(items: Iterable[dict[str, Any] | DocumentRecord]) -> dict[str, list[FacetValue]]:
    """All four facets for the given documents."""
    documents = list(items)
    return {facet: facet_values(count_facet(documents, facet)) for facet in FACETS}
