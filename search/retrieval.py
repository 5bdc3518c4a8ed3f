"""Hybrid retrieval: dense (MiniLM) and BM25 sparse vectors fused in Qdrant, grouped by document.

The query is embedded once (dense + sparse), Qdrant fuses both candidate lists via prefetches with
the fusion ``KB_SEARCH_FUSION`` names (distribution-based score fusion by default, reciprocal rank
fusion as the alternative; see docs/search-quality.md), and the fused chunk list is grouped so each
document appears once with its best passages (:mod:`search.grouping`). Facets count documents (not
chunks) among the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from haystack.dataclasses import SparseEmbedding

from kb.e5 import E5TextEmbedder, chunk_is_latin, mostly_latin
from kb.embedding import make_text_embedder
from kb.errors import QueryError
from kb.models import SparseVector
from kb.settings import Settings
from kb.store import Bm25Encoder, ChunkStore, ScoredChunk
from kb.store.base import E5, QueryPlan
from search.adoption_scope import AdoptionSource, adoption_boosts, resolve_adopted_by
from search.components import IndianScriptChunks, make_retriever
from search.facets import FACETS, FacetCounts, chosen_values, filtered_on, relaxed
from search.grouping import PASSAGES_PER_DOCUMENT, DocumentGroup, group_facets, group_hits, hit_counts, shape_result
from search.query_cache import QueryVectorCache
from search.query_pool import QueryPool
from search.relevance import Evidence, PassageTerms, cosines, evidence
from search.schemas import (
    SearchFilters,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from search.snippets import query_terms
from search.thesaurus import expand_query, make_expander, phrase_words

CANDIDATE_CHUNKS = 100  # fused chunk hits considered per query before grouping
OTHER_STATE_BONUS = 0.05  # cosine added to a similar practice of another state (see Searcher.similar)


def both(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    """Two store conditions ANDed (either may be None)."""
    if first is None or second is None:
        return first or second
    return {"operator": "AND", "conditions": [first, second]}


@dataclass(frozen=True)
class QueryRun:
    """What a search actually sent to the store: the vectors (None when a list was not used, e.g. the
    dense one of a Hindi query answered by BM25) and the query's concepts for the relevance floor.
    Facet recounts reuse it, so facets and results come from the same kind of candidate set."""

    dense: list[float] | None
    sparse: SparseVector | None
    concepts: tuple[frozenset[int], ...] = ()
    also_searched: tuple[str, ...] = ()
    dense_reads_query: bool = True  # False: an English-only model's vector of a Hindi query (noise)
    e5: list[float] | None = None  # the multilingual vector (KB_DENSE_MODEL=minilm+e5), searched with `dense`


class Searcher:
    """Answers search and similarity queries against one store; warm it up once per process."""

    def __init__(self, settings: Settings, store: ChunkStore, adoptions: AdoptionSource | None = None) -> None:
        """``adoptions`` (the catalog) answers the ``adopted_by`` filter and the adoption boost."""
        self.settings = settings
        self.store = store
        self.adoptions = adoptions
        self.text_embedder = make_text_embedder(settings)
        self.e5_embedder = E5TextEmbedder(threads=1) if settings.e5_vector else None  # beside MiniLM
        self.bm25 = Bm25Encoder()
        self.passage_terms = PassageTerms(self.bm25)  # the floor's words of each passage, by chunk id
        self.expander = make_expander(settings.thesaurus_file, self.bm25, weight=settings.thesaurus_weight)
        self.query_pool = QueryPool(settings.query_threads, torch_threads=settings.torch_threads)  # a core each
        self.query_cache = QueryVectorCache(settings.dense_model_name, pool=self.query_pool)  # paging, repeats
        self.retriever = make_retriever(settings, store)
        self.indian_chunks = IndianScriptChunks(store)  # whether e5 has anything to add for a Latin query

    def warm_up(self) -> None:
        self.text_embedder.warm_up()
        if self.e5_embedder is not None:
            self.e5_embedder.warm_up()

    # -- query vectors -------------------------------------------------------------------------------

    def check_query(self, query: str) -> str:
        """Reject what cannot be a query with a message that says what to do instead."""
        text = " ".join(query.split())
        if not text:
            raise QueryError("the query is empty; type what you are looking for (filters alone: /v1/documents)")
        if len(text) > self.settings.max_query_chars:
            raise QueryError(
                f"the query is {len(text)} characters long; the limit is {self.settings.max_query_chars}. "
                "Send the key sentence or question, not the whole text"
            )
        return text

    def embed_query(self, text: str) -> list[float]:
        """The dense query vector; each text is embedded once while it stays in :attr:`query_cache`."""
        return self.query_cache.dense(text, self._embed_dense)

    def sparse_query(self, text: str) -> SparseVector | None:
        return self.query_cache.sparse(text, self._embed_sparse)

    def embed_e5(self, text: str) -> list[float]:
        """The e5 query vector (``KB_DENSE_MODEL=minilm+e5``), cached like :meth:`embed_query`."""
        assert self.e5_embedder is not None
        embedder = self.e5_embedder
        return self.query_cache.dense(f"\x00e5\x00{text}", lambda _: list(embedder.run(text=text)["embedding"]))

    def _embed_dense(self, text: str) -> list[float]:
        result: dict[str, Any] = self.text_embedder.run(text=text)
        return list(result["embedding"])

    def _embed_sparse(self, text: str) -> SparseVector | None:
        vector = self.bm25.embed_query(text)
        return vector if vector.indices else None  # only stop-words: dense alone decides

    # -- search --------------------------------------------------------------------------------------

    def search(self, request: SearchRequest, *, restrict: dict[str, Any] | None = None) -> SearchResponse:
        """One page of documents for the query, with facets over all candidate documents.

        ``restrict`` is a store condition ANDed with the request's filters: what the caller may read
        (:meth:`search.services.access.Viewer.store_condition`); None restricts nothing.
        """
        text = self.check_query(request.query)
        hits, run = self.run_query(text, request.filters, mode=request.mode, restrict=restrict)
        groups = self.rank(hits)
        terms = query_terms(text)
        phrases = phrase_words(run.also_searched)  # the thesaurus's synonyms are highlighted too
        strong = [self.is_strong(e) for e in self.judge(groups, run)]
        match: list[Literal["strong", "weak"]] = ["strong" if s else "weak" for s in strong]
        page = range(request.offset, min(len(groups), request.offset + request.top_k))
        response = SearchResponse(
            query=text,
            total=len(groups),
            strong_total=sum(strong),
            no_good_match=not any(strong),
            results=[shape_result(groups[i], terms, self.settings, match=match[i], phrases=phrases) for i in page],
            facets=group_facets(groups),
            also_searched=list(run.also_searched),
        )
        response.run = run
        return response

    def nothing_strong(self, hits: list[ScoredChunk], run: QueryRun) -> bool:
        """True when no document among ``hits`` passes the floor (retrieve's "no good match")."""
        return not any(self.is_strong(e) for e in self.judge(self.rank(hits), run))

    def is_strong(self, found: Evidence) -> bool:
        """Whether ``found`` passes the relevance floor (KB_MATCH_FLOOR, KB_MATCH_TERMS)."""
        return found.strong(self.settings.match_floor, self.settings.match_terms, self.settings.match_floor_e5)

    def judge(self, groups: list[DocumentGroup], run: QueryRun) -> list[Evidence]:
        """The floor's evidence per document (search.relevance), one vector read for all of them."""
        dense = run.dense if run.dense_reads_query else None
        ids = [g.hits[0].document.id for g in groups]
        read = self.store.dense_vectors(ids) if (dense is not None or run.e5 is not None) and groups else {}
        vectors = [read.get(i, []) for i in ids]
        # minilm+e5 stores both halves in one embedding: MiniLM's first, e5's after it
        width = self.store.dense_dim
        minilm = cosines(dense, vectors, slice(0, width))
        e5 = cosines(run.e5, vectors, slice(width, None))
        found = []
        for group, minilm_cosine, e5_cosine in zip(groups, minilm, e5, strict=True):
            best = group.hits[0].document
            passages = [h.document for h in group.hits[:PASSAGES_PER_DOCUMENT]]
            # MiniLM judges where it reads both sides; e5 where either is in an Indian script (its
            # cosine of English gibberish with English text is as high as of a real match)
            english = dense is not None and chunk_is_latin(best.meta, best.content or "")
            if english or run.e5 is None:
                found.append(evidence(self.passage_terms, run.concepts, passages, cosine=minilm_cosine))
            else:
                found.append(evidence(self.passage_terms, run.concepts, passages, cosine=None, e5_cosine=e5_cosine))
        return found

    def candidates(
        self,
        text: str,
        filters: SearchFilters,
        *,
        mode: str = "hybrid",
        limit: int = CANDIDATE_CHUNKS,
        restrict: dict[str, Any] | None = None,
    ) -> list[ScoredChunk]:
        """Fused chunk hits (best first) for ``text`` under ``filters`` and ``restrict``."""
        return self.run_query(text, filters, mode=mode, limit=limit, restrict=restrict)[0]

    def run_query(
        self,
        text: str,
        filters: SearchFilters,
        *,
        mode: str = "hybrid",
        limit: int = CANDIDATE_CHUNKS,
        restrict: dict[str, Any] | None = None,
    ) -> tuple[list[ScoredChunk], QueryRun]:
        """:meth:`candidates` and the :class:`QueryRun` (vectors, concepts) that produced them."""
        expansion = expand_query(self.expander, text, self.sparse_query(text))
        concepts = expansion.concepts  # a query word counts as found where one of its synonyms is
        sparse = expansion.sparse if mode in ("hybrid", "sparse") else None
        also = expansion.also_searched if sparse is not None else ()
        latin = mostly_latin(text)
        english_only = not self.settings.reads_indian_languages
        reads = not english_only or latin
        if mode == "hybrid" and sparse is not None and not reads:
            # all-MiniLM-L6-v2 is English-only: for a Hindi (Devanagari) query its vector is noise that
            # would outvote exact term matches, so BM25 decides; the dense list is the fallback.
            # (multilingual-e5-small reads Hindi: with it the query is fused as usual.)
            hits = self.query_vectors(None, sparse, filters, limit, restrict=restrict)
            if hits:
                return hits, QueryRun(dense=None, sparse=sparse, concepts=concepts, also_searched=also)
        wants_dense = mode in ("hybrid", "dense")
        # minilm+e5: MiniLM + e5 + BM25 for a Latin-script query, e5 + BM25 for the others (MiniLM's
        # vector of Hindi is noise); docs/search-quality.md, "Indian languages by default"
        # (for a Latin-script query e5 searches only chunks in an Indian script: none, no e5 vector).
        # One after the other: side by side on the query pool measured 40 ms per search vs 33 ms.
        wants_e5 = wants_dense and self.e5_embedder is not None and (not latin or self.indian_chunks())
        e5 = self.embed_e5(text) if wants_e5 else None
        dense = self.embed_query(text) if wants_dense and (latin or e5 is None) else None
        run = QueryRun(
            dense=dense, sparse=sparse, concepts=concepts, also_searched=also, dense_reads_query=reads, e5=e5
        )
        return self.query_vectors(dense, sparse, filters, limit, restrict=restrict, e5=e5), run

    def query_vectors(
        self,
        dense: list[float] | None,
        sparse: SparseVector | None,
        filters: SearchFilters,
        limit: int,
        *,
        restrict: dict[str, Any] | None = None,
        e5: list[float] | None = None,
    ) -> list[ScoredChunk]:
        """Chunk hits for already-embedded query vectors, fused as the settings say (reuse the vectors
        across several filter scopes instead of embedding the query again)."""
        sparse_embedding = SparseEmbedding(indices=sparse.indices, values=sparse.values) if sparse else None
        filters = self.scoped(filters)
        documents = self.retriever.run(
            query_embedding=dense,
            query_sparse_embedding=sparse_embedding,
            filters=both(filters.to_store_filter(), restrict),
            top_k=limit,
            query_e5_embedding=e5,
        )["documents"]
        return [ScoredChunk(document=d, score=float(d.score or 0.0)) for d in documents]

    def disjunctive_counts(
        self,
        text: str,
        filters: SearchFilters,
        current: FacetCounts,
        *,
        restrict: dict[str, Any] | None = None,
        run: QueryRun | None = None,
    ) -> FacetCounts:
        """Facet counts for a results page: ``current`` (the search's own counts) for facets without a
        filter; each filtered facet recounted among the candidates of the query without that filter,
        so a reader who chose Haryana still sees how many Kerala documents match. The query is
        embedded once for all recounts; at most one extra store query per filtered facet.

        ``run`` is the search's own :class:`QueryRun` (``SearchResponse.run``): the recounts use the
        vectors the search used (BM25 alone for a Hindi query), not a fresh hybrid query. A chosen
        value keeps the search's own count: its documents are exactly the results on the page, which
        a recount among the top candidates of the wider query could cut short ("Karnataka (2)" beside
        3 results).
        """
        counts = {facet: dict(current.get(facet, {})) for facet in FACETS}
        open_facets = [facet for facet in FACETS if filtered_on(filters, facet)]
        if not open_facets:
            return counts
        if run is None:
            run = self.run_query(text, filters, restrict=restrict)[1]
        for facet in open_facets:
            hits = self.query_vectors(
                run.dense, run.sparse, relaxed(filters, facet), CANDIDATE_CHUNKS, restrict=restrict, e5=run.e5
            )
            recount = hit_counts(hits)[facet]
            for value in chosen_values(filters, facet):
                if value in current.get(facet, {}):
                    recount[value] = current[facet][value]
            counts[facet] = recount
        return counts

    def similar(
        self,
        document_id: str,
        *,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        restrict: dict[str, Any] | None = None,
        exclude: Sequence[str] = (),
        home_states: Sequence[str] = (),
    ) -> list[SearchResult]:
        """Documents most like ``document_id``, using its own chunk vectors (mean), excluding itself and
        ``exclude`` (what the page already lists as related). A document of none of ``home_states``
        gains :data:`OTHER_STATE_BONUS` cosine: the exchange exists to show how *other* states did it."""
        chunks = self.store.scroll(
            {"field": "meta.document_id", "operator": "==", "value": document_id}, with_vectors=True
        )
        # minilm+e5: e5's half of each embedding, so a Hindi practice finds its English counterparts
        e5 = E5 in self.store.dense_names
        vectors = [c.embedding[self.store.dense_dim :] if e5 else c.embedding for c in chunks if c.embedding]
        if not vectors:
            return []
        centroid = [sum(values) / len(vectors) for values in zip(*vectors, strict=True)]
        norm = sum(v * v for v in centroid) ** 0.5 or 1.0
        centroid = [v / norm for v in centroid]
        scope = self.scoped(filters or SearchFilters())
        plan = QueryPlan(
            dense=None if e5 else centroid,
            e5=centroid if e5 else None,
            filters=both(scope.to_store_filter(exclude_document=document_id), restrict),
            limit=CANDIDATE_CHUNKS,
            prefetch_limit=CANDIDATE_CHUNKS,
        )
        hits = self.store.query(plan)
        skip, home = set(exclude), set(home_states)
        groups = [g for g in group_hits(hits) if g.document_id not in skip]
        for group in groups:
            if home and not home & set(group.hits[0].document.meta.get("states") or []):
                group.boost = OTHER_STATE_BONUS / max(abs(group.hits[0].score), 1e-9)
        groups.sort(key=lambda g: g.score, reverse=True)
        return [shape_result(group, [], self.settings) for group in groups[:top_k]]

    # -- shaping -------------------------------------------------------------------------------------

    def scoped(self, filters: SearchFilters) -> SearchFilters:
        """``filters`` with ``adopted_by`` answered from the catalog (one indexed query per search)."""
        return resolve_adopted_by(filters, self.adoptions)

    def rank(self, hits: list[ScoredChunk]) -> list[DocumentGroup]:
        """Hits grouped by document, best first; with ``KB_ADOPTION_BOOST`` > 0 a practice taken up by n
        states scores x(1 + boost·ln(1 + n)) (off by default: docs/exchange.md has the measurement)."""
        groups = group_hits(hits)
        boosts = adoption_boosts(self.adoptions, [g.document_id for g in groups], self.settings.adoption_boost)
        if not boosts:
            return groups
        for group in groups:
            group.boost = boosts.get(group.document_id, 0.0)
        return sorted(groups, key=lambda g: g.score, reverse=True)

    def ranked_document_ids(self, hits: list[ScoredChunk]) -> list[str]:
        """Document ids in the order :meth:`search` ranks them (``kb eval`` measures this order)."""
        return [g.document_id for g in self.rank(hits)]
