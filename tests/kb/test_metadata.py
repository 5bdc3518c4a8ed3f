"""The metadata schema: aliases, derivation, and errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import MetadataError
from kb.metadata import build_metadata, read_raw_metadata, sidecar_path, slugify, split_front_matter
from kb.vocab import DocType, Level, Sector, canonical_state


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("J&K", "Jammu and Kashmir"),
        ("Jammu & Kashmir", "Jammu and Kashmir"),
        ("JK", "Jammu and Kashmir"),
        ("jammu and kashmir", "Jammu and Kashmir"),
        ("Orissa", "Odisha"),
        ("NCT of Delhi", "Delhi"),
        ("  haryana ", "Haryana"),
    ],
)
def test_state_aliases_are_normalised(given: str, expected: str) -> None:
    assert canonical_state(given) == expected


def test_unknown_state_names_the_closest_match() -> None:
    with pytest.raises(ValueError, match="did you mean 'Haryana'"):
        canonical_state("Hariyana")


def test_missing_id_and_title_are_derived() -> None:
    meta = build_metadata({}, default_id="CM Window Report", default_title="CM Window")
    assert meta.id == "cm-window-report"
    assert meta.title == "CM Window"
    assert meta.type is DocType.OTHER and meta.level is Level.STATE


def test_fields_are_parsed_and_year_comes_from_date() -> None:
    meta = build_metadata(
        {
            "type": "MoU",
            "sector": "Land Records",
            "states": "J&K, Haryana",
            "date": "2022-11-26",
            "custom": 1,
        },
        default_id="x",
        default_title="X",
    )
    assert meta.type is DocType.MOU
    assert meta.sector is Sector.LAND_RECORDS
    assert meta.states == ["Jammu and Kashmir", "Haryana"]
    assert meta.year == 2022
    assert meta.extra == {"custom": 1}


@pytest.mark.parametrize(
    ("raw", "field", "fix"),
    [
        ({"sector": "helth"}, "sector", "did you mean 'health'"),
        ({"type": "case-studdy"}, "type", "did you mean 'case_study'"),
        ({"states": ["Hariyana"]}, "states", "did you mean 'Haryana'"),
        ({"year": "20x2"}, "year", "write four digits"),
        ({"year": 1850}, "year", "between 1947"),
        ({"id": "Bad Id!"}, "id", "e.g. 'bad-id'"),
        ({"language": "english"}, "language", "two letters"),
        ({"source_url": "www.example.org"}, "source_url", "https://"),
    ],
)
def test_invalid_fields_name_file_field_and_fix(raw: dict[str, object], field: str, fix: str) -> None:
    with pytest.raises(MetadataError) as caught:
        build_metadata(raw, source="content/x.md", default_id="x", default_title="X")
    message = str(caught.value)
    assert message.startswith("content/x.md: ")
    assert f"field '{field}'" in message
    assert fix in message
    assert caught.value.field == field


def test_front_matter_is_split_from_the_body() -> None:
    meta, body = split_front_matter("---\ntitle: A\nstates: [J&K]\n---\n# A\n\nText\n")
    assert meta == {"title": "A", "states": ["J&K"]}
    assert body == "# A\n\nText\n"
    assert split_front_matter("# No front matter\n") == ({}, "# No front matter\n")


def test_broken_front_matter_is_a_metadata_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: [unclosed\n---\nbody\n")
    with pytest.raises(MetadataError, match=r"bad\.md: front matter is not valid YAML"):
        read_raw_metadata(path)


def test_sidecar_is_read_for_other_formats(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert sidecar_path(pdf).name == "report.pdf.meta.yaml"
    assert read_raw_metadata(pdf) == {}
    sidecar_path(pdf).write_text("title: Report\nstates: [Haryana]\n")
    assert read_raw_metadata(pdf) == {"title": "Report", "states": ["Haryana"]}
    sidecar_path(pdf).write_text("- a list\n")
    with pytest.raises(MetadataError, match="must be a YAML mapping"):
        read_raw_metadata(pdf)


def test_slugify_is_ascii_and_stable() -> None:
    assert slugify("J&K Digital Vision (2022).pdf") == "j-k-digital-vision-2022-pdf"
    assert slugify("हरियाणा") == "document"
