"""Fixtures for the assistant surfaces: one ingested KB, copied per process that opens it.

The good fixtures are ingested once per session; each consumer (the in-process app, a live ``kb
serve``, a ``kb mcp`` child) gets its own copy, because an embedded KB admits one process at a time.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from search.passages import TokenCounter
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli
from tests.live import serving

PROBLEM = "application/problem+json"


@pytest.fixture(scope="session")
def assistants_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five good fixtures, ingested once; copy it before opening it."""
    kb_dir = tmp_path_factory.mktemp("assistants") / "kb"
    corpus = tmp_path_factory.mktemp("assistants-corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    result = run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir))
    assert result.exit_code == 0, result.output
    return kb_dir


def copy_kb(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def app_kb(assistants_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_kb(assistants_kb, tmp_path_factory.mktemp("app") / "kb")


@pytest.fixture(scope="session")
def client(app_kb: Path) -> Iterator[TestClient]:
    """The real app with its lifespan (model, Edge store, MCP session manager), in process."""
    with TestClient(create_app(Settings(kb_dir=app_kb))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def counter(model_path: str) -> TokenCounter:
    """The tokenizer the budget is counted with (the packaged model's WordPiece)."""
    tokens = TokenCounter(model_path)
    tokens.warm_up()
    return tokens


@pytest.fixture(scope="module")
def live_server(assistants_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kb serve`` in its own process on a free loopback port; yields the base URL."""
    with serving(copy_kb(assistants_kb, tmp_path_factory.mktemp("live") / "kb")) as base:
        yield base


def assert_problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """A problem+json body with the four fields and no stack trace."""
    assert response.headers["content-type"] == PROBLEM, response.text
    if status is not None:
        assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "title", "status", "detail"}
    assert "Traceback" not in body["detail"]
    return body


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_cites(citation: dict[str, Any], detail: dict[str, Any], text: str | None = None, *, base: str = "") -> None:
    """``citation`` names a real document, version and section (``detail`` is GET /v1/documents/{id}).

    Its links start with ``base`` (the address the request came to; '' where links are relative).
    When ``text`` is given (an uncut passage), it must be found in the sections under that heading.
    """
    assert citation["document_id"] == detail["id"]
    assert citation["title"] == detail["title"]
    assert citation["version"] == detail["version"]
    assert detail["url"] == f"/documents/{detail['id']}"
    assert citation["url"] == f"{base}{detail['url']}"
    assert citation["file_url"] == f"{base}/v1/documents/{detail['id']}/file?version={detail['version']}"
    assert citation["type"] == detail["metadata"]["type"]
    assert citation["states"] == detail["metadata"]["states"]
    assert citation["section"] == " › ".join(citation["heading_path"])
    sections = [s for s in detail["sections"] if s["heading_path"] == citation["heading_path"]]
    assert sections, f"no section {citation['heading_path']} in {[s['heading_path'] for s in detail['sections']]}"
    if citation["page"] is not None:
        assert citation["page"] in {s["page"] for s in sections}
    if text is not None:
        assert squash(text) in squash(" ".join(s["text"] for s in sections))
