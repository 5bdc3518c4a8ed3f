"""Fused chunk hits grouped by document, and each group shaped into a search result.

Apart from :mod:`search.retrieval` (what to ask the store) because this is what to show: one result
per document with its best passages, snippet and highlights, and facet counts of the documents (not
chunks) among the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from kb.settings import Settings
from kb.store import ScoredChunk
from search.facets import FacetCounts, as_facets, candidate_counts
from search.schemas import DocumentFacts, FacetValue, Passage, SearchResult, document_url
from search.snippets import find_highlights, make_snippet

Phrases = Sequence[Sequence[str]]  # the thesaurus's synonyms as word lists, for highlighting
PASSAGES_PER_DOCUMENT = 3


@dataclass
class DocumentGroup:
    """Chunks of one document among the candidates, best first."""

    hits: list[ScoredChunk] = field(default_factory=list)
    boost: float = 0.0  # the adoption boost's share (KB_ADOPTION_BOOST), 0 without it

    @property
    def score(self) -> float:
        best = self.hits[0].score
        return best + abs(best) * self.boost  # x(1 + boost); a negative fused score still moves up

    @property
    def document_id(self) -> str:
        return str(self.hits[0].document.meta.get("document_id"))


def group_hits(hits: list[ScoredChunk]) -> list[DocumentGroup]:
    """``hits`` grouped by document, the group with the best chunk first."""
    groups: dict[str, DocumentGroup] = {}
    for hit in hits:
        doc_id = str(hit.document.meta.get("document_id"))
        groups.setdefault(doc_id, DocumentGroup()).hits.append(hit)
    return sorted(groups.values(), key=lambda g: g.score, reverse=True)


def shape_result(
    group: DocumentGroup,
    terms: list[str],
    settings: Settings,
    *,
    match: Literal["strong", "weak"] = "strong",
    phrases: Phrases = (),
) -> SearchResult:
    """One document's result: its facts, best passages with highlights of ``terms`` and ``phrases``."""
    best = group.hits[0].document
    meta = best.meta
    snippet, highlights = make_snippet(best.content or "", terms, phrases=phrases)
    passages = [
        Passage(
            text=hit.document.content or "",
            section=str(hit.document.meta.get("section") or ""),
            heading_path=list(hit.document.meta.get("heading_path") or []),
            page=hit.document.meta.get("page"),
            score=round(hit.score, 6),
            chunk_index=int(hit.document.meta.get("chunk_index") or 0),
            highlights=find_highlights(hit.document.content or "", terms, phrases),
        )
        for hit in group.hits[:PASSAGES_PER_DOCUMENT]
    ]
    facts = DocumentFacts.from_payload(meta)
    return SearchResult(
        **facts.fields(),
        score=round(group.score, 6),
        section=str(meta.get("section") or ""),
        snippet=snippet,
        highlights=highlights,
        page=meta.get("page"),
        source_url=meta.get("source_url"),
        url=document_url(settings, facts.document_id),  # relative unless KB_PUBLIC_URL: see docs
        passages=passages,
        match=match,
    )


def hit_counts(hits: list[ScoredChunk]) -> FacetCounts:
    """Facet counts of the documents among ``hits``, each counted once (by its best chunk)."""
    return candidate_counts(group.hits[0].document.meta for group in group_hits(hits))


def group_facets(groups: list[DocumentGroup]) -> dict[str, list[FacetValue]]:
    """The facets of the documents in ``groups``, as the search response lists them."""
    return as_facets(candidate_counts(group.hits[0].document.meta for group in groups))
