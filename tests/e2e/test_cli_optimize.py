"""``kb stats --json`` shows the vector index's state; ``kb optimize`` builds it; the HNSW settings
reach the store from their environment variables, in a fresh ``kb`` process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.e2e.conftest import run_cli, run_json, run_kb_process

INDEX_FIELDS = {
    "points",
    "dense_vectors_total",
    "unindexed_vectors",
    "segments",
    "index_building",
    "indexing_threshold_kb",
    "hnsw_m",
    "hnsw_ef_construct",
    "hnsw_ef",
    "quantization",
}


def test_stats_json_reports_indexed_and_unindexed_vectors(indexed_kb: Path) -> None:
    backend = run_json("stats", "--kb-dir", str(indexed_kb))["backend"]
    assert set(backend) >= INDEX_FIELDS, INDEX_FIELDS - set(backend)
    assert backend["dense_vectors_total"] == backend["points"] * len(backend["dense_vectors"]) > 0
    # a few fixture chunks stay far below the default threshold: searched exactly, nothing building
    assert backend["unindexed_vectors"] == backend["dense_vectors_total"]
    assert backend["index_building"] is False and backend["quantization"] == "int8"  # the default


def test_optimize_builds_the_index_and_settings_come_from_the_environment(indexed_kb: Path, tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(indexed_kb, kb_dir)
    env = {"KB_INDEXING_THRESHOLD_KB": "1", "KB_HNSW_EF": "77", "KB_QUANTIZATION": "none"}
    result = run_kb_process("optimize", "--json", "--kb-dir", str(kb_dir), env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["before"]["unindexed_vectors"] > 0
    assert report["after"]["unindexed_vectors"] == 0, report["after"]
    # the KB was made with the default, int8: a shard keeps its quantization, so the build quantised
    # and searches rescore; the report says so, and how to drop it
    assert (report["after"]["hnsw_ef"], report["after"]["quantization"]) == (77, "int8")
    assert "KB_QUANTIZATION=none cannot take effect" in result.stderr and "kb reindex" in result.stderr
    assert report["after"]["indexing_threshold_kb"] == 1
    stats = run_cli("stats", "--json", "--kb-dir", str(kb_dir), env={"KB_HNSW_EF": "5"})
    assert stats.exit_code == 0, stats.output
    backend = json.loads(stats.stdout)["backend"]
    assert backend["hnsw_ef"] == 5 and backend["unindexed_vectors"] == 0  # the built index stays
    search = run_cli("search", "single window", "--json", "--kb-dir", str(kb_dir), env=env)
    assert search.exit_code == 0, search.output
    assert json.loads(search.stdout)["results"], "the optimised index still answers"


def test_reindex_applies_quantization_none(indexed_kb: Path, tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(indexed_kb, kb_dir)
    env = {"KB_QUANTIZATION": "none"}
    result = run_kb_process("reindex", "--kb-dir", str(kb_dir), env=env)
    assert result.returncode == 0, result.stderr
    stats = run_kb_process("stats", "--json", "--kb-dir", str(kb_dir), env=env)
    assert stats.returncode == 0 and "cannot take effect" not in stats.stderr, stats.stderr
    assert json.loads(stats.stdout)["backend"]["quantization"] == "none"
    default = run_kb_process("stats", "--json", "--kb-dir", str(kb_dir))  # int8 can be turned on again
    assert json.loads(default.stdout)["backend"]["quantization"] == "int8"


def test_optimize_without_a_kb_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("optimize", "--kb-dir", str(tmp_path / "missing"))
    assert result.exit_code == 1
    assert "no knowledge base in" in result.output and "Traceback" not in result.output
