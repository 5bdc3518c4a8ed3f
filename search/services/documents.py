"""The read rules: which documents a caller sees, and what the front doors read about them.

``GET /v1/documents[/{id}[/file|/similar]]``, ``/v1/search``, ``/v1/facets``, the web pages (search,
browse, document), the MCP tools (through :class:`~search.assistant.AssistantService`) and ``kb`` all
read through :class:`Documents`, so one rule decides what each of them shows:

- a withdrawn document is gone for readers (NotFoundError); admins still see it over the API. Each
  front door words the refusal its own way (``missing=`` / ``withdrawn=`` templates with ``{id}``),
  the rule is the same;
- listings and browse counts come from the catalog (active documents, counted in SQL), search-result
  counts from the searcher's candidates (:mod:`search.facets` says why);
- the original file of a version is served from the blob store by its hash.

Everything here blocks (SQLite, the model, Qdrant): front doors call it from the thread pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kb.blobs import open_blob_store
from kb.catalog import Catalog, DocumentRecord, KeyRecord, VersionRecord
from kb.errors import NotFoundError
from kb.models import Section
from kb.settings import Settings
from search.facets import FacetCounts, as_facets, catalog_counts, catalog_filters
from search.retrieval import Searcher
from search.schemas import FacetValue, SearchFilters, SearchRequest, SearchResponse, SearchResult

MISSING = "no document with id '{id}'"
WITHDRAWN = "document '{id}' was withdrawn"


@dataclass(frozen=True)
class StoredFile:
    """The original file of one version, as a download needs it: streamed from whichever blob store
    holds it (a folder, or PostgreSQL in a shared deployment), never read whole into memory."""

    pieces: Iterator[bytes]
    size: int
    media_type: str
    filename: str


@dataclass(frozen=True)
class DocumentPage:
    """A page of a listing and the number of documents matching in all."""

    records: list[DocumentRecord]
    total: int


class Documents:
    """Reading documents, listings, facets and similar practices; cheap to build per request."""

    def __init__(self, *, catalog: Catalog, searcher: Searcher, settings: Settings) -> None:
        self.catalog = catalog
        self.searcher = searcher
        self.settings = settings

    @classmethod
    def of(cls, state: Any) -> Documents:
        """The service over an app's ``state`` (catalog, searcher, settings set by the lifespan)."""
        return cls(catalog=state.catalog, searcher=state.searcher, settings=state.settings)

    # -- one document ---------------------------------------------------------------------------------

    def get(
        self, document_id: str, key: KeyRecord | None = None, *, missing: str = MISSING, withdrawn: str = WITHDRAWN
    ) -> DocumentRecord:
        """The document if this caller may read it: withdrawn ones only for admin keys."""
        record = self.catalog.get_document(document_id)
        if record is None:
            raise NotFoundError(missing.format(id=document_id))
        if not record.active and not (key is not None and key.is_admin):
            raise NotFoundError(withdrawn.format(id=document_id))
        return record

    def readable(self, document_id: str) -> DocumentRecord | None:
        """An active document, or None (links between documents show a missing one as plain text)."""
        record = self.catalog.get_document(document_id)
        return record if record is not None and record.active else None

    def sections(self, record: DocumentRecord) -> list[Section]:
        return self.catalog.sections(record.id)

    def versions(self, record: DocumentRecord) -> list[VersionRecord]:
        return self.catalog.versions(record.id)

    def file(self, record: DocumentRecord, version: int | None = None) -> StoredFile:
        """The original of ``version`` (default: the current one); NotFoundError for a version never stored."""
        stored = self.catalog.version(record.id, version)
        blobs = open_blob_store(self.settings, self.catalog)
        return StoredFile(
            pieces=blobs.open_stream(stored.blob_sha256),
            size=blobs.size(stored.blob_sha256),
            media_type=stored.media_type,
            filename=stored.filename,
        )

    def similar(
        self, record: DocumentRecord, *, top_k: int = 5, filters: SearchFilters | None = None
    ) -> list[SearchResult]:
        """Documents closest to ``record`` by meaning (its own vectors), excluding itself."""
        return self.searcher.similar(record.id, top_k=top_k, filters=filters)

    # -- many documents -------------------------------------------------------------------------------

    def listing(self, filters: SearchFilters, *, limit: int, offset: int = 0) -> DocumentPage:
        """A page of active documents matching ``filters``, newest first."""
        records, total = self.catalog.list_documents(**catalog_filters(filters), limit=limit, offset=offset)
        return DocumentPage(records=records, total=total)

    def active_total(self) -> int:
        """How many documents are shared (active) in all."""
        return self.catalog.counts()["documents"]

    def counts(self, filters: SearchFilters, *, disjunctive: bool = False) -> FacetCounts:
        """Active documents per facet value under ``filters`` (SQL in the catalog; see search.facets)."""
        return catalog_counts(self.catalog, filters, disjunctive=disjunctive)

    def facets(self, filters: SearchFilters, query: str | None = None) -> dict[str, list[FacetValue]]:
        """``/v1/facets``: counts among a query's candidates when ``query`` is given, else the catalog's."""
        if query and query.strip():
            return self.search(SearchRequest(query=query, top_k=1, filters=filters)).facets
        return as_facets(self.counts(filters))

    # -- search ---------------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResponse:
        """One page of results with facet counts among all candidate documents."""
        return self.searcher.search(request)

    def result_counts(self, response: SearchResponse, filters: SearchFilters) -> FacetCounts:
        """The counts a results page shows beside ``response``: disjunctive for the filtered facets."""
        current = {facet: {v.value: v.count for v in values} for facet, values in response.facets.items()}
        return self.searcher.disjunctive_counts(response.query, filters, current)
