"""OCR of scanned PDFs: real Tesseract on pages rendered from known text (tests/fixtures/scans.py).

One page per test at most; the conversion worker path (with its own OCR time limit) is exercised by
the English page, the in-process path by the others.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from PIL import ImageFilter

from ingest.converters import convert_bytes, convert_path
from ingest.converters.ocr import tesseract_languages
from ingest.converters.pdf import convert_pdf
from kb.errors import ConversionError, TimeoutExceededError
from tests.conftest import FIXTURES
from tests.e2e.conftest import run_cli
from tests.fixtures.scans import (
    ENGLISH_SCAN,
    HINDI_SCAN,
    LATIN_FONT,
    MIXED_TEXT_PAGES,
    character_accuracy,
    scan_image,
)

SCANNED = FIXTURES / "scanned"

pytestmark = pytest.mark.slow


def test_english_scan_is_read_in_the_worker_with_pages_and_confidence() -> None:
    document = convert_path(SCANNED / "circular-en.pdf", timeout_s=60)  # language detected (Latin)
    assert document.page_count == 1
    assert {section.page for section in document.sections} == {1}
    assert all(section.ocr for section in document.sections)
    confidence = document.sections[0].ocr_confidence
    assert confidence is not None and confidence > 80
    assert "Pending mutations older than ninety days" in " ".join(document.text.split())
    assert character_accuracy(ENGLISH_SCAN, document.text) >= 0.95
    assert document.warnings == ()


def test_hindi_scan_is_read_in_hindi_when_the_metadata_says_so() -> None:
    document = convert_pdf((SCANNED / "order-hi.pdf").read_bytes(), "order-hi.pdf", language="hi")
    assert "शिकायतों का निपटारा तीस दिनों के भीतर" in " ".join(document.text.split())
    assert character_accuracy(HINDI_SCAN, document.text) >= 0.85
    assert document.sections[0].ocr and document.sections[0].page == 1


def test_mixed_pdf_sends_only_the_image_page_to_ocr() -> None:
    document = convert_pdf((SCANNED / "mixed-report.pdf").read_bytes(), "mixed-report.pdf", language="en")
    by_page = {section.page: section for section in document.sections}
    assert sorted(by_page) == [1, 2, 3]
    assert [by_page[page].ocr for page in (1, 2, 3)] == [False, True, False]
    assert MIXED_TEXT_PAGES[0] in " ".join(by_page[1].text.split())
    assert "Divisional Commissioner every Monday" in " ".join(by_page[2].text.split())
    assert by_page[1].ocr_confidence is None


def _blurred_scan() -> bytes:
    """A small, badly blurred line of text: Tesseract reads something, with low confidence."""
    from fpdf import FPDF

    image = scan_image("Pending mutations must be reported every Monday.", LATIN_FONT, size_pt=7)
    pdf = FPDF()
    pdf.add_page()
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(2.5)).save(buffer, format="PNG")
    pdf.image(buffer, x=0, y=10, w=210)
    return bytes(pdf.output())


def test_a_blurred_scan_is_kept_with_a_low_confidence_warning() -> None:
    document = convert_pdf(_blurred_scan(), "blurred.pdf", language="en")
    confidence = document.sections[0].ocr_confidence
    assert confidence is not None and confidence < 60
    assert document.warnings == (
        f"page 1: text recognition (OCR) confidence is low ({confidence:.0f} of 100); "
        "check the scan or upload a clearer copy",
    )


def test_without_tesseract_a_scan_fails_naming_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract program on this PATH
    with pytest.raises(ConversionError, match=r"Tesseract is not installed; install the Debian packages tesseract-ocr"):
        convert_pdf((SCANNED / "circular-en.pdf").read_bytes(), "circular-en.pdf")


def test_a_language_without_its_model_names_the_package() -> None:
    with pytest.raises(ConversionError, match=r"install the Debian package\(s\) tesseract-ocr-tam"):
        convert_pdf((SCANNED / "circular-en.pdf").read_bytes(), "circular-en.pdf", language="ta")


@pytest.mark.parametrize(
    ("language", "expected"), [("hi", "hin+eng"), ("en", "eng"), ("HI", "hin+eng"), (None, None), ("xx", "eng+hin")]
)
def test_metadata_languages_map_to_tesseract_models(language: str | None, expected: str | None) -> None:
    assert tesseract_languages(language) == expected


def test_scanned_pages_are_ingested_and_found_by_search(tmp_path: Path) -> None:
    """End to end through `kb ingest` and `kb search`: OCR text is indexed, flagged and cited by page."""
    kb_dir = str(tmp_path / "kb")
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("order-hi.pdf", "order-hi.pdf.meta.yaml"):
        (folder / name).write_bytes((SCANNED / name).read_bytes())
    (folder / "blurred.pdf").write_bytes(_blurred_scan())
    (folder / "blurred.pdf.meta.yaml").write_text(
        (SCANNED / "circular-en.pdf.meta.yaml").read_text().replace("haryana-grievance-circular", "blurred-circular")
        + "language: en\n"
    )
    ingested = run_cli("--kb-dir", kb_dir, "ingest", str(folder), "--json")
    assert ingested.exit_code == 0, ingested.output
    report = json.loads(ingested.stdout)
    warnings = {entry["id"]: entry["warnings"] for entry in report["documents"]}
    assert report["added"] == 2 and warnings["haryana-grievance-order-hi"] == []
    assert [w[:50] for w in warnings["blurred-circular"]] == ["page 1: text recognition (OCR) confidence is low ("]
    found = json.loads(run_cli("--kb-dir", kb_dir, "search", "शिकायतों का निपटारा तीस दिनों", "--json").stdout)
    top = found["results"][0]
    assert top["document_id"] == "haryana-grievance-order-hi" and top["page"] == 1


def test_ocr_stops_when_the_job_has_no_time_left() -> None:
    """The OCR limit is min(its own limit, the job's remaining time): a job with one second left does
    not wait the minute and more that one scanned page would be allowed on its own."""
    scan = (SCANNED / "circular-en.pdf").read_bytes()  # ~4 s: script detection, then recognition
    convert_bytes((FIXTURES / "good" / "saral-report.pdf").read_bytes(), "saral-report.pdf", timeout_s=60)  # worker up
    began = time.monotonic()
    with pytest.raises(TimeoutExceededError, match=r"text recognition \(OCR\)"):
        convert_bytes(scan, "circular-en.pdf", timeout_s=60, deadline=began + 1.0)
    assert time.monotonic() - began < 1.0 + 5.0 + 2.0  # the pool's grace, not ocr_timeout_s(1) = 105 s
    with pytest.raises(TimeoutExceededError, match=r"no time is left for text recognition \(OCR\) of 1 scanned"):
        convert_bytes(scan, "circular-en.pdf", timeout_s=60, deadline=time.monotonic() - 1)
