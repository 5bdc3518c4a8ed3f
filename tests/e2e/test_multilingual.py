"""The multilingual option (KB_DENSE_MODEL=multilingual-e5-small) and the guard against mixed models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli, run_json


@pytest.fixture
def e5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DENSE_MODEL", "multilingual-e5-small")


def test_hindi_questions_find_english_practices_with_e5(tmp_path: Path, e5: None) -> None:
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    kb_dir = str(tmp_path / "kb")
    assert run_json("ingest", str(corpus), "--kb-dir", kb_dir)["added"] == 5
    land = run_json("search", "किसानों के लिए ऑनलाइन भूमि अभिलेख", "--kb-dir", kb_dir)
    assert land["results"][0]["document_id"] == "karnataka-bhoomi"
    grievance = run_json("search", "मुख्यमंत्री को शिकायत", "--kb-dir", kb_dir, "--mode", "dense")
    assert grievance["results"][0]["document_id"] == "haryana-cm-window"


def test_switching_models_needs_a_reindex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", corpus)
    kb_dir = str(tmp_path / "kb")
    assert run_cli("ingest", str(corpus), "--kb-dir", kb_dir).exit_code == 0
    monkeypatch.setenv("KB_DENSE_MODEL", "multilingual-e5-small")
    refused = run_cli("search", "land records", "--kb-dir", kb_dir)
    assert refused.exit_code == 1
    assert "built with sentence-transformers/all-MiniLM-L6-v2" in refused.stderr and "kb reindex" in refused.stderr
    assert run_cli("reindex", "--kb-dir", kb_dir).exit_code == 0
    assert run_json("search", "online land records", "--kb-dir", kb_dir)["results"][0]["document_id"] == (
        "karnataka-bhoomi"
    )
