"""The MCP server for chat assistants: read-only tools over the knowledge base, with citations.

Two transports, one set of tools: ``kb mcp`` serves them over stdio for desktop clients (it opens the
KB itself), and ``kb serve`` mounts streamable HTTP at ``/mcp`` beside the API, reusing the app's
searcher and catalog (only one process may open an embedded KB). The tools are thin: the work is
done by :class:`~search.assistant.AssistantService`, which ``POST /v1/retrieve`` shares, so the
passages and citations an assistant gets are the same whichever way it asks.

Every tool returns two views of one result: ``structuredContent`` (the pydantic models of
:mod:`search.assistant` and :mod:`search.passages`, citation objects included, validated against the
advertised ``outputSchema``) and a text block written for the model to read: numbered passages,
headings, document ids to call back with. Failures a caller can fix (unknown id, empty query, bad
filter) come back as tool errors (``isError``) whose text says what to do, so the model can correct
itself. The HTTP endpoint is stateless and answers in JSON: no session to keep between requests.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import metadata
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kb.errors import AuthError, KBError
from search.assistant import (
    DEFAULT_DOCUMENT_TOKENS,
    AssistantService,
    DocumentResult,
    FacetsResult,
    SimilarResult,
)
from search.passages import DEFAULT_MAX_PASSAGES, DEFAULT_MAX_TOKENS, MAX_MAX_TOKENS, MIN_MAX_TOKENS, RetrieveResponse
from search.schemas import SearchFilters
from search.services.auth import authenticate

SERVER_NAME = "egov-practice-exchange"
INSTRUCTIONS = (
    "A knowledge base of e-governance practices of Indian states and union territories: case studies, "
    "policies, guidelines, MoUs between states, reports and vision documents. Use search_practices to "
    "find passages that answer a question and cite them as [n] with the document title and section; "
    "get_document to read a document (or one section) by id; list_facets to see which states, sectors, "
    "types and years exist; find_similar_practices for comparable practices elsewhere. Answer from the "
    "passages; say so when they do not contain the answer."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
T = TypeVar("T", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

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


def build_server(service: AssistantService) -> MCPServer[Any]:
    """The MCP server with the four read-only tools bound to ``service``."""
    server: MCPServer[Any] = MCPServer(
        SERVER_NAME,
        title="E-governance Practice Exchange",
        instructions=INSTRUCTIONS,
        version=_version(),
        log_level="WARNING",
    )

    def tool(fn: F) -> F:
        """Register ``fn`` as a read-only tool; its docstring (dedented) is what the model reads."""
        server.add_tool(fn, description=inspect.cleandoc(fn.__doc__ or ""), annotations=READ_ONLY)
        return fn

    @tool
    def search_practices(
        query: Annotated[
            str,
            Field(
                description="One focused question or topic in natural language, e.g. 'How did Haryana set "
                "up its CM Window grievance portal?'"
            ),
        ],
        filters: FiltersArg = None,
        max_passages: Annotated[int, Field(ge=1, le=50, description="At most this many passages.")] = (
            DEFAULT_MAX_PASSAGES
        ),
        max_tokens: Annotated[
            int,
            Field(
                ge=MIN_MAX_TOKENS,
                le=MAX_MAX_TOKENS,
                description="Token budget for all passages with their headers; the result never exceeds it.",
            ),
        ] = DEFAULT_MAX_TOKENS,
    ) -> Annotated[CallToolResult, RetrieveResponse]:
        """Find passages in the e-governance practice exchange that answer a question.

        The exchange holds case studies, policies, guidelines, MoUs, reports and vision documents of
        Indian states and union territories. Returns the most relevant passages (not whole documents),
        best first, without duplicates and trimmed to max_tokens, each with a citation: document id,
        title, type, states, section (heading path), page, version and URL. The text is numbered
        [1], [2], ...: cite passages that way and name the document and section. For a question with
        several parts (how one state did something, what another agreed to learn from it), call once
        per part. Use filters only when the user limits the scope; list_facets shows valid values. To
        read more of a document, call get_document with its document_id.
        """
        return _call(
            lambda: service.search(query, filters or SearchFilters(), max_passages, max_tokens), render_passages
        )

    @tool
    def get_document(
        document_id: DocumentIdArg,
        section: Annotated[
            str | None,
            Field(
                description="Optional words from a section heading (e.g. 'Clause 4', 'Results') to read "
                "only the matching sections."
            ),
        ] = None,
        max_tokens: Annotated[
            int, Field(ge=MIN_MAX_TOKENS, le=MAX_MAX_TOKENS, description="Token budget for the section texts.")
        ] = DEFAULT_DOCUMENT_TOKENS,
    ) -> Annotated[CallToolResult, DocumentResult]:
        """Read one document of the practice exchange by id: its metadata and its sections in order.

        Each section has its heading path, page and a citation. Sections beyond max_tokens are listed
        by heading without text (omitted=true); call again with `section` set to words from their
        heading to read them. Use the document_id from a search_practices citation.
        """
        return _call(lambda: service.document(document_id, section=section, max_tokens=max_tokens), render_document)

    @tool
    def list_facets(filters: FiltersArg = None) -> Annotated[CallToolResult, FacetsResult]:
        """List what the practice exchange holds: document counts by state/UT, sector, type and year.

        Use it to pick valid filter values for search_practices, or to answer questions such as which
        states have published MoUs. Optional filters narrow the counts (e.g. sectors of one state).
        """
        return _call(lambda: service.facets(filters or SearchFilters()), render_facets)

    @tool
    def find_similar_practices(
        document_id: DocumentIdArg,
        top_k: Annotated[int, Field(ge=1, le=20, description="How many similar documents.")] = 5,
        filters: FiltersArg = None,
    ) -> Annotated[CallToolResult, SimilarResult]:
        """Find documents most similar in content to a given document, e.g. comparable practices elsewhere.

        Returns documents best first, excluding the given one, each with a snippet of its closest
        passage and a citation. Filters narrow the results (e.g. states=['Kerala'] or type='mou').
        """
        return _call(lambda: service.similar(document_id, top_k=top_k, filters=filters), render_similar)

    return server


def _version() -> str:
    try:
        return metadata.version("egov-practice-exchange")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0"


# -- text for the model -------------------------------------------------------------------------------


def render_passages(result: RetrieveResponse) -> str:
    if not result.passages:
        return f"No passages found for {result.query!r}. Try other words, a broader question or fewer filters."
    ids = "; ".join(f"[{p.rank}] {p.citation.document_id}" for p in result.passages)
    return f"{result.context}\n\nDocument ids (for get_document / find_similar_practices): {ids}"


def render_document(doc: DocumentResult) -> str:
    about = ", ".join(str(v) for v in (doc.type, ", ".join(doc.states) or "national", doc.sector, doc.year) if v)
    lines = [f"# {doc.title}", f"id {doc.document_id}, version {doc.version} ({about}); {doc.url}"]
    for part in doc.sections:
        where = (part.section or "(untitled)") + (f", p. {part.page}" if part.page else "")
        if part.omitted:
            lines.append(f"\n## {where}\n(omitted: over max_tokens; call again with section=...)")
        else:
            lines.append(f"\n## {where}\n{part.text}")
    if doc.sections_omitted:
        lines.append(f"\n{doc.sections_omitted} of {doc.sections_total} sections omitted to stay within max_tokens.")
    return "\n".join(lines)


def render_facets(result: FacetsResult) -> str:
    lines = [f"{result.total_documents} documents"]
    for name, values in (("states", result.states), ("sectors", result.sectors), ("types", result.types)):
        lines.append(f"{name}: " + (", ".join(f"{v.value} ({v.count})" for v in values) or "none"))
    lines.append("years: " + (", ".join(f"{v.value} ({v.count})" for v in result.years) or "none"))
    return "\n".join(lines)


def render_similar(result: SimilarResult) -> str:
    if not result.results:
        return f"No documents similar to {result.document_id} were found (with these filters)."
    lines = [f"Documents similar to {result.title} ({result.document_id}):"]
    for rank, item in enumerate(result.results, 1):
        where = ", ".join(item.states) or "national"
        lines.append(f"{rank}. {item.title} [{item.type}, {where}, {item.year or 'n.d.'}] id {item.document_id}")
        section = f"§ {item.citation.section}: " if item.citation.section else ""
        lines.append(f"   {section}{item.snippet}")
    return "\n".join(lines)


# -- streamable HTTP inside the API app ---------------------------------------------------------------


class McpEndpoint:
    """ASGI endpoint at ``/mcp`` that forwards to the app's MCP transport once the lifespan built it.

    The transport lives on ``app.state`` rather than in the route so a fresh one is built each time
    the app starts (the SDK's session manager runs once per instance). When reading needs a key
    (``KB_REQUIRE_KEY_FOR_READ``), the same bearer keys as the API are required here.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from search.api.problems import problem  # here: search.api imports this module while it loads

        state = scope["app"].state
        transport = getattr(state, "mcp_http", None)
        if transport is None:
            await problem(503, "Not ready", "the MCP endpoint is starting; retry in a moment")(scope, receive, send)
            return
        if state.settings.require_key_for_read:
            try:
                _check_key(scope, state.catalog)
            except AuthError as exc:
                response = problem(401, exc.title, exc.message, {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await transport(scope, receive, send)


def _check_key(scope: Scope, catalog: Any) -> None:
    headers = dict(scope.get("headers") or [])
    if authenticate(catalog, headers.get(b"authorization", b"").decode("latin-1")) is None:
        raise AuthError("this knowledge base requires an API key: send 'Authorization: Bearer <key>'")


def install_mcp(app: Any) -> None:
    """Route ``/mcp`` (any method) to the MCP endpoint; outside the OpenAPI schema, which is for /v1."""
    app.router.routes.append(Route("/mcp", endpoint=McpEndpoint()))


@asynccontextmanager
async def assistants_lifespan(app: Any) -> AsyncIterator[AssistantService]:
    """Build the assistant service and the MCP transport on ``app.state`` and run the session manager.

    Entered by the API lifespan after the searcher and catalog exist. Stateless JSON: each POST is
    answered on its own, no session to lose when the server restarts or runs several workers. DNS
    rebinding protection is off because the endpoint exposes exactly what ``/v1`` does, under the
    same read rule, and the Host names a deployment uses are not known here.
    """
    state = app.state
    service = AssistantService(state.settings, state.catalog, state.searcher)
    service.warm_up()
    server = build_server(service)
    transport = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    async with server.session_manager.run():
        state.assistant, state.mcp_http = service, transport
        try:
            yield service
        finally:
            state.mcp_http = None
