"""The read-only tools: their arguments (the input schema a model sees) and what each one calls.

A tool is a method of :class:`AssistantTools`; its signature is the input schema, its return
annotation names the output schema and its docstring is the description the model reads. Each does
one call to :class:`~search.assistant.AssistantService` (the service ``POST /v1/retrieve`` uses) and
renders the result with :mod:`search.mcp.text`.

Links in results are absolute when the call came over HTTP: each call passes its own request's
base, because one service answers every host and root path the server is reached by. Over stdio
there is no request and links stay relative (unless ``KB_PUBLIC_URL`` is set).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field
from starlette.requests import Request

from kb.errors import KBError
from search.assistant import DEFAULT_DOCUMENT_TOKENS, AssistantService, DocumentResult, FacetsResult, SimilarResult
from search.assistant_adoptions import AdoptionsResult, AdoptionStatus
from search.mcp.text import render_adoptions, render_document, render_facets, render_passages, render_similar
from search.passages import DEFAULT_MAX_PASSAGES, DEFAULT_MAX_TOKENS, MAX_MAX_TOKENS, MIN_MAX_TOKENS, RetrieveResponse
from search.schemas import SearchFilters
from search.services.access import Viewer

T = TypeVar("T", bound=BaseModel)
ServiceSource = AssistantService | Callable[[], AssistantService]  # a getter when the KB opens after serving

FiltersArg = Annotated[
    SearchFilters | None,
    Field(
        description="Optional scope, all conditions ANDed: states (any of; names or abbreviations such as "
        "'J&K'), sector, type (case_study, mou, policy, guideline, report, vision_document, news, other), "
        "year_from, year_to. Leave out unless the user restricts the scope."
    ),
]
DocumentIdArg = Annotated[
    str, Field(description="The document id, e.g. the `document_id` of a citation from search_practices.")
]
QueryArg = Annotated[
    str,
    Field(
        description="One focused question or topic in natural language, e.g. 'How did Haryana set "
        "up its CM Window grievance portal?'"
    ),
]
MaxPassagesArg = Annotated[int, Field(ge=1, le=50, description="At most this many passages.")]
IncludeWeakArg = Annotated[
    bool,
    Field(description="true: the closest passages even when nothing matches well (marked weak); default false."),
]
PassageTokensArg = Annotated[
    int,
    Field(
        ge=MIN_MAX_TOKENS,
        le=MAX_MAX_TOKENS,
        description="Token budget for all passages with their headers; the result never exceeds it.",
    ),
]
SectionArg = Annotated[
    str | None,
    Field(
        description="Optional words from a section heading (e.g. 'Clause 4', 'Results') to read "
        "only the matching sections."
    ),
]
DocumentTokensArg = Annotated[
    int, Field(ge=MIN_MAX_TOKENS, le=MAX_MAX_TOKENS, description="Token budget for the section texts.")
]
TopKArg = Annotated[int, Field(ge=1, le=20, description="How many similar documents.")]
AdoptingStateArg = Annotated[
    str | None,
    Field(description="Optional: only adoptions by this state or UT (names or abbreviations such as 'J&K')."),
]
AdoptionStatusArg = Annotated[
    AdoptionStatus | None, Field(description="Optional: exploring, piloting, adopted or dropped.")
]
AdoptedDocumentArg = Annotated[
    str | None, Field(description="Optional: only adoptions of this practice (a document_id).")
]
AdoptionLimitArg = Annotated[int, Field(ge=1, le=50, description="At most this many adoptions, newest first.")]


def request_base(ctx: Context[Any, Any]) -> str | None:
    """``scheme://host[:port]/root_path`` of the HTTP request carrying this call; None over stdio."""
    try:
        request = ctx.request_context.request
    except ValueError:  # called outside a request (e.g. MCPServer.call_tool without a context)
        return None
    return str(request.base_url) if isinstance(request, Request) else None


def request_viewer(ctx: Context[Any, Any] | None) -> Viewer:
    """Who is calling: the key ``/mcp`` verified for this HTTP request (see search.api.assistants),
    else an anonymous reader (stdio, or HTTP without a key): public documents only."""
    if ctx is None:
        return Viewer.anonymous()
    try:
        request = ctx.request_context.request
    except ValueError:
        return Viewer.anonymous()
    key = getattr(request.state, "kb_key", None) if isinstance(request, Request) else None
    return Viewer.of(key)


def _call(action: Callable[[], T], render: Callable[[T], str]) -> CallToolResult:
    """Run ``action``; our errors become tool errors with their message (the model can act on it)."""
    try:
        result = action()
    except KBError as exc:
        raise ToolError(exc.message) from exc
    return CallToolResult(
        content=[TextContent(type="text", text=render(result))],
        structured_content=result.model_dump(mode="json"),
    )


