"""Tables from PDF (pdfplumber), DOCX and HTML: Markdown rows with the header, chunks that never
separate a row from its header, the document page's table view, and search over table cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.converters import convert_path
from search.web.text import blocks
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli
from tests.fixtures.tables import DISTRICTS, HEADER

TABLES = FIXTURES / "tables"
HEADER_ROW = "| " + " | ".join(HEADER) + " |"


def _row(name: str) -> str:
    return "| " + " | ".join(next(row for row in DISTRICTS if row[0] == name)) + " |"


@pytest.mark.parametrize("name", ["pendency.pdf", "pendency.docx", "pendency.html"])
def test_every_format_gives_markdown_rows_under_the_header(name: str) -> None:
    text = convert_path(TABLES / name).text
    assert text.count(HEADER_ROW + "\n|---|---|---|---|\n") >= 1
    for district in ("Ambala", "Hisar", "Firozpur"):
        assert _row(district) in text
    assert "Pending mutations 2020 Disposed" not in text  # not flattened into a paragraph


def test_pdf_table_rows_keep_their_pages() -> None:
    document = convert_path(TABLES / "pendency.pdf")
    pages = {s.page: s.text for s in document.sections}
    assert _row("Ambala") in pages[1] and _row("Firozpur") in pages[2]
    assert pages[1].index("Mutation pendency by district") < pages[1].index(HEADER_ROW)  # reading order
    assert pages[2].rstrip().endswith("Figures are provisional.")


@pytest.mark.parametrize("name", ["pendency.pdf", "pendency.docx", "pendency.html"])
def test_no_chunk_has_a_row_without_its_header(chunker: Chunker, name: str) -> None:
    chunks = chunker.chunk(convert_path(TABLES / name), title="Mutation pendency")
    with_rows = [c for c in chunks if any(_row(row[0]) in c.text for row in DISTRICTS)]
    assert len(with_rows) >= 3  # the table is long enough to be cut
    for chunk in with_rows:
        lines = chunk.text.split("\n")
        first_row = next(i for i, line in enumerate(lines) if line.startswith("| ") and line != HEADER_ROW)
        assert HEADER_ROW in lines[:first_row], chunk.text
    every_row = "\n".join(c.text for c in chunks)
    assert all(_row(row[0]) in every_row for row in DISTRICTS)  # nothing lost on the way


def test_document_page_blocks_render_the_header_as_a_header_row() -> None:
    (table,) = [b for b in blocks(convert_path(TABLES / "pendency.html").text) if b.kind == "table"]
    assert table.rows[0] == list(HEADER)
    assert table.rows[1] == list(DISTRICTS[0])
    assert all(len(row) == 4 for row in table.rows)


@pytest.mark.slow
def test_search_finds_a_row_by_its_cells(tmp_path: Path) -> None:
    kb_dir = str(tmp_path / "kb")
    ingested = run_cli("--kb-dir", kb_dir, "ingest", str(TABLES), "--json")
    assert ingested.exit_code == 0, ingested.output
    found = json.loads(run_cli("--kb-dir", kb_dir, "search", "Firozpur", "--json").stdout)
    results = {result["document_id"]: result for result in found["results"]}
    assert set(results) == {"pendency-pdf", "pendency-docx", "pendency-html"}
    for result in results.values():  # the passage with the last row (not the intro) is each one's best
        assert _row("Firozpur") in result["snippet"], result["snippet"]
