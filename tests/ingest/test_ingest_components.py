"""Haystack components: section converters and the structure-aware chunker, alone and in a pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from haystack import Document, Pipeline
from haystack.dataclasses import ByteStream

from ingest.chunking import StructureAwareChunker
from ingest.converters import (
    DOCXSectionConverter,
    HTMLSectionConverter,
    MarkdownSectionConverter,
    PDFSectionConverter,
    SectionConverter,
    TextSectionConverter,
)
from kb.models import chunk_point_id


@pytest.mark.parametrize(
    ("component", "name"),
    [
        (MarkdownSectionConverter, "mou-kerala-karnataka.md"),
        (PDFSectionConverter, "saral-report.pdf"),
        (DOCXSectionConverter, "cyber-guideline.docx"),
        (HTMLSectionConverter, "bhoomi.html"),
        (TextSectionConverter, "cm-window-note.txt"),
    ],
)
def test_each_format_component_emits_one_document_per_section(good_dir: Path, component: Any, name: str) -> None:
    result = component().run(sources=[good_dir / name], meta={"document_id": "doc-1"})

    assert result["failures"] == []
    documents = result["documents"]
    assert len(documents) > 1
    for index, document in enumerate(documents):
        assert document.content
        assert document.meta["document_id"] == "doc-1"
        assert document.meta["section_index"] == index
        assert isinstance(document.meta["heading_path"], list)
        assert document.meta["file_path"] == str(good_dir / name)
        assert "source_title" in document.meta and "page" in document.meta


def test_pdf_component_records_pages_and_outline(good_dir: Path) -> None:
    documents = PDFSectionConverter().run(sources=[good_dir / "saral-report.pdf"])["documents"]

    assert [(d.meta["page"], d.meta["heading_path"]) for d in documents][-2:] == [
        (3, ["Implementation", "District rollout"]),
        (4, ["Outcomes"]),
    ]
    assert documents[0].meta["source_title"] == "Antyodaya SARAL: a report"
    assert documents[0].meta["page_count"] == 4


def test_failures_are_reported_per_file_without_stopping_the_run(good_dir: Path, bad_dir: Path) -> None:
    sources: list[str | Path | ByteStream] = [
        bad_dir / "corrupt.pdf",
        good_dir / "saral-report.pdf",
        bad_dir / "text-named.pdf",
        str(bad_dir / "missing.pdf"),
    ]
    result = PDFSectionConverter().run(sources=sources)

    assert {d.meta["file_path"] for d in result["documents"]} == {str(good_dir / "saral-report.pdf")}
    failures = {Path(f["source"]).name: f["error"] for f in result["failures"]}
    assert set(failures) == {"corrupt.pdf", "text-named.pdf", "missing.pdf"}
    assert "not a readable PDF" in failures["corrupt.pdf"]
    assert "content does not match its extension" in failures["text-named.pdf"]


def test_format_component_refuses_another_format(good_dir: Path) -> None:
    result = HTMLSectionConverter().run(sources=[good_dir / "saral-report.pdf"])

    assert result["documents"] == []
    assert "is a PDF document, not an HTML page as expected" in result["failures"][0]["error"]


def test_generic_converter_takes_bytestreams_and_per_source_meta(good_dir: Path) -> None:
    stream = ByteStream((good_dir / "bhoomi.html").read_bytes(), meta={"file_name": "bhoomi.html"})
    result = SectionConverter().run(
        sources=[stream, good_dir / "cm-window-note.txt"], meta=[{"document_id": "a"}, {"document_id": "b"}]
    )

    assert result["failures"] == []
    by_id = {d.meta["document_id"] for d in result["documents"]}
    assert by_id == {"a", "b"}
    assert {d.meta["media_type"] for d in result["documents"]} == {"text/html", "text/plain"}


def test_nameless_bytestream_is_sniffed_by_content(good_dir: Path) -> None:
    stream = ByteStream((good_dir / "saral-report.pdf").read_bytes())
    result = SectionConverter().run(sources=[stream])

    assert result["failures"] == [] and result["documents"][0].meta["media_type"] == "application/pdf"


def test_chunker_component_chunks_sections_with_ids_and_context(model_path: str, good_dir: Path) -> None:
    sections = MarkdownSectionConverter().run(
        sources=[good_dir / "mou-kerala-karnataka.md"], meta={"document_id": "kl-ka-mou", "title": "KL-KA MoU"}
    )["documents"]
    chunker = StructureAwareChunker(model_path=model_path)
    chunker.warm_up()
    chunks = chunker.run(documents=sections)["documents"]

    assert [d.meta["chunk_index"] for d in chunks] == list(range(len(chunks)))
    assert all(d.meta["document_id"] == "kl-ka-mou" and "section_index" not in d.meta for d in chunks)
    scope = next(d for d in chunks if d.meta["heading_path"] == ["Clauses", "Clause 1 - Scope"])
    assert scope.meta["context"] == "KL-KA MoU › Clauses › Clause 1 - Scope"  # metadata title wins
    assert scope.id == chunk_point_id("kl-ka-mou", scope.meta["chunk_index"], scope.content or "")


def test_chunker_component_keeps_sources_apart(model_path: str) -> None:
    documents = [
        Document(content="Alpha text.", meta={"document_id": "a", "heading_path": [], "page": 1}),
        Document(content="More alpha.", meta={"document_id": "a", "heading_path": [], "page": 2}),
        Document(content="Beta text.", meta={"document_id": "b", "heading_path": ["B"], "page": None}),
    ]
    chunks = StructureAwareChunker(model_path=model_path).run(documents=documents)["documents"]

    assert [(d.meta["document_id"], d.meta["chunk_index"], d.content) for d in chunks] == [
        ("a", 0, "Alpha text.\n\nMore alpha."),
        ("b", 0, "Beta text."),
    ]


def test_pipeline_converts_and_chunks_and_serialises(model_path: str, good_dir: Path) -> None:
    pipeline = Pipeline()
    pipeline.add_component("convert", SectionConverter(timeout_s=None))
    pipeline.add_component("chunk", StructureAwareChunker(model_path=model_path, target_tokens=150))
    pipeline.connect("convert.documents", "chunk.documents")

    result = pipeline.run({"convert": {"sources": [good_dir / "cyber-guideline.docx"]}})

    chunks = result["chunk"]["documents"]
    assert chunks and all(d.meta["media_type"].endswith("wordprocessingml.document") for d in chunks)
    assert result["convert"]["failures"] == []
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["ingest.chunking", "ingest.converters.components"])
    chunk_component = restored.get_component("chunk")
    assert isinstance(chunk_component, StructureAwareChunker) and chunk_component.target_tokens == 150
