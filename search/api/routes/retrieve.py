"""``POST /v1/retrieve``: passages with citations for chat assistants, within a token budget.

The body and response models live in :mod:`search.passages` because the MCP ``search_practices`` tool
returns the very same objects; this module adds the HTTP surface and the OpenAPI examples that
``docs/retrieve-function.json`` (an OpenAI-style function schema) is checked against.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from search.api.deps import ReaderKey
from search.api.schemas import problem_responses
from search.assistant import AssistantService
from search.passages import RetrieveRequest, RetrieveResponse
from search.services.access import Viewer

router = APIRouter(prefix="/v1", tags=["assistants"])

EXAMPLES: dict[str, Any] = {
    "question": {
        "summary": "A question, whole knowledge base",
        "value": {"query": "How did Haryana set up its CM Window grievance portal?", "max_tokens": 1200},
    },
    "filtered": {
        "summary": "Only MoUs involving Jammu and Kashmir",
        "value": {
            "query": "what did the states agree to learn from each other",
            "filters": {"states": ["J&K"], "type": "mou"},
            "max_passages": 5,
            "max_tokens": 800,
        },
    },
}


def get_assistant(request: Request) -> AssistantService:
    return request.app.state.assistant


AssistantDep = Annotated[AssistantService, Depends(get_assistant)]


@router.post(
    "/retrieve",
    response_model=RetrieveResponse,
    summary="Passages with citations for an assistant's prompt",
    responses=problem_responses(400, 401, 422, 429, s400="Empty or too long query", s422="Invalid body or filter"),
)
def retrieve(
    request: Request,
    assistant: AssistantDep,
    key: ReaderKey,
    body: Annotated[RetrieveRequest, Body(openapi_examples=EXAMPLES)],
) -> RetrieveResponse:
    """The passages that best answer `query`, best first and deduplicated, within `max_tokens`.

    Each passage has a citation (document id, title, type, states, section path, page, version, URLs).
    `context` holds the same passages as numbered blocks ready to paste into a prompt; its token count
    (`total_tokens`, WordPiece tokenizer of all-MiniLM-L6-v2) never exceeds `max_tokens`.
    Citation links are absolute: `KB_PUBLIC_URL` when the server sets it, else this request's own address.
    """
    # the request's base (scheme, host, root_path) so an assistant can show a link that works
    return assistant.retrieve(body, base_url=str(request.base_url), viewer=Viewer.of(key), surface="assistant")
