"""Does a case study have the shape officials can act on? Warnings, never refusals.

The exchange agreed on the shape of a case study after the OECD Observatory of Public Sector
Innovation's case studies: **Summary, Problem, What was done, Results, What it takes to replicate**,
and a practice record that says who runs it (``owner``) and whom to ask (``contact``). A state
reading another state's practice needs all of that to decide whether to adopt it. A case study that
lacks some of it is still accepted (a partial record is better than none, and curators can ask for
the rest), but the contributor is told what is missing: in ``kb ingest``'s report, in the upload's
job (``GET /v1/jobs/{id}``) and, through the same function, in the review queue.

Headings are matched loosely: case and punctuation do not matter, numbering ("2. Background") is
ignored, and each part has its common synonyms ("Background"/"Context" for the problem,
"Outcomes"/"Impact" for the results, "Lessons"/"Replication" for what it takes to replicate).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from kb.catalog import Catalog, DocumentRecord
from kb.metadata import DocumentMetadata
from kb.models import Section
from kb.vocab import DocType

# Each part of the agreed shape and the headings that count as it (normalised: lower case, words only).
SHAPE: dict[str, tuple[str, ...]] = {
    "Summary": ("summary", "executive summary", "overview", "abstract", "at a glance", "in brief", "synopsis"),
    "Problem": ("problem", "background", "context", "problem statement", "rationale", "need", "why it was needed"),
    "What was done": (
        "what was done",
        "solution",
        "approach",
        "implementation",
        "what we did",
        "intervention",
        "how it works",
        "design",
    ),
    "Results": ("results", "outcomes", "impact", "outcome", "achievements", "benefits"),
    "What it takes to replicate": (
        "what it takes to replicate",
        "replication",
        "how to replicate",
        "lessons",
        "lessons learnt",
        "lessons learned",
        "replicating",
        "replicability",
        "requirements",
    ),
}
_NUMBERING = re.compile(r"^(?:(?:section|part|chapter)\s+)?(?:\d+|[ivx]+|[a-z])(?:\.\d+)*[.):]?\s+")


def normalise_heading(heading: str) -> str:
    """``"2. Background & Context"`` -> ``"background and context"``: what matching compares."""
    text = heading.lower().replace("&", " and ").strip()
    text = _NUMBERING.sub("", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _matches(heading: str, synonyms: tuple[str, ...]) -> bool:
    """The heading is, or contains as whole words, one of the synonyms ("Results and impact")."""
    padded = f" {heading} "
    return any(f" {synonym} " in padded for synonym in synonyms)


def missing_parts(headings: Sequence[str]) -> list[str]:
    """The parts of the agreed shape that none of ``headings`` stands for, in the shape's order."""
    normalised = [normalise_heading(h) for h in headings if h.strip()]
    return [part for part, synonyms in SHAPE.items() if not any(_matches(h, synonyms) for h in normalised)]


def practice_warnings(meta: DocumentMetadata, sections: Sequence[Section]) -> list[str]:
    """What a case study lacks of the agreed shape and the practice record; [] for other types.

    Pure: it looks only at the metadata and the headings of the sections (every level of each
    heading path), so the ingest report, the upload's job and the review queue can all call it.
    """
    if meta.type is not DocType.CASE_STUDY:
        return []
    headings = list(dict.fromkeys(h for section in sections for h in section.heading_path))
    warnings = [
        f"case study has no '{part}' section; add '## {part}' "
        f"({' or '.join(s.capitalize() for s in SHAPE[part][1:3])} also count)"
        for part in missing_parts(headings)
    ]
    if not meta.owner:
        warnings.append("case study names no owner; add `owner:` (the department that runs the practice)")
    if meta.contact is None:
        warnings.append(
            "case study names no contact; add `contact:` with the name, role, email or phone of whom to ask"
        )
    return warnings


def stored_practice_warnings(metadata: Mapping[str, Any], sections: Sequence[Section]) -> list[str]:
    """:func:`practice_warnings` for metadata as the catalog stores it (a submission, a version).

    Stored metadata was valid when it was written; should an older record no longer validate, there
    is nothing useful to say about its shape, so it gets no warnings rather than an error.
    """
    try:
        meta = DocumentMetadata.model_validate(dict(metadata))
    except ValidationError:
        return []
    return practice_warnings(meta, sections)


def document_warnings(catalog: Catalog, record: DocumentRecord) -> list[str]:
    """The warnings of a stored document's current version (what an upload's job reports)."""
    if record.type != DocType.CASE_STUDY.value:
        return []
    return stored_practice_warnings(record.metadata, catalog.sections(record.id))
