"""``adoptions.yaml`` beside a corpus: loaded by ``kb ingest FOLDER``, idempotent, bad entries named by
file and line; and content/adoptions.yaml names real practices of content/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kb.catalog import Catalog
from kb.settings import Settings
from search.services.adoption_file import parse
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import run_cli


def _doc(folder: Path, doc_id: str, state: str) -> None:
    (folder / f"{doc_id}.md").write_text(
        f"---\nid: {doc_id}\ntitle: {doc_id}\ntype: case_study\nstates: [{state}]\nsector: health\nyear: 2020\n---\n"
        f"# {doc_id}\n\nA practice of {state} for clinics and patients.\n"
    )


GOOD = """\
adoptions:
  - practice: haryana-clinic
    state: Punjab
    status: piloting
    note: "Punjab's note says so"
    adopter_document: punjab-clinic
"""


BAD = """\
  - practice: no-such-practice
    state: Punjab
    status: adopted
    note: x
  - practice: haryana-clinic
    state: Haryana
    status: adopted
    note: its own
  - practice: punjab-clinic
    state: Kerala
    status: copied
    note: x
  - practice: punjab-clinic
    state: Kerala
    status: adopted
    who: someone
  - practice: punjab-clinic
    state: Atlantis
    status: adopted
    note: x
  - practice: punjab-clinic
    state: Kerala
    status: exploring
  - practice: haryana-clinic
    state: punjab
    status: dropped
    note: again
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("adoption-corpus")
    _doc(folder, "haryana-clinic", "Haryana")
    _doc(folder, "punjab-clinic", "Punjab")
    return folder


def _ingest(corpus: Path, kb_dir: Path) -> tuple[int, dict[str, Any], str]:
    result = run_cli("ingest", str(corpus), "--kb-dir", str(kb_dir), "--json")
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_the_file_is_loaded_once_and_changes_add_history(corpus: Path, tmp_path: Path) -> None:
    (corpus / "adoptions.yaml").write_text(GOOD)
    kb_dir = tmp_path / "kb"
    code, report, err = _ingest(corpus, kb_dir)
    assert code == 0 and report["failed"] == [], report
    assert "adoptions (" in err and "1 recorded, 0 changed, 0 unchanged, 0 failed" in err
    code, _, err = _ingest(corpus, kb_dir)
    assert code == 0 and "0 recorded, 0 changed, 1 unchanged" in err
    (corpus / "adoptions.yaml").write_text(GOOD.replace("piloting", "adopted"))
    code, _, err = _ingest(corpus, kb_dir)
    assert code == 0 and "0 recorded, 1 changed" in err
    with Catalog(Settings(kb_dir=kb_dir).catalog_path) as catalog:
        (adoption,) = catalog.adoptions_of("haryana-clinic")
        assert (adoption.state, adoption.status, adoption.adopter_document_id) == ("Punjab", "adopted", "punjab-clinic")
        assert [h.status for h in adoption.history] == ["piloting", "adopted"] and adoption.history[0].actor == "cli"


def test_bad_entries_are_named_by_file_and_line_and_the_good_ones_still_recorded(corpus: Path, tmp_path: Path) -> None:
    (corpus / "adoptions.yaml").write_text(GOOD + BAD)
    code, report, _err = _ingest(corpus, tmp_path / "kb")
    assert code == 1
    failures = [(f["path"], f["error"]) for f in report["failed"]]
    path = str(corpus / "adoptions.yaml")
    assert all(p == path for p, _ in failures)
    errors = [e for _, e in failures]
    assert errors == [
        "line 7: practice: no document with id 'no-such-practice' in the knowledge base",
        "line 11: 'haryana-clinic' is Haryana's own practice; record adoptions by other states",
        "line 15: status: 'copied' is not one of exploring, piloting, adopted, dropped",
        "line 22: unknown field 'who'; the fields are practice, state, status, note, adopter_document, contact",
        "line 23: state: 'Atlantis' is not a state or union territory of India; "
        "use a state or UT name such as 'Haryana'",
        "line 27: missing note (every entry needs practice, state, status, note)",
        "line 30: Punjab's adoption of 'haryana-clinic' is already on line 2",
    ]
    with Catalog(Settings(kb_dir=tmp_path / "kb").catalog_path) as catalog:
        assert [a.status for a in catalog.adoptions_of("haryana-clinic")] == ["piloting"]  # the good one
        assert catalog.adoptions_of("punjab-clinic") == []


def test_a_file_that_is_not_yaml_is_one_failure_with_its_line(corpus: Path, tmp_path: Path) -> None:
    (corpus / "adoptions.yaml").write_text("adoptions:\n  - practice: [unclosed\n")
    code, report, _ = _ingest(corpus, tmp_path / "kb")
    assert code == 1
    (failure,) = report["failed"]
    assert failure["path"].endswith("adoptions.yaml") and failure["error"].startswith("line 3: not valid YAML")


def test_content_adoptions_name_real_practices_of_other_states() -> None:
    from tests.test_content import METAS

    by_id = {meta.id: meta for meta in METAS.values()}
    entries, problems = parse(REPO_ROOT / "content" / "adoptions.yaml")
    assert problems == [] and entries
    for entry in entries:
        assert entry.practice in by_id and entry.state not in by_id[entry.practice].states
        assert entry.adopter_document is None or entry.adopter_document in by_id
        assert entry.adopter_document is None or entry.state in by_id[entry.adopter_document].states
        assert entry.note.strip()
