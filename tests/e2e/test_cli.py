"""The ``kb`` command line, through its real entry point: ingest, search, validate, stats, reindex."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kb.settings import Settings
from kb.store import open_store
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli, run_json, run_kb_process


def test_ingest_every_format_then_search_finds_each(corpus: Path, tmp_path: Path) -> None:
    kb_dir = str(tmp_path / "kb")
    report = run_json("ingest", str(corpus), "--kb-dir", kb_dir)
    assert report["failed"] == []
    assert report["added"] == 5
    assert {d["id"] for d in report["documents"]} == {
        "karnataka-bhoomi",
        "haryana-cm-window",
        "odisha-cyber-guideline",
        "kerala-karnataka-egov-mou",
        "haryana-saral-report",
    }
    body = run_json("search", "computerised land records kiosks for farmers", "--kb-dir", kb_dir)
    assert body["results"][0]["document_id"] == "karnataka-bhoomi"
    assert {"query", "total", "results", "facets", "no_good_match"} <= set(body)
    first = body["results"][0]
    for key in (
        "document_id",
        "title",
        "type",
        "states",
        "sector",
        "year",
        "score",
        "section",
        "snippet",
        "page",
        "source_url",
        "url",
    ):
        assert key in first


def test_second_run_is_unchanged_changed_file_is_replaced_and_sync_removes(corpus: Path, tmp_path: Path) -> None:
    kb_dir = str(tmp_path / "kb")
    assert run_json("ingest", str(corpus), "--kb-dir", kb_dir)["added"] == 5
    again = run_json("ingest", str(corpus), "--kb-dir", kb_dir)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 5)

    md = corpus / "mou-kerala-karnataka.md"
    md.write_text(md.read_text() + "\n\n## Annexure\n\nA new annexure about drone surveys of village land.\n")
    changed = run_json("ingest", str(corpus), "--kb-dir", kb_dir)
    assert (changed["updated"], changed["unchanged"]) == (1, 4)
    hits = run_json("search", "drone surveys of village land", "--kb-dir", kb_dir)["results"]
    assert hits[0]["document_id"] == "kerala-karnataka-egov-mou"

    (corpus / "cm-window-note.txt").unlink()
    synced = run_json("ingest", "--sync", str(corpus), "--kb-dir", kb_dir)
    assert synced["removed"] == 1
    stats = run_json("stats", "--kb-dir", kb_dir)
    assert (stats["documents"], stats["withdrawn"]) == (4, 1)
    with open_store(Settings(kb_dir=Path(kb_dir))) as store:
        ids = {d.meta["document_id"] for d in store.scroll()}
    assert "haryana-cm-window" not in ids and len(ids) == 4


def test_bad_files_are_reported_per_file_and_the_rest_ingested(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(FIXTURES / "bad", folder / "bad")
    shutil.copytree(FIXTURES / "good", folder / "good")
    result = run_cli("ingest", str(folder), "--json", "--kb-dir", str(tmp_path / "kb"))
    assert result.exit_code == 1
    import json

    report = json.loads(result.stdout)
    assert report["added"] == 5
    errors = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert "encrypted" in errors["encrypted.pdf"]
    assert "empty" in errors["empty.txt"]
    assert "Hariyana" in errors["bad-metadata.txt"] and "did you mean 'Haryana'" in errors["bad-metadata.txt"]
    for name in ("corrupt.pdf", "invalid-utf8.txt", "not-a-zip.docx", "zipbomb.docx", "text-named.pdf"):
        assert name in errors, errors
    assert all("Traceback" not in e for e in errors.values())


def test_usage_and_filter_errors_have_clear_messages_and_exit_codes(indexed_kb: Path) -> None:
    assert run_cli("ingest").exit_code == 2
    bad = run_cli("search", "land", "--sector", "helth", "--kb-dir", str(indexed_kb))
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: invalid filter sector: 'helth' is not a valid sector; did you mean 'health'?")
    unknown = run_cli("search", "land", "--state", "Hariyana", "--kb-dir", str(indexed_kb))
    assert unknown.exit_code == 1 and "did you mean 'Haryana'" in unknown.stderr
    empty = run_cli("search", "   ", "--kb-dir", str(indexed_kb))
    assert empty.exit_code == 1 and "query is empty" in empty.stderr


def test_filters_narrow_results(indexed_kb: Path) -> None:
    body = run_json("search", "citizen services", "--state", "Haryana", "--kb-dir", str(indexed_kb))
    assert body["results"]
    assert all("Haryana" in r["states"] for r in body["results"])
    none = run_json("search", "citizen services", "--year-from", "2090", "--kb-dir", str(indexed_kb))
    assert none["results"] == [] and none["total"] == 0


def test_validate_reports_without_indexing(tmp_path: Path) -> None:
    good = run_cli("validate", str(FIXTURES / "good"), "--kb-dir", str(tmp_path / "kb"))
    assert good.exit_code == 0, good.output
    assert "5 valid, 0 invalid" in good.stdout
    bad = run_cli("validate", str(FIXTURES / "bad"), "--kb-dir", str(tmp_path / "kb"))
    assert bad.exit_code == 1
    assert "invalid" in bad.stdout and "encrypted" in bad.stdout
    assert not (tmp_path / "kb" / "index").exists()


def test_persistence_across_processes_and_reindex_equivalence(corpus: Path, tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    ingest = run_kb_process("ingest", str(corpus), "--kb-dir", str(kb_dir))
    assert ingest.returncode == 0, ingest.stderr
    query = ("search", "grievance portal of the chief minister", "--json", "--kb-dir", str(kb_dir))
    import json

    before = json.loads(run_kb_process(*query).stdout)
    assert before["results"]
    shutil.rmtree(kb_dir / "index")
    reindexed = run_cli("reindex", "--kb-dir", str(kb_dir))
    assert reindexed.exit_code == 0, reindexed.output
    after = json.loads(run_cli(*query).stdout)
    assert [r["document_id"] for r in after["results"]] == [r["document_id"] for r in before["results"]]
    assert [r["section"] for r in after["results"]] == [r["section"] for r in before["results"]]


def test_a_second_process_gets_a_clear_lock_error(indexed_kb: Path, corpus: Path) -> None:
    with open_store(Settings(kb_dir=indexed_kb)):
        result = run_kb_process("ingest", str(corpus), "--kb-dir", str(indexed_kb))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: The knowledge base at")
    assert "kb ingest --server" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_does_not_import_torch() -> None:
    code = "import sys, search.cli; print('torch' in sys.modules, 'haystack' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
