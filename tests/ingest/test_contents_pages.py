"""Tables of contents and indexes: recognised by one rule, kept in the catalog, never chunked."""

from __future__ import annotations

import pytest

from ingest.chunking import Chunker
from ingest.chunking_text import CONTENTS_MIN_LINES, contents_sections, is_contents_text, is_page_reference
from ingest.converters import convert_pdf
from ingest.prepare import DocumentPreparer

CONTENTS = [
    "Table of Contents",
    "Preface . . . . . . . . . . . . . . . . . . . . . . . . . iii",
    "1 Introduction . . . . . . . . . . . . . . . . . . . . . . 2",
    "1.1 Why mutation pendency matters ............................ 2",
    "1.2 What the districts reported ............................... 2",
    "2 Weekly review by the tehsildar . . . . . . . . . . . . . 3",
    "2.1 Escalation to the Deputy Commissioner ..................... 3",
    "3 Results . . . . . . . . . . . . . . . . . . . . . . . . . 3",
]
INDEX = [
    "Index",
    "A",
    "Ambala district, 2, 3",
    "appeals . . . . . . . . . . . . . . . . . . 3",
    "B",
    "backlog of mutations, 2",
    "Deputy Commissioner . . . . . . . . . . . 3",
    "escalation . . . . . . . . . . . . . . . . 3",
    "tehsildar, 2-3",
]
BODY = (
    "Pending mutations fell by half once every tehsildar reviewed each case older than ninety days "
    "in a weekly meeting and recorded the reason for the delay."
)


@pytest.mark.parametrize(
    "line",
    [
        "1.1 The R environment ............................................. 2",
        "Preface . . . . . . . . . . . . . . . . . . . . . . . . . . . 1",
        "Classes . . . . . . . . . . . . . . . . . . . . . 16, 52",
        "%*% . . . . . . . . . . . . . . . . . . . . . . 24",  # a function index: no letters at all
        "Introduction\t3",  # Word's contents field: title, tab, page
        "Chapter 4 Grievance redressal . . . . . . . . . . . . . .",  # page number on the next line
        "tehsildar, 2-3",
    ],
)
def test_contents_and_index_lines_are_page_references(line: str) -> None:
    assert is_page_reference(line)


@pytest.mark.parametrize(
    "line",
    [
        "| Ambala | 12,410 | 2,115 | 19 |",  # a Markdown table row
        "Ambala 12,410 2,115 19",  # a flattened statistics row: the number follows a number
        "Part ii",  # a roman numeral without leaders is a heading
        "42",  # a page footer
        "Pending mutations fell by half once every tehsildar reviewed each case.",
    ],
)
def test_data_and_prose_lines_are_not(line: str) -> None:
    assert not is_page_reference(line)


def test_the_threshold_is_half_of_the_lines_and_at_least_five() -> None:
    entries = [f"Section {n} . . . . . . . . . {n + 2}" for n in range(1, CONTENTS_MIN_LINES + 1)]
    prose = [BODY] * CONTENTS_MIN_LINES
    assert is_contents_text("\n".join(entries + prose))  # exactly half
    assert not is_contents_text("\n".join(entries + prose + [BODY]))  # just under half
    assert not is_contents_text("\n".join(entries[:-1]))  # all of them, but only four
    assert not is_contents_text("\n".join(["| District | Pending |", "|---|---|"] + ["| Ambala | 12 |"] * 9))


def _report_pdf() -> bytes:
    """Four pages: contents, two pages of text, an index (fpdf, Helvetica)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in (
        CONTENTS,
        [BODY] * 3,
        ["Escalation to the Deputy Commissioner is automatic after ninety days."],
        INDEX,
    ):
        pdf.add_page()
        for line in page:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_contents_and_index_pages_stay_in_the_sections_but_are_not_chunked(chunker: Chunker) -> None:
    document = convert_pdf(_report_pdf(), "pendency-review.pdf")
    assert [section.page for section in document.sections] == [1, 2, 3, 4]
    assert "1.1 Why mutation pendency matters" in document.sections[0].text  # kept for the document page
    assert contents_sections(document.sections) == [0, 3]
    chunks = chunker.chunk(document, title="Pendency review")
    assert {chunk.page for chunk in chunks} <= {2, 3}  # pages of one heading may share a chunk
    text = " ".join(" ".join(chunk.text for chunk in chunks).split())  # PDF lines wrap
    assert "Escalation to the Deputy Commissioner is automatic" in text and BODY in text
    assert "Why mutation pendency matters" not in text and "backlog of mutations" not in text

    preparer = DocumentPreparer(chunker=chunker, model_id="m", max_bytes=10**7, timeout_s=None)
    prepared = preparer.prepare(_report_pdf(), filename="pendency-review.pdf", raw_meta={"sector": "land_records"})
    assert prepared.contents_sections == 2
    assert len(prepared.converted.sections) == 4 and len(prepared.chunks) == len(chunks)
