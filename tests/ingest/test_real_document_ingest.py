"""Through `kb ingest`, `kb search` and `kb reindex`: what the converters now keep reaches the index,
and a rebuild from the catalog keeps it (OCR flags, contents pages left out).

One ingest of a generated folder (a scanned page, a PDF with contents and index pages and split
accents, an HTML page with code, a Word order with numbered clauses) serves every check here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.catalog import Catalog
from kb.embedding import DENSE_DIM
from kb.settings import Settings
from kb.store import open_store
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli
from tests.ingest.test_contents_pages import CONTENTS, INDEX
from tests.ingest.test_docx_numbering import _order_docx
from tests.ingest.test_text_fidelity import SPHINX_CODE

pytestmark = pytest.mark.slow

SIDECAR = "type: report\nstates: [Haryana]\nsector: land_records\nyear: 2023\n"
ACCENTS = "Training at the Wirtschaftsuniversit\u00a8at Wien for the tehsildars of Ambala and Hisar."


def _review_pdf() -> bytes:
    """Title heading and contents, two pages of text (one with split accents), an index; no title
    in the metadata."""
    from fpdf import FPDF

    pdf = FPDF()
    pages = [
        [(22, "Mutation pendency review"), *[(11, line) for line in CONTENTS]],
        [(11, "Pending mutations fell by half after weekly reviews. " * 4)],
        [(11, ACCENTS)],
        [(11, line) for line in INDEX],
    ]
    for page in pages:
        pdf.add_page()
        for size, line in page:
            pdf.set_font("Helvetica", size=size)
            pdf.multi_cell(0, size * 0.55, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("real")
    folder = root / "docs"
    folder.mkdir()
    for name in ("circular-en.pdf", "circular-en.pdf.meta.yaml"):
        (folder / name).write_bytes((FIXTURES / "scanned" / name).read_bytes())
    files = {"pendency_review_v3.pdf": _review_pdf(), "grievance-api.html": SPHINX_CODE, "order.docx": _order_docx()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        (folder / f"{name}.meta.yaml").write_text(SIDECAR, encoding="utf-8")
    kb_dir = str(root / "kb")
    result = run_cli("--kb-dir", kb_dir, "ingest", str(folder), "--json")
    assert result.exit_code == 0, result.output
    yield kb_dir, json.loads(result.stdout)


def _payloads(kb_dir: str, document_id: str) -> list[dict[str, Any]]:
    settings = Settings(kb_dir=Path(kb_dir))
    with open_store(settings, dense_dim=DENSE_DIM) as store:
        chunks = store.scroll({"field": "meta.document_id", "operator": "==", "value": document_id})
        return [{**d.meta, "content": d.content} for d in chunks]


def _search(kb_dir: str, query: str) -> dict[str, Any]:
    return dict(json.loads(run_cli("--kb-dir", kb_dir, "search", query, "--json").stdout))


def test_the_report_counts_contents_pages_and_titles_come_from_headings(ingested: tuple[str, dict[str, Any]]) -> None:
    kb_dir, report = ingested
    by_id = {entry["id"]: entry for entry in report["documents"]}
    assert by_id["pendency-review-v3"]["contents_skipped"] == 2 and report["contents_skipped"] == 2
    pages = {payload["page"] for payload in _payloads(kb_dir, "pendency-review-v3")}
    assert pages and pages <= {2, 3}  # nothing from the contents page (1) or the index (4)
    with Catalog(Settings(kb_dir=Path(kb_dir)).resolved_catalog_url()) as catalog:
        assert catalog.require_document("pendency-review-v3").title == "Mutation pendency review"
        assert [s.page for s in catalog.sections("pendency-review-v3")] == [1, 2, 3, 4]  # kept for reading


def test_search_finds_joined_accents_code_lines_and_clause_numbers(ingested: tuple[str, dict[str, Any]]) -> None:
    kb_dir, _ = ingested
    top = _search(kb_dir, "Wirtschaftsuniversität Wien tehsildars")["results"][0]
    assert top["document_id"] == "pendency-review-v3" and "Wirtschaftsuniversität Wien" in top["snippet"]
    code = next(r for r in _search(kb_dir, "grievance_status portal lookup")["results"])
    assert code["document_id"] == "grievance-api"
    (payload,) = _payloads(kb_dir, "grievance-api")
    assert "def grievance_status(number):\n    return portal.lookup(number)" in payload["content"]
    clauses = " ".join(p["content"] for p in _payloads(kb_dir, "order"))
    assert "2. The officer shall:\n\n(a) acknowledge it by SMS;" in clauses


def test_reindex_keeps_ocr_flags_and_leaves_contents_pages_out(ingested: tuple[str, dict[str, Any]]) -> None:
    kb_dir, _ = ingested
    before = _payloads(kb_dir, "haryana-grievance-circular")
    assert before and all(p["ocr"] is True and p["ocr_confidence"] > 80 for p in before)
    reindexed = run_cli("reindex", "--kb-dir", kb_dir)
    assert reindexed.exit_code == 0, reindexed.output
    after = _payloads(kb_dir, "haryana-grievance-circular")
    assert [(p["ocr"], p["ocr_confidence"]) for p in after] == [(p["ocr"], p["ocr_confidence"]) for p in before]
    assert all(p["ocr"] is False for p in _payloads(kb_dir, "order"))
    assert {p["page"] for p in _payloads(kb_dir, "pendency-review-v3")} <= {2, 3}
