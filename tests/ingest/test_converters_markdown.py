"""Markdown converter: heading tree, front matter, clause markers, tables, title rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.converters import convert_markdown
from kb.errors import ConversionError, MetadataError
from kb.models import ConvertedDocument


def _by_path(document: ConvertedDocument) -> dict[tuple[str, ...], str]:
    return {section.heading_path: section.text for section in document.sections}


def test_mou_fixture_keeps_the_heading_tree_and_title(good_dir: Path) -> None:
    document = convert_markdown((good_dir / "mou-kerala-karnataka.md").read_bytes(), "mou.md")

    assert document.media_type == "text/markdown"
    assert document.title == "MoU between Kerala and Karnataka on e-District services"
    assert document.page_count is None
    assert [section.heading_path for section in document.sections] == [
        (),
        ("Recitals",),
        ("Clauses", "Clause 1 - Scope"),
        ("Clauses", "Clause 2 - Obligations of the Parties"),
        ("Clauses", "Clause 3 - Term and termination"),
        ("Schedule of services",),
    ]
    assert all(section.page is None for section in document.sections)


def test_front_matter_is_stripped_and_markup_removed(good_dir: Path) -> None:
    document = convert_markdown((good_dir / "mou-kerala-karnataka.md").read_bytes(), "mou.md")
    text = document.text

    assert "sector:" not in text and "\n---\n" not in text and not text.startswith("---")
    assert "**" not in text and "*Centre" not in text
    assert _by_path(document)[()].startswith("This Memorandum of Understanding is entered into")
    assert "Kerala State IT\nMission and the Centre for e-Governance, Karnataka." in text


def test_numbered_clauses_tables_quotes_and_code_survive(good_dir: Path) -> None:
    sections = _by_path(convert_markdown((good_dir / "mou-kerala-karnataka.md").read_bytes(), "mou.md"))

    assert sections[("Clauses", "Clause 1 - Scope")].splitlines() == [
        "1. The Parties shall share the design of the e-District workflow engine.",
        "2. The Parties shall exchange service-level dashboards every quarter.",
        "3. Each Party shall nominate a nodal officer within thirty days.",
    ]
    assert sections[("Clauses", "Clause 2 - Obligations of the Parties")].startswith("(a) Kerala State IT")
    assert sections[("Clauses", "Clause 3 - Term and termination")].splitlines()[1].startswith("3.2 Either")
    schedule = sections[("Schedule of services",)]
    assert schedule.splitlines()[:4] == [
        "| Service | Kerala | Karnataka |",
        "|---|---|---|",
        "| Income certificate | 3 days | 7 days |",
        "| Caste certificate | 5 days | 7 days |",
    ]
    assert "Signed at Thiruvananthapuram in two originals" in schedule
    assert ">" not in schedule and "```" not in schedule
    assert "Annexure code: KL-KA-2021-07" in schedule


def test_lists_keep_their_markers_start_numbers_and_nesting() -> None:
    source = b"# T\n\n3. third\n4. fourth\n   - nested bullet\n\n* star item\n\n1) paren\n"
    (section,) = convert_markdown(source, "x.md").sections

    assert section.text.split("\n\n") == ["3. third\n4. fourth\n   - nested bullet", "- star item", "1) paren"]


def test_several_h1s_are_part_of_the_path_and_the_first_is_the_title() -> None:
    source = b"# Part A\n\nIntro A.\n\n## Detail\n\nText.\n\n# Part B\n\nIntro B.\n"
    document = convert_markdown(source, "x.md")

    assert document.title == "Part A"
    assert [s.heading_path for s in document.sections] == [("Part A",), ("Part A", "Detail"), ("Part B",)]


def test_no_h1_means_no_title_and_paths_from_h2() -> None:
    document = convert_markdown(b"Preamble.\n\n## Scope\n\nText.\n\n### Deeper\n\nMore.\n", "x.md")

    assert document.title is None
    assert [s.heading_path for s in document.sections] == [(), ("Scope",), ("Scope", "Deeper")]


def test_setext_headings_inline_html_and_links() -> None:
    source = b"Title\n=====\n\nSee [the portal](https://x.gov.in) and <b>bold</b> text.<br>Next line.\n"
    document = convert_markdown(source, "x.md")

    assert document.title == "Title"
    assert document.sections[0].text == "See the portal and bold text.\nNext line."


def test_html_block_is_reduced_to_text() -> None:
    source = b"## Note\n\n<div class='box'>\n<p>Inside a box</p>\n<script>alert(1)</script>\n</div>\n"
    (section,) = convert_markdown(source, "x.md").sections

    assert section.text == "Inside a box"


def test_only_front_matter_is_an_error() -> None:
    with pytest.raises(ConversionError, match="contains no text"):
        convert_markdown(b"---\ntitle: x\n---\n\n", "only-meta.md")


def test_invalid_front_matter_yaml_is_a_metadata_error() -> None:
    with pytest.raises(MetadataError, match="front matter is not valid YAML"):
        convert_markdown(b"---\ntitle: [unclosed\n---\n\n# T\n\nBody.\n", "bad.md")


def test_utf8_bom_and_crlf_are_accepted() -> None:
    document = convert_markdown("\ufeff# Título\r\n\r\nTexto en español.\r\n".encode(), "x.md")

    assert document.title == "Título"
    assert document.sections[0].text == "Texto en español."
