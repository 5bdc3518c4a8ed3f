"""The domain thesaurus end to end (issue 15 item 2): "how did a state reduce pending land ownership
changes" found PM-KISAN first and the case study that says "Pending mutations fell" far below. Through
the real app (model, Edge store, BM25): the expanded BM25 query puts the case study first (it does not
without the thesaurus), the hybrid results hold it near the top with "mutation" highlighted, and the
API, /v1/retrieve, MCP and the web page all say what was also searched."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from tests.api.test_practice_record import CASE_STUDY
from tests.assistants.test_mcp_contacts import call
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import run_cli

QUERY = "how did a state reduce pending land ownership changes"
CASE = "haryana-sewa-desk"  # "Sewa desks for mutation of land records": mutation, patwari, tehsil
# documents that share the query's plain words (land, ownership, pending, reduce) but not "mutation"
OTHERS = (
    "platforms/pm-kisan.md",
    "case-studies/haryana-meri-fasal-mera-byora.md",
    "platforms/cpgrams.md",
    "case-studies/haryana-cm-window.md",
    "case-studies/haryana-parivar-pehchan-patra.md",
)


@pytest.fixture(scope="module")
def land_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("thesaurus-corpus")
    (corpus / f"{CASE}.md").write_text(CASE_STUDY)
    for name in OTHERS:
        shutil.copy(REPO_ROOT / "content" / name, corpus / Path(name).name)
    kb_dir: Path = tmp_path_factory.mktemp("thesaurus") / "kb"
    assert run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir)).exit_code == 0
    shutil.copytree(kb_dir, kb_dir.parent / "kb-copy")  # for the app without the thesaurus (one app per KB)
    return kb_dir


@pytest.fixture(scope="module")
def client(land_kb: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(kb_dir=land_kb))) as test_client:
        yield test_client


def ranked(body: dict[str, Any]) -> list[str]:
    return [r["document_id"] for r in body["results"]]


def test_the_mutation_case_study_comes_up_and_the_synonyms_are_shown(client: TestClient) -> None:
    sparse = client.get("/v1/search", params={"q": QUERY, "mode": "sparse"}).json()
    assert ranked(sparse)[0] == CASE, ranked(sparse)
    body = client.get("/v1/search", params={"q": QUERY}).json()
    assert CASE in ranked(body)[:3], ranked(body)
    assert {"mutation", "dakhil-kharij", "intiqal"} <= set(body["also_searched"])
    assert "ownership change" not in body["also_searched"]  # the user's own words are not "also" searched
    best = body["results"][ranked(body).index(CASE)]
    assert best["match"] == "strong"
    marked = {best["snippet"][a:b].lower() for a, b in best["highlights"]}
    assert "mutations" in marked or "mutation" in marked, best  # the synonym is highlighted
    posted = client.post("/v1/search", json={"query": QUERY}).json()
    assert posted["also_searched"] == body["also_searched"]


def test_retrieve_and_mcp_cite_the_case_study_and_say_what_was_also_searched(client: TestClient) -> None:
    body = client.post("/v1/retrieve", json={"query": QUERY, "max_passages": 3}).json()
    assert CASE in [p["citation"]["document_id"] for p in body["passages"]], body["passages"]
    assert "mutation" in body["also_searched"] and not body["no_good_match"]
    result, _ = call(client, "search_practices", {"query": QUERY, "max_passages": 3})
    assert result["structuredContent"]["also_searched"] == body["also_searched"]
    text = result["content"][0]["text"]
    assert "Also searched (synonyms): " in text and "dakhil-kharij" in text


def test_the_web_page_says_what_was_also_searched(client: TestClient) -> None:
    page = client.get("/", params={"q": QUERY})
    assert page.status_code == 200
    html = page.text
    assert 'class="also-searched"' in html and "mutation, " in html
    assert f"/documents/{CASE}" in html and re.search(r"<mark>mutations?</mark>", html, re.IGNORECASE), html
    nothing = client.get("/", params={"q": "farmer income support"}).text
    assert 'class="also-searched"' not in nothing  # no term of the thesaurus: nothing claimed


def test_kb_search_says_what_was_also_searched(land_kb: Path) -> None:
    result = run_cli("search", QUERY, "--mode", "sparse", "--kb-dir", str(land_kb.parent / "kb-copy"))
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()[:2]
    assert first.startswith("Also searched: mutation, ") and "dakhil-kharij" in first, first
    assert second.startswith("1. Sewa desks for mutation of land records"), result.output


def test_without_the_thesaurus_the_case_study_is_not_first(land_kb: Path) -> None:
    off = Settings(kb_dir=land_kb.parent / "kb-copy", thesaurus_weight=0)
    with TestClient(create_app(off)) as plain:
        body = plain.get("/v1/search", params={"q": QUERY, "mode": "sparse"}).json()
    assert body["also_searched"] == []
    assert ranked(body)[0] != CASE, ranked(body)  # the plain words favour another document
