"""MCP over stdio: the SDK's client spawns ``kb mcp --kb-dir`` as a desktop client would.

Spawning loads the model (seconds), so one session asks every question and the tests below check
the answers it collected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mcp import ClientSession
from mcp_types import CallToolResult, ListToolsResult

from search.passages import TokenCounter
from tests.assistants import checks
from tests.assistants.conftest import copy_kb
from tests.assistants.mcp_client import over_stdio
from tests.e2e.conftest import run_kb_process

pytestmark = pytest.mark.slow

RELATIVE = ""  # over stdio there is no request to take an address from: links stay relative


@dataclass
class Transcript:
    listing: ListToolsResult
    results: dict[str, CallToolResult]
    errors: list[CallToolResult]
    stderr: str
    stderr_when_listed: str  # what kb mcp had logged when initialize and tools/list were answered


@pytest.fixture(scope="module")
def transcript(assistants_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    kb_dir = copy_kb(assistants_kb, tmp_path_factory.mktemp("stdio") / "kb")
    named = {
        "search": checks.SEARCH,
        "search_filtered": checks.SEARCH_FILTERED,
        "document": checks.DOCUMENT,
        "document_section": checks.DOCUMENT_SECTION,
        "facets": checks.FACETS,
        "facets_filtered": checks.FACETS_FILTERED,
        "similar": checks.SIMILAR,
    }

    async def scenario(session: ClientSession) -> Transcript:
        listing = await session.list_tools()
        when_listed = log_path.read_text()
        results = {key: await session.call_tool(name, args) for key, (name, args) in named.items()}
        errors = [await session.call_tool(name, args) for (name, args), _ in checks.ERRORS]
        return Transcript(listing, results, errors, "", when_listed)

    log_path = kb_dir.parent / "stderr.log"
    with log_path.open("w") as errlog:
        transcript = over_stdio(kb_dir, scenario, errlog=errlog)
    transcript.stderr = log_path.read_text()
    return transcript


def test_lists_the_read_only_tools(transcript: Transcript) -> None:
    checks.check_listing(transcript.listing)


def test_initialize_and_tools_list_are_answered_before_the_model_is_loaded(transcript: Transcript) -> None:
    """The KB opens and the model loads in the background (issue 16: 18 s to ``initialize`` under
    load when they came first): when the listing arrived kb mcp had not yet said it was ready; the tool
    calls after it waited for the KB and the model and were answered (the other tests check them)."""
    assert "kb mcp: ready" not in transcript.stderr_when_listed
    assert "KB_PUBLIC_URL is not set" in transcript.stderr_when_listed  # it had started
    assert transcript.stderr.count("kb mcp: serving 5 documents") == 1
    assert transcript.stderr.count("kb mcp: ready (search model loaded)") == 1


def test_search_practices(transcript: Transcript, client: TestClient, counter: TokenCounter) -> None:
    checks.check_search_answers(transcript.results["search"], client, counter, RELATIVE)
    checks.check_search_filtered(transcript.results["search_filtered"], client, counter, RELATIVE)


def test_get_document(transcript: Transcript, client: TestClient) -> None:
    checks.check_document(transcript.results["document"], client, RELATIVE)
    checks.check_document_section(transcript.results["document_section"])


def test_list_facets(transcript: Transcript, client: TestClient) -> None:
    checks.check_facets(transcript.results["facets"], client)
    checks.check_facets_filtered(transcript.results["facets_filtered"])


def test_find_similar_practices(transcript: Transcript, client: TestClient) -> None:
    checks.check_similar(transcript.results["similar"], client, RELATIVE)


def test_mistakes_are_tool_errors(transcript: Transcript) -> None:
    for result, (_, words) in zip(transcript.errors, checks.ERRORS, strict=True):
        checks.check_error(result, words)


def test_logs_go_to_stderr_not_the_protocol_stream(transcript: Transcript) -> None:
    # stdout carried only JSON-RPC (or the client would have failed); the banner went to stderr
    assert "kb mcp: serving 5 documents" in transcript.stderr


def test_a_kb_held_by_a_server_is_refused_with_directions(client: TestClient, app_kb: Path) -> None:
    result = run_kb_process("mcp", "--kb-dir", str(app_kb), timeout=120)  # `client` holds app_kb open
    assert result.returncode == 1
    assert result.stdout == ""
    error = result.stderr.strip().splitlines()[-1]  # after kb mcp's notes (e.g. that links will be relative)
    assert error.startswith("Error: ") and "in use by another process" in error
    assert "/mcp" in error and "Traceback" not in result.stderr
