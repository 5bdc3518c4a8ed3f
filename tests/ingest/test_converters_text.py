"""Plain text converter: paragraphs, underlined and capital headings, title, decoding policy."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest.converters import convert_text
from kb.errors import ConversionError


def test_note_fixture_headings_and_title(good_dir: Path) -> None:
    document = convert_text((good_dir / "cm-window-note.txt").read_bytes(), "cm-window-note.txt")

    assert document.title == "Grievance redressal through CM Window"
    assert document.media_type == "text/plain"
    assert [s.heading_path for s in document.sections] == [(), ("BACKGROUND",), ("HOW IT WORKS",), ("Results",)]
    by_path = {s.heading_path: s.text for s in document.sections}
    assert by_path[()].startswith("The CM Window of Haryana lets any citizen file a grievance")
    assert by_path[("HOW IT WORKS",)].splitlines()[0] == "- A grievance is registered and given a number."
    assert "=====" not in document.text and "-----" not in document.text


def test_plain_paragraphs_without_headings() -> None:
    document = convert_text(b"First paragraph\ncontinues here.\n\n\n\nSecond paragraph.\n", "p.txt")

    assert document.title is None
    assert [(s.heading_path, s.text) for s in document.sections] == [
        ((), "First paragraph\ncontinues here.\n\nSecond paragraph.")
    ]


def test_a_sentence_in_capitals_is_not_a_heading() -> None:
    (section,) = convert_text(b"NOTE THAT ALL FEES ARE WAIVED.\n\nText.\n", "caps.txt").sections

    assert section.heading_path == ()


def test_utf16_with_bom_is_accepted() -> None:
    data = codecs.BOM_UTF16_LE + "Digital India\n\nText in UTF-16.".encode("utf-16-le")

    assert convert_text(data, "notepad.txt").text == "Digital India\n\nText in UTF-16."


def test_invalid_utf8_names_the_byte(bad_dir: Path) -> None:
    with pytest.raises(ConversionError, match=r"invalid-utf8\.txt is not UTF-8 text \(invalid byte 0xe9 at byte 19\)"):
        convert_text((bad_dir / "invalid-utf8.txt").read_bytes(), "invalid-utf8.txt")


def test_invalid_utf8_after_a_bom_names_the_byte_in_the_file() -> None:
    with pytest.raises(ConversionError, match=r"at byte 5\)"):
        convert_text(codecs.BOM_UTF8 + b"ab\xffcd", "bom.txt")


@pytest.mark.parametrize("data", [b"", b" \n\t\r\n "])
def test_empty_or_whitespace_only_is_empty(data: bytes) -> None:
    with pytest.raises(ConversionError, match=r"^blank\.txt is empty$"):
        convert_text(data, "blank.txt")
