"""Facet counts: documents per state, sector, type and year, counted one way per kind of page.

Two sources, each where it is exact and cheap:

- **Browsing and listing** (no query: ``/v1/facets``, ``/v1/documents``, the web's browse and filtered
  listing, MCP ``list_facets``): the catalog counts active documents in SQL (``GROUP BY`` under the
  same filters as :meth:`kb.catalog.Catalog.list_documents`), see :func:`catalog_counts`. Nothing is
  loaded into Python, however large the catalog.
- **Search results**: the documents among the query's candidates, counted from the candidate chunks
  the searcher already holds (the first hit of each document), see :func:`candidate_counts`, so the
  numbers beside the results describe exactly the set the results came from.

Qdrant's own facets (:meth:`kb.store.ChunkStore.facet`) count *chunks*, not documents, so they serve
index statistics (``kb stats``) and never the facets a reader sees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from search.schemas import FacetValue, SearchFilters

FACETS = ("states", "sector", "type", "year")
FacetCounts = dict[str, dict[str, int]]

_RESET: dict[str, dict[str, Any]] = {
    "states": {"states": [], "national": False},  # "All India" is one more choice of the states facet
    "sector": {"sector": None},
    "type": {"type": None},
    "year": {"year_from": None, "year_to": None},
}


class CountingCatalog(Protocol):
    """What :func:`catalog_counts` needs of the catalog: counts per value in SQL, under filters."""

    def facet_counts(
        self, column: str, *, visible_to: Sequence[str] | None = None, **filters: Any
    ) -> dict[str, int]: ...


def catalog_filters(filters: SearchFilters) -> dict[str, Any]:
    """``filters`` as the catalog's keyword arguments (``list_documents``, ``facet_counts``)."""
    return {
        "states": filters.states,
        "national": filters.national,
        "sector": filters.sector.value if filters.sector else None,
        "type": filters.type.value if filters.type else None,
        "year_from": filters.year_from,
        "year_to": filters.year_to,
        "adopted_by": filters.adopted_by,
    }


def relaxed(filters: SearchFilters, facet: str) -> SearchFilters:
    """``filters`` without the ones on ``facet`` (for disjunctive counts)."""
    return filters.model_copy(update=_RESET[facet])


def filtered_on(filters: SearchFilters, facet: str) -> bool:
    """Whether ``filters`` narrow ``facet`` (only those facets need a disjunctive recount)."""
    if facet == "year":
        return bool(filters.year_from or filters.year_to)
    if facet == "states":
        return bool(filters.states or filters.national)
    return bool(getattr(filters, facet))


def chosen_values(filters: SearchFilters, facet: str) -> list[str]:
    """The values of ``facet`` the reader chose (as facet values are spelled), for single-valued facets
    and states; a year range chooses no single value."""
    if facet == "states":
        return list(filters.states)
    value = getattr(filters, facet, None) if facet in ("sector", "type") else None
    return [str(getattr(value, "value", value))] if value else []


def catalog_counts(
    catalog: CountingCatalog,
    filters: SearchFilters,
    *,
    disjunctive: bool = False,
    visible_to: Sequence[str] | None = None,
) -> FacetCounts:
    """Active documents per value of each facet, counted by the catalog in SQL (``visible_to`` as in
    :meth:`~kb.catalog.documents.DocumentCatalog.list_documents`).

    ``disjunctive``: each facet is counted as if it were not filtered on (the states list still shows
    Kerala's documents while Haryana is chosen, so a reader can add Kerala); the other filters apply.
    """
    counts: FacetCounts = {}
    for facet in FACETS:
        scope = relaxed(filters, facet) if disjunctive else filters
        counts[facet] = catalog.facet_counts(facet, visible_to=visible_to, **catalog_filters(scope))
    return counts


def candidate_counts(payloads: Iterable[Mapping[str, Any]]) -> FacetCounts:
    """Documents per value of each facet among candidate chunk payloads (one payload per document)."""
    counters: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
    for meta in payloads:
        for facet in FACETS:
            value = meta.get(facet)
            if facet == "states":
                counters[facet].update(value or [])
            elif value is not None:
                counters[facet][str(value)] += 1
    return {facet: dict(counter) for facet, counter in counters.items()}


def facet_values(counts: Mapping[str, int]) -> list[FacetValue]:
    """Most frequent first, then by value."""
    return [FacetValue(value=v, count=c) for v, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def as_facets(counts: FacetCounts) -> dict[str, list[FacetValue]]:
    """Counts in the shape of ``SearchResponse.facets`` / ``FacetsResponse.facets``."""
    return {facet: facet_values(counts.get(facet, {})) for facet in FACETS}
