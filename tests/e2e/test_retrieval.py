"""Search behaviour beyond the happy path: grouping, snippets, facets, similar, odd queries, eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.evaluation import mrr_at, ndcg_at, recall_at
from search.snippets import make_snippet, query_terms
from tests.e2e.conftest import run_cli, run_json


def test_one_result_per_document_with_passages_and_highlights(indexed_kb: Path) -> None:
    body = run_json("search", "grievances of citizens sent to the Chief Minister", "--kb-dir", str(indexed_kb))
    ids = [r["document_id"] for r in body["results"]]
    assert len(ids) == len(set(ids))
    top = body["results"][0]
    assert top["document_id"] == "haryana-cm-window"
    assert 1 <= len(top["passages"]) <= 3
    marked = [top["snippet"][a:b].lower() for a, b in top["highlights"]]
    assert marked and all(
        any(t in m or m.startswith(t[:4]) for t in ("grievances", "chief", "minister", "citizens")) for m in marked
    )
    facet_states = {f["value"]: f["count"] for f in body["facets"]["states"]}
    assert facet_states["Haryana"] == 2
    assert sum(f["count"] for f in body["facets"]["type"]) == body["total"]


@pytest.mark.parametrize("query", ["the of and", "हरियाणा में शिकायत निवारण", "Antyodaya SARAL"])
def test_odd_queries_do_not_crash(indexed_kb: Path, query: str) -> None:
    result = run_cli("search", query, "--json", "--kb-dir", str(indexed_kb))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]


def test_exact_names_rank_first_in_sparse_and_hybrid(indexed_kb: Path) -> None:
    for mode in ("sparse", "hybrid"):
        body = run_json("search", "Antyodaya SARAL", "--mode", mode, "--kb-dir", str(indexed_kb))
        assert body["results"][0]["document_id"] == "haryana-saral-report", mode


def test_long_query_is_refused_with_the_limit(indexed_kb: Path) -> None:
    result = run_cli("search", "land " * 2_000, "--kb-dir", str(indexed_kb))
    assert result.exit_code == 1
    assert "the limit is" in result.stderr


def test_eval_reports_metrics_per_mode_and_kind(indexed_kb: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    lines = [
        {"q": "Bhoomi", "relevant": ["karnataka-bhoomi"], "kind": "exact"},
        {"q": "complaints to the chief minister", "relevant": ["haryana-cm-window"], "kind": "paraphrase"},
        {"q": "single window for services", "relevant": ["haryana-saral-report"], "kind": "filtered",
         "filters": {"state": ["Haryana"], "year_from": 2015}},
    ]  # fmt: skip
    queries.write_text("\n".join(json.dumps(line) for line in lines))
    single = run_json("eval", str(queries), "--kb-dir", str(indexed_kb))
    assert set(single) == {"overall", "by_kind"}
    assert set(single["overall"]) == {"recall@5", "recall@10", "mrr@10", "ndcg@10", "answered", "queries"}
    assert single["overall"]["answered"] == 1.0  # every query here has a good match above the floor
    assert single["overall"]["queries"] == 3 and set(single["by_kind"]) == {"exact", "paraphrase", "filtered"}
    assert single["overall"]["recall@10"] == 1.0
    several = run_json("eval", str(queries), "--mode", "dense", "--mode", "sparse", "--kb-dir", str(indexed_kb))
    assert set(several["modes"]) == {"dense", "sparse"}
    table = run_cli("eval", str(queries), "--kb-dir", str(indexed_kb))
    assert "nDCG@10" in table.stdout and "overall" in table.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "x", "relevant": ["a"], "filters": {"sector": "helth"}}\n')
    failed = run_cli("eval", str(bad), "--kb-dir", str(indexed_kb))
    assert failed.exit_code == 1 and "bad.jsonl:1: invalid filter sector" in failed.stderr


def test_metric_definitions() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"c": 1, "z": 1}, 5) == 0.5
    assert mrr_at(ranked, {"c": 1}, 10) == pytest.approx(1 / 3)
    assert ndcg_at(["c", "a"], {"c": 1}, 10) == 1.0
    assert ndcg_at(["a", "c"], {"c": 1}, 10) == pytest.approx(1 / 1.5849625)


def test_snippet_window_centres_on_query_terms() -> None:
    text = "Filler sentence. " * 40 + "Mutation pendency fell after online mutation." + " More filler." * 40
    snippet, spans = make_snippet(text, query_terms("how to cut mutation pendency"), width=120)
    assert len(snippet) <= 122 and snippet.startswith("…") and snippet.endswith("…")
    assert [snippet[a:b] for a, b in spans] == ["Mutation", "pendency", "mutation"]


def test_eval_on_a_beir_folder_indexes_it_with_the_product_pipeline(tmp_path: Path) -> None:
    import gzip

    beir = tmp_path / "tiny-beir"
    beir.mkdir()
    corpus = [
        {"_id": "d1", "title": "Land records", "text": "Computerised land records issued at taluk kiosks."},
        {"_id": "d2", "title": "Grievances", "text": "Citizens file complaints with the Chief Minister's office."},
        {"_id": "d3", "title": "Weather", "text": "Flood warnings are sent by SMS to every household."},
    ]
    with gzip.open(beir / "corpus.jsonl.gz", "wt") as handle:
        handle.write("\n".join(json.dumps(row) for row in corpus))
    (beir / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "RTC copies from kiosks"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "flood SMS alerts"})
    )
    (beir / "qrels-test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    report = run_json("eval", str(beir), "--kb-dir", str(tmp_path / "kb"))
    assert report["overall"]["queries"] == 2
    assert report["overall"]["recall@5"] == 1.0
    assert not (tmp_path / "kb" / "index").exists()  # the benchmark never touches the real KB


def test_query_pipeline_ranks_like_the_searcher(indexed_kb: Path) -> None:
    from kb.settings import Settings
    from kb.store import open_store
    from search.components import build_query_pipeline
    from search.retrieval import Searcher
    from search.schemas import SearchFilters

    settings = Settings(kb_dir=indexed_kb)
    query = "online land records at kiosks"
    with open_store(settings) as store:
        pipeline = build_query_pipeline(settings, store)
        inputs = {"dense": {"text": query}, "sparse": {"text": query}}
        if settings.e5_vector:  # the default minilm+e5: three-way fusion, as the Searcher sends it
            inputs["e5"] = {"text": query}
        output = pipeline.run(inputs)
        searcher = Searcher(settings, store)
        searcher.warm_up()
        expected = [hit.document.id for hit in searcher.candidates(query, SearchFilters())]
    documents = output["retriever"]["documents"]
    assert [d.id for d in documents] == expected
    assert documents[0].meta["document_id"] == "karnataka-bhoomi" and documents[0].score is not None
