"""Case studies are checked against the agreed shape: warnings, never refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.chunking import Chunker
from ingest.prepare import DocumentPreparer
from ingest.quality import SHAPE, missing_parts, normalise_heading, practice_warnings, stored_practice_warnings
from kb.metadata import build_metadata
from kb.models import Section
from tests.e2e.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
RECORD = {"owner": "Chief Minister's Office, Haryana", "contact": "CM Window cell, cmwindow@hry.nic.in"}


def meta(**raw: Any) -> Any:
    return build_metadata({"type": "case_study", **RECORD, **raw}, default_id="x", default_title="X")


def sections(*headings: str) -> list[Section]:
    return [Section(text="text", heading_path=("The practice", heading)) for heading in headings]


def test_a_case_study_of_the_agreed_shape_gets_no_warnings() -> None:
    shaped = sections("Summary", "Problem", "What was done", "Results", "Challenges", "What it takes to replicate")
    assert practice_warnings(meta(), shaped) == []


@pytest.mark.parametrize(
    "headings",
    [
        ("1. Executive summary", "2. Background & context", "3. Solution", "4. Outcomes", "5. Lessons learnt"),
        ("OVERVIEW", "Context", "Implementation", "Impact", "How to replicate"),
        ("Summary", "The problem", "What was done", "Results and impact", "Replication"),
    ],
)
def test_headings_match_loosely_with_synonyms(headings: tuple[str, ...]) -> None:
    assert missing_parts(list(headings)) == []
    assert practice_warnings(meta(), sections(*headings)) == []


def test_each_missing_part_is_one_warning_naming_the_heading_to_add() -> None:
    warnings = practice_warnings(meta(), sections("Summary", "Background", "Challenges"))
    assert warnings == [
        "case study has no 'What was done' section; add '## What was done' (Solution or Approach also count)",
        "case study has no 'Results' section; add '## Results' (Outcomes or Impact also count)",
        "case study has no 'What it takes to replicate' section; add '## What it takes to replicate' "
        "(Replication or How to replicate also count)",
    ]


def test_challenges_are_not_the_problem_and_a_heading_deeper_down_counts() -> None:
    assert missing_parts(["Challenges"]) == list(SHAPE)
    nested = [Section(text="t", heading_path=("Title", "What was done", "Results of the pilot"))]
    assert "Results" not in missing_parts([h for s in nested for h in s.heading_path])
    assert normalise_heading("II. Lessons Learnt") == "lessons learnt"
    assert normalise_heading("Section 3: Outcomes") == "outcomes"


def test_a_case_study_without_owner_or_contact_is_told_what_to_add() -> None:
    shaped = sections(*SHAPE)
    bare = build_metadata({"type": "case_study"}, default_id="x", default_title="X")
    assert practice_warnings(bare, shaped) == [
        "case study names no owner; add `owner:` (the department that runs the practice)",
        "case study names no contact; add `contact:` with the name, role, email or phone of whom to ask",
    ]


def test_other_types_are_not_held_to_the_case_study_shape() -> None:
    policy = build_metadata({"type": "policy"}, default_id="x", default_title="X")
    assert practice_warnings(policy, sections("Preamble")) == []


def test_stored_metadata_gets_the_same_warnings() -> None:
    payload = meta(owner=None).to_payload()
    assert stored_practice_warnings(payload, sections(*SHAPE)) == [
        "case study names no owner; add `owner:` (the department that runs the practice)"
    ]
    assert stored_practice_warnings({"type": "case_study", "sector": "not one"}, []) == []  # no longer valid


def test_prepared_documents_carry_the_warnings_for_the_ingest_report(chunker: Chunker) -> None:
    preparer = DocumentPreparer(chunker=chunker, model_id="m", max_bytes=10**6, timeout_s=None)
    text = "---\ntype: case_study\nowner: Revenue Department\n---\n# A practice\n\n## Summary\n\nIt works.\n"
    prepared = preparer.prepare(text.encode(), filename="practice.md", raw_meta={})
    missing = [w for w in prepared.warnings if w.startswith("case study has no")]
    assert [w.split("'")[1] for w in missing] == ["Problem", "What was done", "Results", "What it takes to replicate"]
    assert prepared.warnings[-1].startswith("case study names no contact")


def test_the_content_case_studies_have_the_agreed_shape(chunker: Chunker) -> None:
    """Our own case studies are the example contributors copy: their sections must all be there."""
    preparer = DocumentPreparer(chunker=chunker, model_id="m", max_bytes=10**7, timeout_s=None)
    for path in sorted((REPO / "content" / "case-studies").glob("*.md")):
        prepared = preparer.prepare(path.read_bytes(), filename=path.name, raw_meta={})
        assert not [w for w in prepared.warnings if w.startswith("case study has no")], path.name


def test_kb_validate_and_ingest_show_the_warnings(tmp_path: Path) -> None:
    (tmp_path / "practice.md").write_text(
        "---\ntype: case_study\nowner: Revenue Department\n---\n# P\n\n## Summary\n\nx\n"
    )
    result = run_cli("validate", str(tmp_path), "--json")
    assert result.exit_code == 0  # warnings never fail a file
    (valid,) = json.loads(result.stdout)["valid"]
    assert len(valid["warnings"]) == 5 and valid["warnings"][-1].startswith("case study names no contact")
    human = run_cli("ingest", str(tmp_path), "--kb-dir", str(tmp_path / "kb"))
    assert human.exit_code == 0
    assert f"  warning: {tmp_path / 'practice.md'}: case study has no 'Problem' section" in human.stderr