class AssistantTools:
    """The tools bound to one service; :func:`search.mcp.server.build_server` registers :attr:`all`."""

    def __init__(self, service: ServiceSource) -> None:
        self._service = service

    @property
    def service(self) -> AssistantService:
        return self._service if isinstance(self._service, AssistantService) else self._service()

    @property
    def all(self) -> tuple[Callable[..., CallToolResult], ...]:
        return (
            self.search_practices,
            self.get_document,
            self.list_facets,
            self.find_similar_practices,
            self.list_adoptions,
        )

    def search_practices(
        self,
        ctx: Context[Any, Any],
        query: QueryArg,
        filters: FiltersArg = None,
        max_passages: MaxPassagesArg = DEFAULT_MAX_PASSAGES,
        max_tokens: PassageTokensArg = DEFAULT_MAX_TOKENS,
        include_weak: IncludeWeakArg = False,
    ) -> Annotated[CallToolResult, RetrieveResponse]:
        """Find passages in the e-governance practice exchange that answer a question.

        The exchange holds case studies, policies, guidelines, MoUs, reports and vision documents of
        Indian states and union territories. Returns the most relevant passages (not whole documents),
        best first, without duplicates and trimmed to max_tokens, each with a citation: document id,
        title, type, states, section (heading path), page, version and URL. The text is numbered
        [1], [2], ...: cite passages that way and name the document and section. For a question with
        several parts (how one state did something, what another agreed to learn from it), call once
        per part. Use filters only when the user limits the scope; list_facets shows valid values. To
        read more of a document, call get_document with its document_id. When nothing in the
        exchange matches well enough there are no passages and a reason: say so to the user rather
        than answering from elsewhere (include_weak=true returns the closest passages, marked weak).
        """
        scope, base, viewer = filters or SearchFilters(), request_base(ctx), request_viewer(ctx)
        return _call(
            lambda: self.service.search(
                query, scope, max_passages, max_tokens, base_url=base, viewer=viewer, include_weak=include_weak
            ),
            render_passages,
        )

    def get_document(
        self,
        ctx: Context[Any, Any],
        document_id: DocumentIdArg,
        section: SectionArg = None,
        max_tokens: DocumentTokensArg = DEFAULT_DOCUMENT_TOKENS,
    ) -> Annotated[CallToolResult, DocumentResult]:
        """Read one document of the practice exchange by id: its metadata and its sections in order.

        Each section has its heading path, page and a citation. Sections beyond max_tokens are listed
        by heading without text (omitted=true); call again with `section` set to words from their
        heading to read them. Use the document_id from a search_practices citation.
        """
        base, viewer = request_base(ctx), request_viewer(ctx)
        return _call(
            lambda: self.service.document(
                document_id, section=section, max_tokens=max_tokens, base_url=base, viewer=viewer
            ),
            render_document,
        )

    def list_facets(
        self, ctx: Context[Any, Any], filters: FiltersArg = None
    ) -> Annotated[CallToolResult, FacetsResult]:
        """List what the practice exchange holds: document counts by state/UT, sector, type and year.

        Use it to pick valid filter values for search_practices, or to answer questions such as which
        states have published MoUs. Optional filters narrow the counts (e.g. sectors of one state).
        """
        viewer = request_viewer(ctx)
        return _call(lambda: self.service.facets(filters or SearchFilters(), viewer=viewer), render_facets)

    def find_similar_practices(
        self,
        ctx: Context[Any, Any],
        document_id: DocumentIdArg,
        top_k: TopKArg = 5,
        filters: FiltersArg = None,
    ) -> Annotated[CallToolResult, SimilarResult]:
        """Find documents most similar in content to a given document, e.g. comparable practices elsewhere.

        Returns documents best first, excluding the given one, each with a snippet of its closest
        passage and a citation. Filters narrow the results (e.g. states=['Kerala'] or type='mou').
        """
        base, viewer = request_base(ctx), request_viewer(ctx)
        return _call(
            lambda: self.service.similar(document_id, top_k=top_k, filters=filters, base_url=base, viewer=viewer),
            render_similar,
        )

    def list_adoptions(
        self,
        ctx: Context[Any, Any],
        state: AdoptingStateArg = None,
        status: AdoptionStatusArg = None,
        document_id: AdoptedDocumentArg = None,
        limit: AdoptionLimitArg = 20,
    ) -> Annotated[CallToolResult, AdoptionsResult]:
        """List which states have taken up which practices of other states, newest change first.

        Each adoption names the practice (document_id, title, its own states), the adopting state, the
        status (exploring, piloting, adopted or dropped) since when, a note and, if recorded, the
        adopting state's own write-up (adopter_document_id). Use it for questions such as "which
        states replicated Haryana's CM Window?" (document_id) or "what has Punjab taken up?" (state).
        Adoptions are recorded by the states themselves; an empty list means none is recorded, not
        that no state uses the practice.
        """
        base, viewer = request_base(ctx), request_viewer(ctx)
        return _call(
            lambda: self.service.adoptions(
                state=state, status=status, document_id=document_id, limit=limit, base_url=base, viewer=viewer
            ),
            render_adoptions,
        )
