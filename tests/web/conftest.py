"""Web UI fixtures: one ingested KB per session (the good fixtures plus tests/web/docs, one in Hindi),
copied for each consumer because the embedded index admits one process-wide opener at a time.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import make_keys
from tests.conftest import FIXTURES, REPO_ROOT
from tests.e2e.conftest import run_cli

WEB_DOCS = Path(__file__).parent / "docs"
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
DOCUMENT_COUNT = 13  # 5 good fixtures + 8 in tests/web/docs (one without states or level)


@pytest.fixture(scope="session")
def web_kb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KB with every test document ingested once; copy it before opening it."""
    kb_dir = tmp_path_factory.mktemp("web-template") / "kb"
    corpus = tmp_path_factory.mktemp("web-corpus")
    shutil.copytree(FIXTURES / "good", corpus / "good")
    shutil.copytree(WEB_DOCS, corpus / "web")
    result = run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir))
    assert result.exit_code == 0, result.output
    return kb_dir


def copy_kb(template: Path, target: Path) -> tuple[Path, dict[str, str]]:
    """A private copy of the template KB with fresh keys (admin, haryana, jk)."""
    kb_dir = target / "kb"
    shutil.copytree(template, kb_dir)
    return kb_dir, make_keys(kb_dir)


@pytest.fixture(scope="module")
def web_kb(web_kb_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return copy_kb(web_kb_template, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def web_keys(web_kb: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return web_kb[1]


@pytest.fixture(scope="module")
def web(web_kb: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    """The real app (API + pages) over the module's KB copy."""
    with TestClient(create_app(Settings(kb_dir=web_kb[0]))) as client:
        yield client
