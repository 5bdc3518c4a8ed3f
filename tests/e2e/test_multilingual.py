"""Indian languages through KB_DENSE_MODEL=minilm+e5 (MiniLM and e5 vectors per chunk), the other
dense models, and the guard against an index built with another model (issue 15, item 3).

minilm+e5 is set explicitly: it becomes the default once SciFact confirms it (docs/search-quality.md,
"Indian languages by default"); then ``MULTILINGUAL`` can be dropped from the environment here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli, run_json

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
    """The good fixtures plus a Hindi case study, ingested once with minilm+e5."""
    corpus = tmp_path_factory.mktemp("corpus") / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    (corpus / "mdm-nigrani.md").write_text(MIDDAY_MEAL_HI, encoding="utf-8")
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KB_DENSE_MODEL", MULTILINGUAL)
        assert run_json("ingest", str(corpus), "--kb-dir", str(kb_dir))["added"] == 6
    return kb_dir


@pytest.fixture
def multilingual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DENSE_MODEL", MULTILINGUAL)


def _ids(kb_dir: Path, query: str, *options: str) -> list[str]:
    return [r["document_id"] for r in run_json("search", query, "--kb-dir", str(kb_dir), *options)["results"]]


def test_the_index_holds_both_models(multilingual_kb: Path, multilingual: None) -> None:
    stats = run_json("stats", "--kb-dir", str(multilingual_kb))
    assert stats["backend"]["dense_vectors"] == ["dense", "e5"]
    assert stats["index_model"] == stats["dense_model"]
    assert "all-MiniLM-L6-v2" in stats["index_model"] and "multilingual-e5-small" in stats["index_model"]


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


def test_an_old_single_vector_kb_is_refused_until_reindex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A single-vector KB (built with MiniLM alone) under minilm+e5: nothing is lost, search and
    ingest say to run `kb reindex`, `kb stats` shows both models, and reindex builds the two-vector
    layout."""
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
