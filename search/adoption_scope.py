"""What search reads of the catalog's adoptions: the ``adopted_by`` filter and the adoption boost.

The index holds no adoptions (they change without a new version of the document), so the
:class:`~search.retrieval.Searcher` asks its :class:`AdoptionSource` (the catalog) at query time:
``adopted_by`` becomes ``meta.document_id in [...]`` for the store, and ``KB_ADOPTION_BOOST`` a
weight per candidate document (docs/exchange.md has the rule and its measurement).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from kb.errors import QueryError
from search.schemas import SearchFilters


class AdoptionSource(Protocol):
    """The catalog's two adoption queries search needs (:class:`kb.catalog.exchange.AdoptionCatalog`)."""

    def adopted_document_ids(self, state: str) -> list[str]: ...

    def adoption_counts(self, document_ids: Sequence[str] | None = None) -> dict[str, int]: ...


def resolve_adopted_by(filters: SearchFilters, source: AdoptionSource | None) -> SearchFilters:
    """``filters`` with ``adopted_by`` answered by document ids (one indexed query); others unchanged."""
    if not filters.adopted_by or filters.adopted_ids is not None:
        return filters
    if source is None:
        raise QueryError("the adopted_by filter needs the catalog's adoptions; this searcher was built without")
    return filters.with_adopted_ids(source.adopted_document_ids(filters.adopted_by))


def adoption_boosts(source: AdoptionSource | None, document_ids: list[str], weight: float) -> dict[str, float]:
    """``weight·ln(1 + n)`` per document taken up by ``n`` states (not dropped); {} when off or none."""
    if weight <= 0 or source is None or not document_ids:
        return {}
    counts = source.adoption_counts(document_ids)
    return {doc: weight * math.log1p(n) for doc, n in counts.items() if n}
