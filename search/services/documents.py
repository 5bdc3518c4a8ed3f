"""The read rules: which documents a caller sees, and what the front doors read about them.

``GET /v1/documents[/{id}[/file|/similar]]``, ``/v1/search``, ``/v1/facets``, the web pages (search,
browse, document), the MCP tools (through :class:`~search.assistant.AssistantService`) and ``kb`` all
read through :class:`Documents`, so one rule decides what each of them shows:

- every method takes the caller as a :class:`~search.services.access.Viewer` (default: anonymous,
  so a front door that forgets to say who is calling shows only what the public may see); a
  restricted document is missing (the words for an unknown id) for callers not of its states;
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
from typing import TYPE_CHECKING, Any

from kb.blobs import open_blob_store
from kb.catalog import AuditEntry, Catalog, DocumentRecord, KeyRecord, VersionRecord
from kb.catalog.insights import UsageEvent
from kb.errors import ForbiddenError, NotFoundError
from kb.models import Section
from kb.settings import Settings
from search.facets import FacetCounts, as_facets, catalog_counts, catalog_filters
from search.schemas import FacetValue, SearchFilters, SearchRequest, SearchResponse, SearchResult
from search.services.access import Viewer
from search.services.insights import UsageRecorder, search_event

if TYPE_CHECKING:  # the searcher pulls in Haystack; `kb mcp` answers initialize before it
    from search.retrieval import Searcher

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

    def __init__(
        self, *, catalog: Catalog, searcher: Searcher, settings: Settings, recorder: UsageRecorder | None = None
    ) -> None:
        self.catalog = catalog
        self.searcher = searcher
        self.settings = settings
        self.recorder = recorder

    @classmethod
    def of(cls, state: Any) -> Documents:
        """The service over an app's ``state`` (catalog, searcher, settings, insights of the lifespan)."""
        recorder = getattr(state, "insights", None)
        return cls(catalog=state.catalog, searcher=state.searcher, settings=state.settings, recorder=recorder)

    def count(self, event: UsageEvent) -> None:
        """Report a view or download to insights (:mod:`search.services.insights`; never by whom)."""
        if self.recorder is not None:
            self.recorder.add(event)

    # -- one document ---------------------------------------------------------------------------------

    def get(
        self,
        document_id: str,
        key: KeyRecord | Viewer | None = None,
        *,
        missing: str = MISSING,
        withdrawn: str = WITHDRAWN,
    ) -> DocumentRecord:
        """The document if this caller may read it: withdrawn ones only for admin keys, restricted
        ones only for keys of their states (others are told it does not exist)."""
        viewer = as_viewer(key)
        record = self.catalog.get_document(document_id)
        if record is None or not viewer.may_read(record):
            raise NotFoundError(missing.format(id=document_id))
        if not record.active and not viewer.sees_all:
            raise NotFoundError(withdrawn.format(id=document_id))
        return record

    def readable(self, document_id: str, viewer: Viewer | None = None) -> DocumentRecord | None:
        """An active document this caller may read, or None (links between documents show a missing
        one as plain text)."""
        record = self.catalog.get_document(document_id)
        if record is None or not record.active or not as_viewer(viewer).may_read(record):
            return None
        return record

    def sections(self, record: DocumentRecord, version: int | None = None) -> list[Section]:
        """The sections of the current version, or of ``version`` (NotFoundError if never stored)."""
        if version is not None:
            self.catalog.version(record.id, version)  # names a version that does not exist
        return self.catalog.sections(record.id, version)

    def version(self, record: DocumentRecord, version: int) -> VersionRecord:
        return self.catalog.version(record.id, version)

    def audit_log(
        self, key: KeyRecord | None, *, document_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """``GET /v1/audit``: every write and decision, newest first; admins only."""
        if key is None or not key.is_admin:
            raise ForbiddenError("only admin keys may read the audit log")
        return self.catalog.audit_log(document_id=document_id, limit=limit, offset=offset)

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
        self,
        record: DocumentRecord,
        *,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        viewer: Viewer | None = None,
    ) -> list[SearchResult]:
        """Documents closest to ``record`` by meaning (its own vectors), excluding itself."""
        restrict = as_viewer(viewer).store_condition()
        related = [str(i) for i in record.metadata.get("related") or []]  # already listed beside it
        return self.searcher.similar(
            record.id, top_k=top_k, filters=filters, restrict=restrict, exclude=related, home_states=record.states
        )

    # -- many documents -------------------------------------------------------------------------------

    def listing(
        self, filters: SearchFilters, *, limit: int, offset: int = 0, viewer: Viewer | None = None
    ) -> DocumentPage:
        """A page of active documents matching ``filters`` that this caller may read, newest first."""
        records, total = self.catalog.list_documents(
            **catalog_filters(filters), visible_to=as_viewer(viewer).catalog_states(), limit=limit, offset=offset
        )
        return DocumentPage(records=records, total=total)

    def active_total(self, viewer: Viewer | None = None) -> int:
        """How many documents are shared (active) in all, of those this caller may read."""
        states = as_viewer(viewer).catalog_states()
        if states is None:
            return self.catalog.counts()["documents"]
        return self.catalog.list_documents(visible_to=states, limit=1)[1]

    def counts(self, filters: SearchFilters, *, disjunctive: bool = False, viewer: Viewer | None = None) -> FacetCounts:
        """Active documents per facet value under ``filters`` (SQL in the catalog; see search.facets)."""
        visible_to = as_viewer(viewer).catalog_states()
        return catalog_counts(self.catalog, filters, disjunctive=disjunctive, visible_to=visible_to)

    def facets(
        self, filters: SearchFilters, query: str | None = None, *, viewer: Viewer | None = None
    ) -> dict[str, list[FacetValue]]:
        """``/v1/facets``: counts among a query's candidates when ``query`` is given, else the catalog's."""
        if query and query.strip():
            return self.search(SearchRequest(query=query, top_k=1, filters=filters), viewer=viewer).facets
        return as_facets(self.counts(filters, viewer=viewer))

    # -- search ---------------------------------------------------------------------------------------

    def search(
        self, request: SearchRequest, *, viewer: Viewer | None = None, surface: str | None = None
    ) -> SearchResponse:
        """One page of results with facet counts among all candidate documents this caller may read.

        ``surface`` (api, web, ...) counts the search for insights; internal searches pass none.
        """
        response = self.searcher.search(request, restrict=as_viewer(viewer).store_condition())
        if surface is not None and self.recorder is not None:
            no_good_match = getattr(response, "no_good_match", None)
            matched = None if no_good_match is None else not no_good_match
            filters = request.filters.model_dump(mode="json")
            self.recorder.add(search_event(surface, request.query, filters, response.total, matched))
        return response

    def result_counts(
        self, response: SearchResponse, filters: SearchFilters, *, viewer: Viewer | None = None
    ) -> FacetCounts:
        """The counts a results page shows beside ``response``: disjunctive for the filtered facets."""
        current = {facet: {v.value: v.count for v in values} for facet, values in response.facets.items()}
        restrict = as_viewer(viewer).store_condition()
        return self.searcher.disjunctive_counts(response.query, filters, current, restrict=restrict, run=response.run)


def as_viewer(who: KeyRecord | Viewer | None) -> Viewer:
    """A caller given as a key (or nobody) as a :class:`Viewer`."""
    return who if isinstance(who, Viewer) else Viewer.of(who)
