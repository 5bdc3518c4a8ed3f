"""The metadata schema: aliases, derivation, and errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import MetadataError, PayloadTooLargeError
from kb.metadata import (
    build_metadata,
    default_id,
    default_title,
    read_raw_metadata,
    sidecar_path,
    slugify,
    split_front_matter,
)
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


@pytest.mark.parametrize(
    ("filename", "expected_id", "expected_title"),
    [
        ("email.charset.html", "email-charset", "Email charset"),
        ("index.en.html", "index-en", "Index en"),
        ("camlidl-1.04.doc.pdf", "camlidl-1-04-doc", "Camlidl 1 04 doc"),
        ("CM-Window_report.pdf", "cm-window-report", "CM Window report"),
        ("folder/haryana-saral.md", "haryana-saral", "Haryana saral"),
        ("README", "readme", "README"),
    ],
)
def test_id_and_title_come_from_the_whole_name_minus_its_extension(
    filename: str, expected_id: str, expected_title: str
) -> None:
    assert default_id(filename) == expected_id
    assert default_title(filename) == expected_title
    assert default_id(filename) == default_id(filename)  # the same file keeps its id on re-ingest


BOMB = (
    "a: &a ["
    + ",".join(['"x"'] * 9)
    + "]\n"
    + "".join(
        f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        for prev, name in zip("abcdefg", "bcdefgh", strict=True)
    )
)


def test_yaml_anchors_and_aliases_are_refused_in_front_matter_and_sidecars(tmp_path: Path) -> None:
    assert len(BOMB) < 400  # 9**8 strings once expanded
    with pytest.raises(MetadataError, match=r"may not use YAML anchors/aliases \(&name/\*name\)"):
        split_front_matter(f"---\n{BOMB}---\n# Body\n")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    sidecar_path(pdf).write_text(BOMB)
    with pytest.raises(MetadataError, match=r"report\.pdf\.meta\.yaml: .*anchors/aliases"):
        read_raw_metadata(pdf)
    sidecar_path(pdf).write_text("title: &t Report\n")  # a lone anchor is refused too
    with pytest.raises(MetadataError, match="anchors/aliases"):
        read_raw_metadata(pdf)


def test_oversized_and_deeply_nested_metadata_are_refused(tmp_path: Path) -> None:
    big = "---\ntags: [" + ", ".join(["tag"] * 30_000) + "]\n---\n# Body\n"
    limit = r"front matter is [\d,]+ bytes; .* 64 KiB \(KB_MAX_METADATA_BYTES\)"
    with pytest.raises(PayloadTooLargeError, match=limit):
        split_front_matter(big)
    assert split_front_matter(big, max_bytes=1_000_000)[0]["tags"][0] == "tag"
    with pytest.raises(MetadataError, match="nested"):
        split_front_matter("---\nx: " + "[" * 50_000 + "]" * 50_000 + "\n---\n", max_bytes=1_000_000)
    with pytest.raises(MetadataError, match="nested more than 4 levels"):
        split_front_matter("---\nx: [[[[1]]]]\n---\n")
    md = tmp_path / "big.md"
    md.write_text(big)
    with pytest.raises(PayloadTooLargeError, match=r"big\.md: front matter"):
        read_raw_metadata(md)
    # what is stored is capped too: many small fields add up
    with pytest.raises(PayloadTooLargeError, match="as stored; the limit is 1 KiB"):
        build_metadata({"tags": [f"t{i}" for i in range(500)]}, default_id="x", default_title="X", max_bytes=1024)


def test_every_invalid_field_is_reported_at_once() -> None:
    with pytest.raises(MetadataError) as caught:
        build_metadata(
            {"sector": "helth", "year": "20x2", "source_url": "www.example.org", "title": "Fine"},
            source="content/x.md",
            default_id="x",
            default_title="X",
        )
    error = caught.value
    assert [field for field, _ in error.errors] == ["sector", "year", "source_url"]
    assert error.field == "sector"
    message = str(error)
    assert message.startswith("content/x.md: field 'sector': ")
    assert "did you mean 'health'" in message and "write four digits" in message and "https://" in message
