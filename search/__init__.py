"""Finding practices: the engine (hybrid retrieval, snippets, passages, facets, evaluation), the
service layer every front door calls (:mod:`search.services`), the front doors (the CLI
:mod:`search.cli`, the HTTP API :mod:`search.api`, the web UI :mod:`search.web`, MCP
:mod:`search.mcp`, OAI-PMH :mod:`search.oai`) and operations (:mod:`search.operations`: jobs,
reindex, remote ingest). The house is drawn in docs/architecture.md.

The public surface is ``__all__`` (pinned by ``tests/test_exported_members.py``). The names are
loaded on first use, so ``import search`` (and the CLI) starts without torch.
"""

import typing as _typing

from kb.exports import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from search.api import create_app
    from search.assistant import AssistantService
    from search.passages import Citation, RetrieveRequest, RetrieveResponse
    from search.retrieval import Searcher
    from search.schemas import SearchFilters, SearchRequest, SearchResponse, SearchResult
    from search.services.documents import Documents

_WHERE = {
    "AssistantService": "search.assistant",
    "Citation": "search.passages",
    "Documents": "search.services.documents",
    "RetrieveRequest": "search.passages",
    "RetrieveResponse": "search.passages",
    "SearchFilters": "search.schemas",
    "SearchRequest": "search.schemas",
    "SearchResponse": "search.schemas",
    "SearchResult": "search.schemas",
    "Searcher": "search.retrieval",
    "create_app": "search.api",
}

__all__ = [
    "AssistantService",
    "Citation",
    "Documents",
    "RetrieveRequest",
    "RetrieveResponse",
    "SearchFilters",
    "SearchRequest",
    "SearchResponse",
    "SearchResult",
    "Searcher",
    "create_app",
]


__getattr__, __dir__ = _lazy_exports(__name__, _WHERE)
