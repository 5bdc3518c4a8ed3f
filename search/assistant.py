"""What chat assistants can ask for, independent of how they ask (``/v1/retrieve``, MCP over HTTP or stdio).

One small service over the catalog and the searcher, so every transport returns the same passages
and the same :class:`~search.passages.Citation` objects. It raises our own errors
(:class:`~kb.errors.QueryError`, :class:`~kb.errors.NotFoundError`); each boundary turns them into its
own shape (problem+json, MCP tool errors).

Links in results start with ``KB_PUBLIC_URL`` when set, else with the ``base_url`` each call passes
(the address its HTTP request came to); the service is shared by every request, so it keeps no base
of its own. :func:`start_assistant` builds the one service of a process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from kb.catalog import Catalog, DocumentRecord
from kb.errors import QueryError
from kb.models import Section
from kb.settings import Settings
from search.assistant_adoptions import AdoptionsResult, DocumentAdoption, exchange_for, list_adoptions
from search.facets import facet_values
from search.passages import (
    MIN_TRUNCATED_TOKENS,
    Citation,
    PassageRetriever,
    RetrieveRequest,
    RetrieveResponse,
)
from search.schemas import DocumentFacts, FacetValue, SearchFilters, document_url, file_url
from search.services.access import Viewer
from search.services.documents import Documents, as_viewer
from search.services.insights import search_event
from search.services.redaction import contact_available, redact_metadata
from search.validation import describe

if TYPE_CHECKING:  # the searcher pulls in Haystack; `kb mcp` answers initialize before it
    from search.retrieval import Searcher

DEFAULT_DOCUMENT_TOKENS = 4000
MISSING_FOR_ASSISTANTS = "no document with id '{id}'; use the document_id of a search result or citation"


class DocumentSection(BaseModel):
    """One section of a document, in reading order."""

    position: int = Field(description="0-based position among the document's sections.")
    section: str = Field(description="Heading path joined by ' › '.")
    heading_path: list[str]
    page: int | None = None
    tokens: int = Field(description="Tokens of the section's full text.")
    text: str = Field(description="The text ('' when omitted; cut and ending in '…' when truncated).")
    truncated: bool = False
    omitted: bool = Field(default=False, description="Left out to stay within max_tokens.")
    citation: Citation


class DocumentResult(DocumentFacts):
    """A document with its metadata and sections (``get_document``)."""

    version: int
    url: str
    file_url: str
    source_url: str | None = None
    metadata: dict[str, Any] = Field(
        description="All metadata fields, including extra ones; `contact` is null unless the call carries an API key."
    )
    contact_available: bool = Field(
        default=False, description="Whether the document names a contact (shown to callers with an API key)."
    )
    sections: list[DocumentSection]
    sections_total: int
    sections_omitted: int
    total_tokens: int = Field(description="Tokens of the section texts returned.")
    max_tokens: int
    adoptions: list[DocumentAdoption] = Field(
        default=[], description="States exploring, piloting, having adopted or dropped this practice."
    )


class FacetsResult(BaseModel):
    """Active documents counted by state, sector, type and year (``list_facets``)."""

    filters: SearchFilters
    total_documents: int
    states: list[FacetValue]
    sectors: list[FacetValue]
    types: list[FacetValue]
    years: list[FacetValue]


class SimilarPractice(DocumentFacts):
    score: float
    snippet: str = Field(description="Excerpt of the passage closest to the given document.")
    citation: Citation


class SimilarResult(BaseModel):
    """Documents most like one document (``find_similar_practices``)."""

    document_id: str
    title: str
    results: list[SimilarPractice]


class AssistantService:
    """Passages, documents, facets and similar practices for assistants; one per process."""

    def __init__(
        self, settings: Settings, catalog: Catalog, searcher: Searcher, retriever: PassageRetriever | None = None
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.searcher = searcher
        self.retriever = retriever or PassageRetriever(settings, searcher)
        self.documents = Documents(catalog=catalog, searcher=searcher, settings=settings)

    def warm_up(self) -> None:
        self.searcher.warm_up()
        self.retriever.warm_up()

    def retrieve(
        self,
        request: RetrieveRequest,
        *,
        base_url: str | None = None,
        viewer: Viewer | None = None,
        surface: str | None = None,
    ) -> RetrieveResponse:
        """Passages this caller may read (``viewer``: anonymous unless given); ``surface`` counts the
        question for insights (``/v1/retrieve``: assistant, the MCP tool: mcp)."""
        response = self.retriever.retrieve(request, base_url=base_url, restrict=as_viewer(viewer).store_condition())
        if surface is not None and self.documents.recorder is not None:
            filters = request.filters.model_dump(mode="json") if request.filters else {}
            event = search_event(surface, request.query, filters, len(response.passages))
            self.documents.recorder.add(event)
        return response

    def search(
        self,
        query: str,
        filters: SearchFilters,
        max_passages: int,
        max_tokens: int,
        *,
        base_url: str | None = None,
        viewer: Viewer | None = None,
        include_weak: bool = False,
    ) -> RetrieveResponse:
        """``retrieve`` from loose arguments (the MCP tool's); QueryError when they are invalid."""
        try:
            request = RetrieveRequest(
                query=query,
                filters=filters,
                max_passages=max_passages,
                max_tokens=max_tokens,
                include_weak=include_weak,
            )
        except ValidationError as exc:
            raise QueryError(describe(exc)) from None
        return self.retrieve(request, base_url=base_url, viewer=viewer, surface="mcp")

    def _record(self, document_id: str, viewer: Viewer | None) -> DocumentRecord:
        """The document as this caller sees it (the read rule of :class:`~search.services.documents.Documents`)."""
        return self.documents.get(document_id.strip(), as_viewer(viewer), missing=MISSING_FOR_ASSISTANTS)

    def section_citation(self, record: DocumentRecord, section: Section, *, base_url: str | None = None) -> Citation:
        return Citation.of(
            DocumentFacts.from_record(record),
            self.settings,
            version=record.current_version,
            heading_path=list(section.heading_path),
            section=section.heading,
            page=section.page,
            source_url=record.metadata.get("source_url"),
            base=base_url,
        )

    def document(
        self,
        document_id: str,
        *,
        section: str | None = None,
        max_tokens: int,
        base_url: str | None = None,
        viewer: Viewer | None = None,
    ) -> DocumentResult:
        """The document's sections in order, texts until ``max_tokens``; the rest listed as omitted.

        Links start with ``base_url`` (the caller's request base) unless KB_PUBLIC_URL is set.
        """
        record = self._record(document_id, viewer)
        sections = list(enumerate(self.catalog.sections(record.id)))
        if section and section.strip():
            sections = _matching(sections, section)
        counter = self.retriever.counter
        parts: list[DocumentSection] = []
        used = 0
        full = False
        for position, item in sections:
            size = counter.count(item.text)
            text, truncated = "", False
            if not full and used + size <= max_tokens:
                text, used = item.text, used + size
            elif not full:
                full, room = True, max_tokens - used
                if room >= MIN_TRUNCATED_TOKENS:
                    text = counter.truncate(item.text, room)
                    truncated, used = bool(text), used + counter.count(text)
            parts.append(
                DocumentSection(
                    position=position,
                    section=item.heading,
                    heading_path=list(item.heading_path),
                    page=item.page,
                    tokens=size,
                    text=text,
                    truncated=truncated,
                    omitted=not text and bool(item.text.strip()),
                    citation=self.section_citation(record, item, base_url=base_url),
                )
            )
        version = record.current_version
        return DocumentResult(
            **DocumentFacts.from_record(record).fields(),
            version=version,
            url=document_url(self.settings, record.id, base=base_url),
            file_url=file_url(self.settings, record.id, version, base=base_url),
            source_url=record.metadata.get("source_url"),
            metadata=redact_metadata(record.metadata, as_viewer(viewer)),  # contacts: callers with a key
            contact_available=contact_available(record.metadata),
            sections=parts,
            sections_total=len(parts),
            sections_omitted=sum(p.omitted for p in parts),
            total_tokens=used,
            max_tokens=max_tokens,
            adoptions=[
                DocumentAdoption.of(a, keyed=as_viewer(viewer).has_key) for a in self.catalog.adoptions_of(record.id)
            ],
        )

    def adoptions(
        self,
        *,
        state: str | None = None,
        status: str | None = None,
        document_id: str | None = None,
        limit: int = 20,
        base_url: str | None = None,
        viewer: Viewer | None = None,
    ) -> AdoptionsResult:
        """``list_adoptions``: the exchange's rules (:mod:`search.services.exchange`) for this caller."""
        exchange = exchange_for(self.catalog, self.documents, self.settings)
        key = as_viewer(viewer).key
        found = (document_id or "").strip() or None
        return list_adoptions(
            exchange, key, state=state, status=status, document_id=found, limit=limit, base_url=base_url
        )

    def facets(self, filters: SearchFilters, *, viewer: Viewer | None = None) -> FacetsResult:
        counts = self.documents.counts(filters, viewer=viewer)
        return FacetsResult(
            filters=filters,
            total_documents=self.documents.listing(filters, limit=1, viewer=viewer).total,
            states=facet_values(counts["states"]),
            sectors=facet_values(counts["sector"]),
            types=facet_values(counts["type"]),
            years=sorted(facet_values(counts["year"]), key=lambda f: f.value, reverse=True),
        )

    def similar(
        self,
        document_id: str,
        *,
        top_k: int,
        filters: SearchFilters | None = None,
        base_url: str | None = None,
        viewer: Viewer | None = None,
    ) -> SimilarResult:
        """Documents most like ``document_id``, each with its closest passage's snippet and citation."""
        record = self._record(document_id, viewer)
        items: list[SimilarPractice] = []
        for result in self.documents.similar(record, top_k=top_k, filters=filters, viewer=viewer):
            other = self.catalog.get_document(result.document_id)
            best = result.passages[0] if result.passages else None
            facts = DocumentFacts.model_validate(result, from_attributes=True)
            citation = Citation.of(
                facts,
                self.settings,
                version=other.current_version if other else 1,
                heading_path=best.heading_path if best else [],
                section=result.section,
                page=result.page,
                source_url=result.source_url,
                base=base_url,
            )
            items.append(
                SimilarPractice(**facts.fields(), score=result.score, snippet=result.snippet, citation=citation)
            )
        return SimilarResult(document_id=record.id, title=record.title, results=items)


def start_assistant(settings: Settings, catalog: Catalog, searcher: Searcher) -> AssistantService:
    """The process's assistant service, warmed up: the one way ``kb serve`` (for /v1/retrieve and /mcp)
    and ``kb mcp`` get theirs, so both count tokens and build citations the same way."""
    service = AssistantService(settings, catalog, searcher)
    service.warm_up()
    return service


def _matching(sections: list[tuple[int, Section]], wanted: str) -> list[tuple[int, Section]]:
    """Sections whose heading path contains ``wanted`` (or all its words), case-insensitively."""
    needle = " ".join(wanted.lower().split())
    exact = [(i, s) for i, s in sections if needle in s.heading.lower()]
    if exact:
        return exact
    words = needle.split()
    loose = [(i, s) for i, s in sections if all(w in s.heading.lower() for w in words)]
    if loose:
        return loose
    headings = list(dict.fromkeys(s.heading for _, s in sections if s.heading))
    shown = "; ".join(headings[:40]) + ("; ..." if len(headings) > 40 else "")
    raise QueryError(f"no section heading matches '{wanted}'; the document's sections are: {shown or '(none)'}")
