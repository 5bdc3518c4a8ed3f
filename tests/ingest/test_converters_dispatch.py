"""convert_bytes / convert_path: sniffing, extension checks, every bad fixture, the worker timeout."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingest.converters import (
    SUPPORTED_EXTENSIONS,
    check_extension_matches,
    convert_bytes,
    convert_path,
    sniff_media_type,
)
from kb.errors import ConversionError, TimeoutExceededError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("mou-kerala-karnataka.md", "text/markdown"),
        ("saral-report.pdf", "application/pdf"),
        ("cyber-guideline.docx", DOCX),
        ("bhoomi.html", "text/html"),
        ("cm-window-note.txt", "text/plain"),
    ],
)
def test_good_fixtures_are_sniffed_and_converted(good_dir: Path, name: str, media_type: str) -> None:
    data = (good_dir / name).read_bytes()

    assert sniff_media_type(data, name) == media_type
    assert sniff_media_type(data, "no-extension") == (media_type if media_type != "text/markdown" else "text/plain")
    document = convert_path(good_dir / name)
    assert document.media_type == media_type
    assert document.sections and all(section.text.strip() for section in document.sections)


@pytest.mark.parametrize(
    ("data", "filename", "media_type"),
    [
        (b"%PDF-1.4 ...", "renamed.txt", "application/pdf"),
        (b"\n\n  <!-- saved page -->\n<!DOCTYPE html><p>x</p>", "page.txt", "text/html"),
        (b"<html><body>x</body></html>", "notes.md", "text/html"),
        (b"<p>fragment</p>", "fragment.htm", "text/html"),
        (b"<p>fragment</p>", "fragment.txt", "text/plain"),
        (b"# Heading", "README.markdown", "text/markdown"),
        (b"# Heading", "data.csv", "text/plain"),
        (b"caf\xe9", "legacy.txt", "text/plain"),
        (b"\x00\x01\x02binary", "blob.bin", "application/octet-stream"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "old.doc", "application/x-ole-storage"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "scan.png", "image/png"),
    ],
)
def test_sniffing_decides_by_content(data: bytes, filename: str, media_type: str) -> None:
    assert sniff_media_type(data, filename) == media_type


def test_sniffing_zips_by_their_parts() -> None:
    assert sniff_media_type(_zip("word/document.xml"), "x.zip") == DOCX
    assert sniff_media_type(_zip("xl/workbook.xml"), "x.docx").endswith("spreadsheetml.sheet")
    assert sniff_media_type(_zip("a.txt"), "x.docx") == "application/zip"


def test_extension_check_refuses_a_text_file_named_pdf(bad_dir: Path) -> None:
    data = (bad_dir / "text-named.pdf").read_bytes()
    media_type = sniff_media_type(data, "text-named.pdf")

    with pytest.raises(ConversionError, match="content does not match its extension: looks like plain text"):
        check_extension_matches(media_type, "text-named.pdf")
    check_extension_matches(media_type, "text-named.txt")
    check_extension_matches(media_type, "no-extension")
    check_extension_matches("text/html", "page.txt")  # any text format satisfies a text extension


def test_extension_check_refuses_a_zip_named_pdf() -> None:
    with pytest.raises(ConversionError, match="looks like a Word document"):
        convert_bytes(_zip("word/document.xml"), "report.pdf")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("corrupt.pdf", r"^corrupt\.pdf is not a readable PDF \(damaged or corrupt"),
        ("encrypted.pdf", r"^encrypted\.pdf is encrypted \(password-protected\) and cannot be opened"),
        ("no-text.pdf", r"^no-text\.pdf has no readable text even with text recognition \(OCR\)"),
        ("text-named.pdf", r"content does not match its extension: looks like plain text, not a PDF"),
        ("empty.txt", r"^empty\.txt is empty$"),
        ("blank.md", r"^blank\.md is empty$"),
        ("not-a-zip.docx", r"content does not match its extension: looks like plain text, not a Word"),
        ("invalid-utf8.txt", r"is not UTF-8 text \(invalid byte 0xe9 at byte 19\); save it with UTF-8"),
        ("zipbomb.docx", r"^zipbomb\.docx is refused as a possible zip bomb"),
    ],
)
def test_every_bad_fixture_is_a_helpful_conversion_error(bad_dir: Path, name: str, message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        convert_path(bad_dir / name)


def test_bad_fixture_folder_is_fully_covered(bad_dir: Path) -> None:
    files = {path.name for path in bad_dir.iterdir() if not path.name.endswith(".meta.yaml")}
    assert files == {
        "corrupt.pdf", "encrypted.pdf", "no-text.pdf", "text-named.pdf", "empty.txt", "blank.md",
        "not-a-zip.docx", "invalid-utf8.txt", "zipbomb.docx", "bad-metadata.txt",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
            "scan.png",
            r"scan\.png is a PNG image, which is not supported and needs OCR",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "old.doc", r"legacy Office file .* not supported"),
        (_zip("xl/workbook.xml"), "sheet.xlsx", r"an Excel workbook \(\.xlsx\), which is not supported"),
        (b"\x00\x01binary", "blob", r"blob is binary data, which is not supported; supported formats: PDF"),
    ],
)
def test_unsupported_formats_say_what_they_are(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        convert_bytes(data, filename)


def test_expected_media_type_refuses_other_formats(good_dir: Path) -> None:
    pdf = (good_dir / "saral-report.pdf").read_bytes()

    with pytest.raises(ConversionError, match=r"report\.bin is a PDF document, not an HTML page as expected"):
        convert_bytes(pdf, "report.bin", media_type="text/html")
    forced = convert_bytes(b"# Not a heading in plain text", "x.md", media_type="text/plain")
    assert forced.media_type == "text/plain" and forced.sections[0].text == "# Not a heading in plain text"


def test_missing_file_is_a_conversion_error(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="cannot be read"):
        convert_path(tmp_path / "missing.pdf")


def test_supported_extensions() -> None:
    assert {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt"} <= SUPPORTED_EXTENSIONS
    assert ".doc" not in SUPPORTED_EXTENSIONS


@pytest.mark.slow
def test_timeout_stops_a_long_conversion_and_the_worker_recovers(long_pdf: bytes, good_dir: Path) -> None:
    with pytest.raises(TimeoutExceededError, match=r"^long\.pdf: conversion took longer than 0\.05 s"):
        convert_bytes(long_pdf, "long.pdf", timeout_s=0.05)

    # a fresh worker serves the next file, with the same result as converting in-process
    small = (good_dir / "saral-report.pdf").read_bytes()
    assert convert_bytes(small, "saral-report.pdf", timeout_s=60) == convert_bytes(small, "saral-report.pdf")
    # errors raised in the worker arrive as the same ConversionError
    with pytest.raises(ConversionError, match="is encrypted"):
        convert_path(good_dir.parent / "bad" / "encrypted.pdf", timeout_s=60)
    # and a generous limit lets the long file through
    assert convert_bytes(long_pdf, "long.pdf", timeout_s=120).page_count == 300
