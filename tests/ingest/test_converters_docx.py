"""DOCX converter: heading styles, tables, title, and the zip checks (not a zip, zip bomb)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest

from ingest.converters import convert_docx
from ingest.converters.docx import check_zip_safety
from kb.errors import ConversionError


def _docx(build: Callable[[Any], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_guideline_fixture_structure_tables_and_title(good_dir: Path) -> None:
    document = convert_docx((good_dir / "cyber-guideline.docx").read_bytes(), "cyber-guideline.docx")

    assert document.title == "Cyber security guideline for State departments"
    assert document.media_type.endswith("wordprocessingml.document")
    assert [s.heading_path for s in document.sections] == [
        (),
        ("Purpose",),
        ("Controls", "Access control"),
        ("Controls", "Patching"),
        ("Reporting incidents",),
    ]
    by_path = {s.heading_path: s.text for s in document.sections}
    assert by_path[()] == "Issued by the Electronics and IT Department, Government of Odisha."
    assert "- Shared passwords are not allowed." in by_path[("Controls", "Access control")]
    patching = by_path[("Controls", "Patching")]
    assert "Security patches are applied within fourteen days of release." in patching
    assert patching.endswith(
        "| Control | Owner |\n|---|---|\n| Firewall review | State Data Centre |\n| Audit | CERT-Odisha |"
    )
    assert "Cyber security guideline" not in document.text  # the Title paragraph is the title


def test_title_style_is_used_when_core_properties_have_none() -> None:
    def build(document: Any) -> None:
        document.core_properties.title = ""
        document.add_paragraph("Digital Land Records Policy", style="Title")
        document.add_heading("Scope", level=1)
        document.add_paragraph("Applies to all districts.")

    document = convert_docx(_docx(build), "policy.docx")

    assert document.title == "Digital Land Records Policy"
    assert [(s.heading_path, s.text) for s in document.sections] == [(("Scope",), "Applies to all districts.")]


def test_merged_table_cells_appear_once() -> None:
    def build(document: Any) -> None:
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).merge(table.cell(0, 2)).text = "Merged header"
        for col, text in enumerate(["a", "b", "c"]):
            table.cell(1, col).text = text

    (section,) = convert_docx(_docx(build), "t.docx").sections

    assert section.text == "| Merged header |  |  |\n|---|---|---|\n| a | b | c |"


def test_document_without_text_is_an_error() -> None:
    with pytest.raises(ConversionError, match="contains no text"):
        convert_docx(_docx(lambda document: None), "blank.docx")


def test_text_named_docx_is_not_a_zip(bad_dir: Path) -> None:
    with pytest.raises(ConversionError, match=r"not a valid Word document.*not a \.docx \(zip\) file"):
        convert_docx((bad_dir / "not-a-zip.docx").read_bytes(), "not-a-zip.docx")


def test_zip_bomb_fixture_is_refused_by_its_ratio(bad_dir: Path) -> None:
    data = (bad_dir / "zipbomb.docx").read_bytes()
    assert len(data) < 100_000

    with pytest.raises(ConversionError, match=r"possible zip bomb: its part 'word/document\.xml' is compressed"):
        convert_docx(data, "zipbomb.docx")


def test_zip_that_would_unpack_past_the_total_limit_is_refused() -> None:
    # 210 entries of just under 1 MiB each: no single entry is checked for its ratio, the total is.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        block = b"\x00" * (1024 * 1024 - 1)
        for index in range(210):
            archive.writestr(f"word/media/part{index}.bin", block)

    with pytest.raises(ConversionError, match=r"would unpack to 210 MiB \(limit 200 MiB\)"):
        check_zip_safety(buffer.getvalue(), "big.docx")


def test_zip_without_word_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")

    with pytest.raises(ConversionError, match="zip archive but not a Word document"):
        convert_docx(buffer.getvalue(), "archive.docx")


def test_damaged_docx_is_a_conversion_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not-closed")

    with pytest.raises(ConversionError, match="not a readable Word document"):
        convert_docx(buffer.getvalue(), "damaged.docx")
