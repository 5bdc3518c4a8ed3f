"""Indian languages by default: KB_DENSE_MODEL=minilm+e5 (MiniLM and e5 vectors per chunk, e5's
from the document's lead for English chunks), the other dense models, the relevance floor across
languages, and what happens to an index built with another model (issue 15, item 3)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from kb.e5 import E5DocumentEmbedder, document_lead, embed_leads
from kb.settings import Settings
from kb.store import open_store
from search.retrieval import Searcher
from search.schemas import SearchRequest
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli, run_json, run_kb_process

MULTILINGUAL = "minilm+e5"

# A Hindi case study on a topic no English fixture covers, with no word in common with the English
# query below: only a dense model that reads Hindi can bring the two together.
MIDDAY_MEAL_HI = """---
id: up-mdm-nigrani-hi
title: "मध्याह्न भोजन की रोज़ की निगरानी"
type: case_study
states: [Uttar Pradesh]
sector: education
year: 2019
language: hi
---
# मध्याह्न भोजन की रोज़ की निगरानी

## सारांश

उत्तर प्रदेश के सरकारी विद्यालयों में प्रधानाध्यापक हर दिन मोबाइल से बताते हैं कि कितने बच्चों ने
दोपहर का भोजन खाया। ज़िला अधिकारी उसी दिन देख लेते हैं कि किस विद्यालय में भोजन नहीं बना, और
रसोइयों के मानदेय तथा अनाज का हिसाब इन्हीं आँकड़ों से होता है।
"""


@pytest.fixture(scope="module")
def multilingual_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixtures plus a Hindi case study, ingested once with the default settings."""
    corpus = tmp_path_factory.mktemp("corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    (corpus / "mdm-nigrani.md").write_text(MIDDAY_MEAL_HI, encoding="utf-8")
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("KB_DENSE_MODEL", raising=False)
        assert run_json("ingest", str(corpus), "--kb-dir", str(kb_dir))["added"] == 6
    return kb_dir


@pytest.fixture
def multilingual(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default settings (minilm+e5): no KB_DENSE_MODEL in the environment."""
    monkeypatch.delenv("KB_DENSE_MODEL", raising=False)


def _ids(kb_dir: Path, query: str, *options: str) -> list[str]:
    return [r["document_id"] for r in run_json("search", query, "--kb-dir", str(kb_dir), *options)["results"]]


def test_the_index_holds_both_models(multilingual_kb: Path, multilingual: None) -> None:
    stats = run_json("stats", "--kb-dir", str(multilingual_kb))
    assert stats["backend"]["dense_vectors"] == ["dense", "e5"]
    assert stats["index_model"] == stats["dense_model"]
    assert "all-MiniLM-L6-v2" in stats["index_model"] and "multilingual-e5-small" in stats["index_model"]


def test_english_chunks_share_their_documents_lead_vector_and_hindi_ones_have_their_own(
    multilingual_kb: Path, multilingual: None
) -> None:
    """KB_E5_SCOPE=document: e5 reads an English document once (title and first 128 tokens), every
    chunk of it carries that vector; a chunk in Devanagari gets e5's vector of its own text. The
    lead travels with the chunks while they are embedded and is never stored."""
    settings = Settings(kb_dir=multilingual_kb)
    with open_store(settings) as store:
        chunks = store.scroll(None, with_vectors=True)
    by_document: dict[str, list[Document]] = {}
    for chunk in chunks:
        assert not any(key.startswith("_") for key in chunk.meta)  # the transient lead is not in the payload
        by_document.setdefault(chunk.meta["document_id"], []).append(chunk)
    english = sorted(by_document["karnataka-bhoomi"], key=lambda c: c.meta["chunk_index"])
    assert len(english) > 1
    lead = np.array(embed_leads([document_lead(english[0].meta["title"], [c.content or "" for c in english])], 128)[0])
    for chunk in english:
        vector = np.array(chunk.embedding)
        assert vector.shape == (768,)
        assert float(vector[384:] @ lead) > 0.9999  # the document's lead, not the chunk's own text
    hindi = by_document["up-mdm-nigrani-hi"][0]
    own = E5DocumentEmbedder(meta_fields_to_embed=["context"]).run(documents=[hindi])["documents"][0].embedding
    assert float(np.array(hindi.embedding)[384:] @ np.array(own)) > 0.9999


def test_an_edit_at_the_start_moves_the_e5_vector_of_unchanged_chunks(tmp_path: Path, multilingual: None) -> None:
    """Unchanged chunks keep their stored MiniLM vector but take the document's new lead: e5 must not
    describe the document as it was before the edit."""
    detail = "Detail {} of the district roll-out. "
    sections = "\n\n".join(f"## Step {n}\n\n" + detail.format(n) * 40 for n in range(4))
    page = tmp_path / "corpus" / "rollout.md"
    page.parent.mkdir()
    front = "---\nid: rollout\ntitle: District roll-out\ntype: guideline\nstates: [Haryana]\n---\n"
    page.write_text(front + "Mutations are decided online.\n\n" + sections, encoding="utf-8")
    kb_dir = tmp_path / "kb"
    assert run_json("ingest", str(page.parent), "--kb-dir", str(kb_dir))["added"] == 1

    def last_chunk() -> Document:
        with open_store(Settings(kb_dir=kb_dir)) as store:
            return max(store.scroll(None, with_vectors=True), key=lambda c: c.meta["chunk_index"])

    before = last_chunk()
    page.write_text(front + "Water connections are sanctioned by SMS.\n\n" + sections, encoding="utf-8")
    assert run_json("ingest", str(page.parent), "--kb-dir", str(kb_dir))["updated"] == 1
    after = last_chunk()
    assert after.id == before.id and after.content == before.content  # the same chunk, reused
    old, new = np.array(before.embedding), np.array(after.embedding)
    assert float(old[:384] @ new[:384]) > 0.9999  # MiniLM's vector of its unchanged text
    assert float(old[384:] @ new[384:]) < 0.999  # e5's follows the new lead


def test_the_floor_judges_across_languages_with_e5(multilingual_kb: Path, multilingual: None) -> None:
    """MiniLM's cosine of Hindi is noise: where the query or the document is in an Indian script the
    floor reads e5's cosine (KB_MATCH_FLOOR_E5), so a Hindi question answered by an English case study
    is a strong match, an English one answered by a Hindi case study too, and a Hindi question on
    cooking is no good match."""
    hindi = run_json("search", "किसानों के लिए ऑनलाइन भूमि अभिलेख", "--kb-dir", str(multilingual_kb))
    assert hindi["no_good_match"] is False
    assert (hindi["results"][0]["document_id"], hindi["results"][0]["match"]) == ("karnataka-bhoomi", "strong")
    english = run_json("search", "mid-day meal monitoring in schools", "--kb-dir", str(multilingual_kb))
    assert {r["document_id"]: r["match"] for r in english["results"]}["up-mdm-nigrani-hi"] == "strong"
    cooking = run_json("search", "पनीर बटर मसाला बनाने की विधि", "--kb-dir", str(multilingual_kb))
    assert cooking["no_good_match"] is True and all(r["match"] == "weak" for r in cooking["results"])


def test_hindi_questions_find_english_practices(multilingual_kb: Path, multilingual: None) -> None:
    assert _ids(multilingual_kb, "किसानों के लिए ऑनलाइन भूमि अभिलेख")[0] == "karnataka-bhoomi"
    assert _ids(multilingual_kb, "मुख्यमंत्री को शिकायत")[0] == "haryana-cm-window"
    assert _ids(multilingual_kb, "मुख्यमंत्री को शिकायत", "--mode", "dense")[0] == "haryana-cm-window"


def test_english_questions_find_a_hindi_practice(multilingual_kb: Path, multilingual: None) -> None:
    """e5 ranks the Hindi case study first; fused with MiniLM and BM25 (which cannot read it) it stays
    near the top rather than first (docs/search-quality.md, "Indian languages by default")."""
    query = "mid-day meal monitoring in schools"
    assert "up-mdm-nigrani-hi" in _ids(multilingual_kb, query)[:2]
    assert "up-mdm-nigrani-hi" not in _ids(multilingual_kb, query, "--mode", "sparse")  # no shared word: e5 found it


def test_english_questions_still_rank_english_practices_first(multilingual_kb: Path, multilingual: None) -> None:
    assert _ids(multilingual_kb, "online land records at kiosks")[0] == "karnataka-bhoomi"


def test_with_minilm_alone_hindi_reaches_english_only_through_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KB_DENSE_MODEL=minilm (English only, fastest) stays an option; the cost is the Hindi bridge."""
    monkeypatch.setenv("KB_DENSE_MODEL", "minilm")
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    (corpus / "mdm-nigrani.md").write_text(MIDDAY_MEAL_HI, encoding="utf-8")
    kb_dir = tmp_path / "kb"
    assert run_json("ingest", str(corpus), "--kb-dir", str(kb_dir))["added"] == 6
    assert run_json("stats", "--kb-dir", str(kb_dir))["backend"]["dense_vectors"] == ["dense"]
    assert "up-mdm-nigrani-hi" not in _ids(kb_dir, "mid-day meal monitoring in schools")[:2]


def test_an_index_built_under_the_earlier_default_keeps_working_until_reindex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exchange upgraded from the MiniLM-only default, KB_DENSE_MODEL unset: search and ingest go on
    with MiniLM and say how to add Indian languages; `kb reindex` then builds both vectors."""
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    kb_dir = str(tmp_path / "kb")
    built = run_kb_process("ingest", str(corpus), "--kb-dir", kb_dir, env={"KB_DENSE_MODEL": "minilm"})
    assert built.returncode == 0, built.stderr
    monkeypatch.delenv("KB_DENSE_MODEL", raising=False)  # run_kb_process passes os.environ on
    unset: dict[str, str] = {}
    searched = run_kb_process("search", "land records", "--kb-dir", kb_dir, "--json", env=unset)
    assert searched.returncode == 0, searched.stderr
    assert "keeps that model" in searched.stderr and "kb reindex" in searched.stderr
    (corpus / "mdm-nigrani.md").write_text(MIDDAY_MEAL_HI, encoding="utf-8")
    added = run_kb_process("ingest", str(corpus), "--kb-dir", kb_dir, env=unset)
    assert added.returncode == 0, added.stderr
    assert run_kb_process("reindex", "--kb-dir", kb_dir, env=unset).returncode == 0
    stats = run_kb_process("stats", "--kb-dir", kb_dir, "--json", env=unset)
    assert '"e5"' in stats.stdout and "differs" not in stats.stdout


def test_an_index_from_before_the_catalog_recorded_its_model_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first KBs recorded no model: a single-vector index without a record was built with MiniLM."""
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    kb_dir = tmp_path / "kb"
    built = run_kb_process("ingest", str(corpus), "--kb-dir", str(kb_dir), env={"KB_DENSE_MODEL": "minilm"})
    assert built.returncode == 0, built.stderr
    with sqlite3.connect(kb_dir / "catalog.sqlite") as db:  # as a KB of the first round has it
        db.execute("DELETE FROM properties WHERE name = 'index_model'")
    monkeypatch.delenv("KB_DENSE_MODEL", raising=False)
    searched = run_kb_process("search", "online land records at kiosks", "--kb-dir", str(kb_dir), "--json")
    assert searched.returncode == 0, searched.stderr
    assert json.loads(searched.stdout)["results"][0]["document_id"] == "karnataka-bhoomi"
    assert "built with sentence-transformers/all-MiniLM-L6-v2" in searched.stderr and "kb reindex" in searched.stderr


def test_an_old_single_vector_kb_is_refused_until_reindex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A single-vector KB (built with MiniLM alone) under an explicit KB_DENSE_MODEL=minilm+e5: nothing
    is lost, search and ingest say to run `kb reindex`, `kb stats` shows both models, and reindex
    builds the two-vector layout."""
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    kb_dir = str(tmp_path / "kb")
    monkeypatch.setenv("KB_DENSE_MODEL", "minilm")
    assert run_cli("ingest", str(corpus), "--kb-dir", kb_dir).exit_code == 0
    monkeypatch.setenv("KB_DENSE_MODEL", MULTILINGUAL)
    refused = run_cli("search", "land records", "--kb-dir", kb_dir)
    assert refused.exit_code == 1
    assert "built with sentence-transformers/all-MiniLM-L6-v2 but" in refused.stderr
    assert "kb reindex" in refused.stderr and "Traceback" not in refused.output
    assert run_cli("ingest", str(corpus), "--kb-dir", kb_dir).exit_code == 1
    shown = run_cli("stats", "--kb-dir", kb_dir)
    assert shown.exit_code == 0 and "differs: run `kb reindex`" in shown.stdout
    assert run_json("stats", "--kb-dir", kb_dir)["backend"]["dense_vectors"] == ["dense"]
    assert run_cli("reindex", "--kb-dir", kb_dir).exit_code == 0
    stats = run_json("stats", "--kb-dir", kb_dir)
    assert stats["backend"]["dense_vectors"] == ["dense", "e5"] and stats["documents"] == 5
    assert _ids(Path(kb_dir), "किसानों के लिए ऑनलाइन भूमि अभिलेख")[0] == "karnataka-bhoomi"


def test_e5_alone_is_still_an_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DENSE_MODEL", "multilingual-e5-small")
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    kb_dir = tmp_path / "kb"
    assert run_json("ingest", str(corpus), "--kb-dir", str(kb_dir))["added"] == 5
    assert _ids(kb_dir, "किसानों के लिए ऑनलाइन भूमि अभिलेख")[0] == "karnataka-bhoomi"
    assert _ids(kb_dir, "मुख्यमंत्री को शिकायत", "--mode", "dense")[0] == "haryana-cm-window"


def _e5_vectors_made(searcher: Searcher) -> int:
    return sum(1 for (_, _, text) in searcher.query_cache._entries if text.startswith("\x00e5\x00"))


def test_an_english_query_costs_an_e5_vector_only_where_chunks_in_indian_scripts_exist(
    multilingual_kb: Path, tmp_path: Path, multilingual: None
) -> None:
    """Beside MiniLM, e5 searches only chunks in an Indian script: in an English-only exchange an
    English query makes no e5 vector (10-20 ms of CPU); where a Hindi practice exists it does, and a
    Hindi query always does."""
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    english_only = tmp_path / "kb"
    assert run_json("ingest", str(corpus), "--kb-dir", str(english_only))["added"] == 5
    for kb_dir, expected in ((english_only, 0), (multilingual_kb, 1)):
        settings = Settings(kb_dir=kb_dir)
        with open_store(settings) as store:
            searcher = Searcher(settings, store)
            searcher.search(SearchRequest(query="online land records at kiosks"))
            assert _e5_vectors_made(searcher) == expected
            searcher.search(SearchRequest(query="किसानों के लिए ऑनलाइन भूमि अभिलेख"))
            assert _e5_vectors_made(searcher) == expected + 1
