"""The curated corpus in content/ and the public evaluation set in tests/eval/.

These tests read metadata and text only; nothing is converted, embedded or indexed, so they run in
about a second. They guard what makes the demo data set trustworthy: every file validates under the
schema, ids are unique and stable, links between records resolve, case studies and MoUs keep the
section shape officials scan for, the corpus is broad enough to be worth searching, and every id
the evaluation set expects actually exists.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from kb.metadata import (
    SIDECAR_SUFFIX,
    DocumentMetadata,
    build_metadata,
    is_markdown,
    read_raw_metadata,
    split_front_matter,
)
from kb.vocab import DocType, Level

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTENT = REPO_ROOT / "content"
EVAL_FILE = REPO_ROOT / "tests" / "eval" / "queries.jsonl"
SCRIPTS = REPO_ROOT / "scripts"
SOURCES = SCRIPTS / "content_sources"

DOCUMENT_SUFFIXES = {".md", ".markdown", ".pdf", ".docx", ".html", ".htm", ".txt"}
EVAL_KINDS = {"paraphrase", "exact", "question", "filtered", "hindi", "synonym", "other_language"}
FILTER_KEYS = {"states", "sector", "type", "year_from", "year_to"}

CASE_STUDY_SECTIONS = [
    "Summary",
    "Problem",
    "What was done",
    "Results",
    "Challenges",
    "What it takes to replicate",
    "Links",
]
MOU_SECTIONS = ["Parties", "Date and place", "Purpose", "Areas of cooperation", "Duration", "Status"]


def _document_files() -> list[Path]:
    return sorted(
        p
        for p in CONTENT.rglob("*")
        if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES and not p.name.endswith(SIDECAR_SUFFIX)
    )


def _load(path: Path) -> DocumentMetadata:
    raw = read_raw_metadata(path)
    return build_metadata(raw, source=str(path), default_id=path.stem, default_title=path.stem)


FILES = _document_files()
METAS: dict[Path, DocumentMetadata] = {path: _load(path) for path in FILES}
IDS = {meta.id for meta in METAS.values()}


def _h2_headings(path: Path) -> list[str]:
    body = split_front_matter(path.read_text(encoding="utf-8"))[1]
    return [m.group(1).strip() for m in re.finditer(r"^## (.+)$", body, re.MULTILINE)]


def _eval_lines() -> list[dict]:
    lines = EVAL_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_every_file_has_explicit_valid_metadata(path: Path) -> None:
    raw = read_raw_metadata(path)
    assert raw, f"{_rel(path)} has no front matter or sidecar"
    for field in ("id", "title", "type", "sector", "level"):
        assert raw.get(field), f"{_rel(path)}: set '{field}' explicitly"
    meta = METAS[path]
    if meta.level is Level.NATIONAL and meta.type is not DocType.NEWS:
        assert meta.states == [], f"{_rel(path)}: national platforms use states: []"
    if meta.level is not Level.NATIONAL:
        assert meta.states, f"{_rel(path)}: a state, district or local practice names its state(s)"
    assert meta.language in {"en", "hi"}


def test_ids_are_unique() -> None:
    counts = Counter(meta.id for meta in METAS.values())
    duplicates = {i: n for i, n in counts.items() if n > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"


@pytest.mark.parametrize("path", [p for p in FILES if is_markdown(p)], ids=_rel)
def test_markdown_starts_with_h1_matching_title(path: Path) -> None:
    body = split_front_matter(path.read_text(encoding="utf-8"))[1].lstrip()
    first = body.splitlines()[0]
    assert first == f"# {METAS[path].title}", f"{_rel(path)}: first line should be '# {METAS[path].title}'"


def test_corpus_size_and_breadth() -> None:
    metas = list(METAS.values())
    assert len(metas) >= 60
    sectors = {m.sector for m in metas}
    assert len(sectors) >= 15, sorted(sectors)
    states = {s for m in metas for s in m.states}
    assert len(states) >= 20, sorted(states)
    assert {m.type for m in metas} == set(DocType), "every document type is represented"
    assert any(m.level is Level.NATIONAL and not m.states for m in metas)
    assert any(m.language == "hi" for m in metas), "at least one Hindi document"


def test_long_documents_with_deep_structure() -> None:
    long_docs = []
    for path in FILES:
        if not is_markdown(path):
            continue
        text = path.read_text(encoding="utf-8")
        body = split_front_matter(text)[1]
        words = len(body.split())
        if words >= 1500 and re.search(r"^#### ", body, re.MULTILINE):
            long_docs.append(path)
    assert len(long_docs) >= 3, [_rel(p) for p in long_docs]


def test_related_links_resolve() -> None:
    broken = [(_rel(path), rid) for path, meta in METAS.items() for rid in meta.related if rid not in IDS]
    assert not broken, f"unresolved related ids: {broken}"
    self_links = [_rel(path) for path, meta in METAS.items() if meta.id in meta.related]
    assert not self_links


def test_case_studies_follow_the_shape() -> None:
    bad = {}
    for path, meta in METAS.items():
        if meta.type is DocType.CASE_STUDY and is_markdown(path):
            headings = _h2_headings(path)
            found = [h for h in headings if h in CASE_STUDY_SECTIONS]
            if found != CASE_STUDY_SECTIONS:
                bad[_rel(path)] = headings
    assert not bad, f"case studies need exactly these sections in order {CASE_STUDY_SECTIONS}: {bad}"


def test_mous_follow_the_shape() -> None:
    mous = [p for p, m in METAS.items() if m.type is DocType.MOU and is_markdown(p)]
    assert mous
    for path in mous:
        headings = _h2_headings(path)
        found = [h for h in headings if h in MOU_SECTIONS]
        assert found == MOU_SECTIONS, f"{_rel(path)}: {headings}"
        assert METAS[path].parties, f"{_rel(path)}: an MoU lists its parties"


def test_generated_formats_exist_with_sidecars() -> None:
    by_suffix = Counter(p.suffix.lower() for p in FILES)
    assert by_suffix[".pdf"] >= 3
    assert by_suffix[".docx"] >= 2
    assert by_suffix[".html"] >= 1
    assert by_suffix[".txt"] >= 1
    for path in FILES:
        if not is_markdown(path):
            assert (path.parent / (path.name + SIDECAR_SUFFIX)).exists(), f"{_rel(path)} lacks a sidecar"


def test_generated_files_come_from_sources() -> None:
    """Each non-Markdown document has a Markdown source with the same id (so it is regenerated)."""
    source_ids = set()
    for src in sorted(SOURCES.glob("*.md")):
        front = split_front_matter(src.read_text(encoding="utf-8"))[0]
        source_ids.add(front["id"])
    generated_ids = {m.id for p, m in METAS.items() if not is_markdown(p)}
    assert generated_ids <= source_ids


def test_no_orphan_sidecars() -> None:
    orphans = [
        _rel(p)
        for p in CONTENT.rglob(f"*{SIDECAR_SUFFIX}")
        if not (p.parent / p.name.removesuffix(SIDECAR_SUFFIX)).exists()
    ]
    assert not orphans


def test_eval_lines_are_well_formed() -> None:
    lines = _eval_lines()
    assert len(lines) >= 80
    for n, line in enumerate(lines, 1):
        assert set(line) <= {"q", "relevant", "filters", "kind"}, f"line {n}: unknown keys {set(line)}"
        assert isinstance(line["q"], str) and line["q"].strip(), f"line {n}: empty query"
        assert line["kind"] in EVAL_KINDS, f"line {n}: unknown kind {line['kind']}"
        assert isinstance(line["relevant"], list) and line["relevant"], f"line {n}: no relevant ids"
        if line["kind"] == "filtered":
            assert line.get("filters"), f"line {n}: a filtered query carries filters"
        if "filters" in line:
            assert set(line["filters"]) <= FILTER_KEYS, f"line {n}: unknown filter {line['filters']}"
    queries = [line["q"] for line in lines]
    assert len(queries) == len(set(queries)), "duplicate queries"


def test_eval_kinds_are_balanced() -> None:
    kinds = Counter(line["kind"] for line in _eval_lines())
    assert set(kinds) == EVAL_KINDS, kinds
    assert kinds["hindi"] >= 5
    assert kinds["synonym"] >= 20  # issue 15: one state's word in the query, another's in the document
    assert all(n >= 5 for n in kinds.values()), kinds


def test_eval_relevant_ids_exist() -> None:
    missing = [(line["q"], rid) for line in _eval_lines() for rid in line["relevant"] if rid not in IDS]
    assert not missing, f"eval ids not in content/: {missing}"


def test_eval_filters_agree_with_relevant_documents() -> None:
    """A filtered query whose relevant documents the filter excludes could never be answered."""
    by_id = {meta.id: meta for meta in METAS.values()}
    for line in _eval_lines():
        filters = line.get("filters") or {}
        for rid in line["relevant"]:
            meta = by_id[rid]
            if "states" in filters:
                assert set(filters["states"]) & set(meta.states), (line["q"], rid)
            if "sector" in filters:
                assert meta.sector.value == filters["sector"], (line["q"], rid)
            if "type" in filters:
                assert meta.type.value == filters["type"], (line["q"], rid)
            if "year_from" in filters:
                assert meta.year is not None and meta.year >= filters["year_from"], (line["q"], rid)
            if "year_to" in filters:
                assert meta.year is not None and meta.year <= filters["year_to"], (line["q"], rid)


def test_hindi_queries_are_in_devanagari() -> None:
    for line in _eval_lines():
        if line["kind"] == "hindi":
            assert re.search(r"[\u0900-\u097F]", line["q"]), line["q"]


def test_other_language_queries_are_in_an_indian_script_and_not_all_hindi() -> None:
    """Marathi shares Devanagari with Hindi; Tamil, Bengali and Punjabi queries have their own scripts."""
    others = [line["q"] for line in _eval_lines() if line["kind"] == "other_language"]
    assert all(re.search(r"[\u0900-\u0DFF]", q) and not re.search(r"[A-Za-z]", q) for q in others), others
    assert len({_script(q) for q in others}) >= 3, others


def _script(text: str) -> str:
    import unicodedata

    return next(unicodedata.name(c).split()[0] for c in text if c.isalpha())


def test_generated_files_are_up_to_date() -> None:
    """Re-rendering every source gives byte-identical files (deterministic, and nobody hand-edited them)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_content_formats", SCRIPTS / "make_content_formats.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    stale = []
    for src in sorted(SOURCES.glob("*.md")):
        for path, data in module.outputs(module.load_source(src)).items():
            if not path.exists() or path.read_bytes() != data:
                stale.append(_rel(path))
    assert not stale, f"run .venv/bin/python scripts/make_content_formats.py; stale: {stale}"
