"""``POST /v1/retrieve`` through the real app: ordering, dedup, budget, filters, citations, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from search.api import create_app
from search.passages import TokenCounter, header
from tests.api.conftest import bearer, make_keys, wait_for_job
from tests.assistants.conftest import assert_cites, assert_problem, copy_kb, squash
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

TESTSERVER = "http://testserver"  # the address TestClient's requests come to: citation links start with it

QUESTIONS = [
    "How did Haryana set up its grievance portal?",
    "online land records kiosk",
    "what did Kerala and Karnataka agree to share",
    "cyber security patching rules for departments",
]


def retrieve(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/retrieve", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_passages_are_ordered_numbered_and_the_context_cites_them(client: TestClient) -> None:
    body = retrieve(client, query="online land records kiosk", max_tokens=2000)
    passages = body["passages"]
    assert passages and passages[0]["citation"]["document_id"] == "karnataka-bhoomi"
    assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1))
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    position = -1
    for passage in passages:
        block = f"{header(passage['rank'], _citation(passage))}\n{passage['text']}"
        assert block in body["context"]
        assert body["context"].index(block) > position  # same order as the list
        position = body["context"].index(block)
    assert body["context"].startswith("[1] Bhoomi online land records (Karnataka, 2002)")
    assert body["query"] == "online land records kiosk"


def _citation(passage: dict[str, Any]) -> Any:
    from search.passages import Citation

    return Citation.model_validate(passage["citation"])


def test_answers_come_from_the_right_document_and_section(client: TestClient) -> None:
    expectations = {
        "How are citizens kept informed about their grievance in Haryana?": ("haryana-cm-window", ["HOW IT WORKS"]),
        "Who keeps citizen data under the Kerala Karnataka MoU?": (
            "kerala-karnataka-egov-mou",
            ["Clauses", "Clause 2 - Obligations of the Parties"],
        ),
        "how quickly must security patches be applied": ("odisha-cyber-guideline", ["Controls", "Patching"]),
    }
    for question, (document_id, heading_path) in expectations.items():
        passages = retrieve(client, query=question, max_passages=3)["passages"]
        cited = [(p["citation"]["document_id"], p["citation"]["heading_path"]) for p in passages]
        assert (document_id, heading_path) in cited, (question, cited)
        assert passages[0]["citation"]["document_id"] == document_id, (question, cited)


def test_citations_resolve_to_real_documents_versions_and_sections(client: TestClient) -> None:
    for question in QUESTIONS:
        for passage in retrieve(client, query=question, max_tokens=3000)["passages"]:
            citation = passage["citation"]
            detail = client.get(f"/v1/documents/{citation['document_id']}")
            assert detail.status_code == 200
            assert_cites(citation, detail.json(), None if passage["truncated"] else passage["text"], base=TESTSERVER)


def test_no_passage_appears_twice(client: TestClient) -> None:
    for question in QUESTIONS:
        passages = retrieve(client, query=question, max_passages=50, max_tokens=32_000)["passages"]
        chunks = [(p["citation"]["document_id"], p["chunk_index"]) for p in passages]
        texts = [squash(p["text"]).lower() for p in passages]
        assert len(set(chunks)) == len(chunks)
        assert len(set(texts)) == len(texts)
    every = retrieve(client, query="services", max_passages=50, max_tokens=32_000)["passages"]
    assert len(every) > 10  # the whole corpus fits: dedup did not swallow distinct passages


@pytest.mark.parametrize("max_tokens", [100, 137, 256, 500, 1000, 4000])
def test_token_budget_is_never_exceeded(client: TestClient, counter: TokenCounter, max_tokens: int) -> None:
    for question in QUESTIONS:
        body = retrieve(client, query=question, max_tokens=max_tokens, max_passages=50)
        assert body["max_tokens"] == max_tokens
        assert body["total_tokens"] == counter.count(body["context"]) <= max_tokens
        assert "WordPiece" in body["tokenizer"]
        for passage in body["passages"]:
            assert passage["tokens"] == counter.count(passage["text"])
        truncated = [p for p in body["passages"] if p["truncated"]]
        assert len(truncated) <= 1 and (not truncated or truncated[0] is body["passages"][-1])
        if truncated:
            assert truncated[0]["text"].endswith("…")


def test_small_budget_keeps_the_best_passage_cut_at_a_word(client: TestClient) -> None:
    full = retrieve(client, query="How did Haryana set up its grievance portal?", max_tokens=4000)["passages"]
    small = retrieve(client, query="How did Haryana set up its grievance portal?", max_tokens=100)["passages"]
    assert small and small[0]["citation"] == full[0]["citation"]
    assert len(small) <= len(full)
    last = small[-1]
    if last["truncated"]:
        kept = last["text"].removesuffix(" …")
        original = next(p["text"] for p in full if p["citation"] == last["citation"] and p["rank"] == last["rank"])
        assert original.startswith(kept) and original[len(kept)].isspace()


def test_max_passages_is_honoured(client: TestClient) -> None:
    for limit in (1, 2, 5):
        body = retrieve(client, query="services for citizens", max_passages=limit, max_tokens=32_000)
        assert len(body["passages"]) == limit
        assert body["context"].count("\n\n[") == limit - 1


def test_filters_are_honoured(client: TestClient) -> None:
    query = "services for citizens"  # vague on purpose: weak matches too (this is about filters, not the floor)
    by_state = retrieve(client, query=query, include_weak=True, filters={"states": ["Haryana"]}, max_passages=50)[
        "passages"
    ]
    assert by_state and all("Haryana" in p["citation"]["states"] for p in by_state)
    by_alias = retrieve(client, query=query, include_weak=True, filters={"states": ["haryana"]}, max_passages=50)[
        "passages"
    ]
    assert [p["citation"] for p in by_alias] == [p["citation"] for p in by_state]
    mous = retrieve(client, query=query, include_weak=True, filters={"type": "mou"}, max_passages=50)["passages"]
    assert mous and {p["citation"]["document_id"] for p in mous} == {"kerala-karnataka-egov-mou"}
    recent = retrieve(client, query=query, include_weak=True, filters={"year_from": 2019, "year_to": 2021})["passages"]
    assert recent and all(2019 <= p["citation"]["year"] <= 2021 for p in recent)
    sector = retrieve(client, query=query, include_weak=True, filters={"sector": "land_records"})["passages"]
    assert sector and all(p["citation"]["sector"] == "land_records" for p in sector)
    both = retrieve(client, query=query, include_weak=True, filters={"states": ["Karnataka"], "type": "case_study"})[
        "passages"
    ]
    assert {p["citation"]["document_id"] for p in both} == {"karnataka-bhoomi"}
    nothing = retrieve(client, query=query, include_weak=True, filters={"states": ["Jammu and Kashmir"]})
    assert nothing["passages"] == [] and nothing["context"] == "" and nothing["total_tokens"] == 0


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"query": "   "}, 400, "the query is empty"),
        ({"query": "x" * 5000}, 400, "limit is"),
        ({"query": "land", "max_tokens": 0}, 422, "max_tokens"),
        ({"query": "land", "max_tokens": 10**9}, 422, "max_tokens"),
        ({"query": "land", "max_passages": 0}, 422, "max_passages"),
        ({"query": "land", "filters": {"district": "Gurugram"}}, 422, "filters.district"),
        ({"query": "land", "filters": {"sector": "helth"}}, 422, "did you mean 'health'"),
        ({"query": "land", "filters": {"states": ["Hariyana"]}}, 422, "Haryana"),
        ({"query": "land", "top_k": 3}, 422, "top_k"),
        ({"max_tokens": 500}, 422, "query: required"),
    ],
)
def test_bad_input_is_a_problem_document(client: TestClient, body: dict[str, Any], status: int, words: str) -> None:
    problem = assert_problem(client.post("/v1/retrieve", json=body), status)
    assert words in problem["detail"]


def test_openapi_documents_the_endpoint_with_examples(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/retrieve"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"question", "filtered"} <= set(examples)
    for example in examples.values():
        assert client.post("/v1/retrieve", json=example["value"]).status_code == 200


def test_citations_follow_a_new_version(assistants_kb: Path, tmp_path: Path) -> None:
    """A new version (new text and title) is what passages cite: version, title, file of that version."""
    kb_dir = copy_kb(assistants_kb, tmp_path / "kb")
    admin = bearer(make_keys(kb_dir)["admin"])
    note = (FIXTURES / "good" / "cm-window-note.txt").read_text()
    escalation_text = "Unresolved grievances escalate to the Chief Secretary after 30 days."
    changed = f"{note}\nEscalation\n----------\n\n{escalation_text}\n"
    metadata = {"title": "CM Window (second edition)"}
    with TestClient(create_app(Settings(kb_dir=kb_dir))) as app:
        response = app.put(
            "/v1/documents/haryana-cm-window",
            files={"file": ("cm-window-note.txt", changed.encode(), "text/plain")},
            data={"metadata": json.dumps(metadata)},
            headers=admin,
        )
        assert response.status_code == 202, response.text
        assert wait_for_job(app, response.json(), admin)["status"] == "done"
        body = retrieve(app, query="How are citizens kept informed about their grievance in Haryana?", max_tokens=4000)
        cm_window = [p for p in body["passages"] if p["citation"]["document_id"] == "haryana-cm-window"]
        assert cm_window and all(p["citation"]["version"] == 2 for p in cm_window)
        detail = app.get("/v1/documents/haryana-cm-window").json()
        for passage in cm_window:
            assert_cites(passage["citation"], detail, passage["text"], base=TESTSERVER)
            assert passage["citation"]["title"] == "CM Window (second edition)"
        escalation = retrieve(app, query="escalate unresolved grievances to the Chief Secretary", max_passages=1)
        assert escalation["passages"][0]["citation"]["heading_path"] == ["Escalation"]
        assert app.get(escalation["passages"][0]["citation"]["file_url"]).text == changed
        retitled = app.put(
            "/v1/documents/haryana-cm-window",
            data={"metadata": json.dumps({"title": "CM Window (third edition)"})},
            headers=admin,
        )
        assert wait_for_job(app, retitled.json(), admin)["status"] == "done"
        again = retrieve(app, query="escalate unresolved grievances to the Chief Secretary", max_passages=1)
        citation = again["passages"][0]["citation"]
        assert (citation["version"], citation["title"]) == (3, "CM Window (third edition)")  # metadata-only change
