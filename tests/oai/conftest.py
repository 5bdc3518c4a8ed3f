"""OAI-PMH and feed fixtures: one small KB (tests/fixtures/good) with one document withdrawn.

Built once for the package; tests read it (through TestClient or a live ``kb serve``) and never
change it, so the expected records below hold everywhere.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from kb.settings import Settings
from search.api import create_app
from tests.api.conftest import bearer, make_keys
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
WITHDRAWN = "odisha-cyber-guideline"
LIVE = {"karnataka-bhoomi", "haryana-cm-window", "haryana-saral-report", "kerala-karnataka-egov-mou"}
SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "oai" / "harvest.xsd")))


def valid(xml: bytes) -> etree._Element:
    """Parse a response and validate it against OAI-PMH.xsd + oai_dc.xsd (strict on metadata)."""
    root = etree.fromstring(xml)
    SCHEMA.assertValid(root)
    return root


@pytest.fixture(scope="package")
def oai_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kb_dir = tmp_path_factory.mktemp("oai") / "kb"
    corpus = tmp_path_factory.mktemp("oai-corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    assert run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir)).exit_code == 0
    admin = make_keys(kb_dir)["admin"]
    with TestClient(create_app(Settings(kb_dir=kb_dir))) as client:
        assert client.delete(f"/v1/documents/{WITHDRAWN}", headers=bearer(admin)).status_code == 200
    return kb_dir


@pytest.fixture(scope="module")
def oai_client(oai_kb: Path) -> Iterator[TestClient]:
    settings = Settings(kb_dir=oai_kb, oai_page_size=2, oai_repository_id="exchange.test")
    with TestClient(create_app(settings)) as client:
        yield client
