"""PDF converter: pages, outline headings, title, and the errors for unreadable PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from ingest.converters import convert_pdf
from kb.errors import ConversionError


def _pdf(pages: list[str], *, title: str | None = None, owner_password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
    if owner_password:
        pdf.set_encryption(owner_password=owner_password)  # no user password: opens without one
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_report_fixture_has_pages_outline_paths_and_title(good_dir: Path) -> None:
    document = convert_pdf((good_dir / "saral-report.pdf").read_bytes(), "saral-report.pdf")

    assert document.media_type == "application/pdf"
    assert document.title == "Antyodaya SARAL: a report"
    assert document.page_count == 4
    assert [(s.heading_path, s.page) for s in document.sections] == [
        ((), 1),
        (("Introduction",), 2),
        (("Implementation",), 3),
        (("Implementation", "District rollout"), 3),
        (("Outcomes",), 4),
    ]
    by_path = {s.heading_path: s.text for s in document.sections}
    assert by_path[("Introduction",)].startswith("Antyodaya SARAL brings more than five hundred")
    # the heading line moved into the path; the body under the sub-entry is split off at its title
    assert "Implementation" not in by_path[("Implementation",)].splitlines()[0]
    assert by_path[("Implementation", "District rollout")] == (
        "Kendras opened in all 22 districts within eighteen months."
    )


def test_pages_without_outline_keep_page_numbers() -> None:
    document = convert_pdf(_pdf(["First page text.", "Second page text.", "Third."]), "plain.pdf")

    assert [(s.text, s.page, s.heading_path) for s in document.sections] == [
        ("First page text.", 1, ()),
        ("Second page text.", 2, ()),
        ("Third.", 3, ()),
    ]
    assert document.title is None


def test_blank_page_is_skipped_but_numbering_kept() -> None:
    document = convert_pdf(_pdf(["One.", " ", "Three."]), "gap.pdf")

    assert [s.page for s in document.sections] == [1, 3]


def test_word_export_prefix_is_removed_from_the_title() -> None:
    document = convert_pdf(_pdf(["Text."], title="Microsoft Word - State IT Policy 2022.docx"), "x.pdf")

    assert document.title == "State IT Policy 2022.docx"


def test_owner_password_only_pdf_opens(tmp_path: Path) -> None:
    document = convert_pdf(_pdf(["Readable although restricted."], owner_password="owner"), "restricted.pdf")

    assert document.sections[0].text == "Readable although restricted."


def test_encrypted_pdf_is_refused_with_a_clear_message(bad_dir: Path) -> None:
    with pytest.raises(ConversionError, match=r"encrypted\.pdf is encrypted \(password-protected\)"):
        convert_pdf((bad_dir / "encrypted.pdf").read_bytes(), "encrypted.pdf")


def test_corrupt_pdf_is_a_conversion_error(bad_dir: Path) -> None:
    with pytest.raises(ConversionError, match=r"corrupt\.pdf is not a readable PDF \(damaged or corrupt"):
        convert_pdf((bad_dir / "corrupt.pdf").read_bytes(), "corrupt.pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"])
def test_header_only_pdfs_are_conversion_errors(data: bytes) -> None:
    with pytest.raises(ConversionError, match="not a readable PDF"):
        convert_pdf(data, "stub.pdf")


@pytest.mark.slow
def test_pdf_without_any_text_fails_after_trying_ocr(bad_dir: Path) -> None:
    with pytest.raises(ConversionError, match=r"no readable text even with text recognition \(OCR\)"):
        convert_pdf((bad_dir / "no-text.pdf").read_bytes(), "no-text.pdf")
