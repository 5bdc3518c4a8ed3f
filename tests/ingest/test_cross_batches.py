"""`kb ingest` fills embedding batches across small files, and still writes every file on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.service import Ingestor
from kb.catalog import Catalog
from kb.embedding import DENSE_DIM
from kb.settings import Settings
from kb.store import open_store

pytestmark = pytest.mark.slow

NOTES = [
    "Pending mutations are reviewed every Monday by the tehsildar.",
    "Each grievance gets an SMS when it is registered and when it is closed.",
    "Land records are signed digitally before they are issued to citizens.",
    "The block office hears complaints by video every Thursday afternoon.",
    "Birth certificates are delivered within seven days of the application.",
    "Ration cards are linked to the family identity database of the state.",
]


class CountingPipeline:
    """The real embedding pipeline, counting its runs and the documents each one embeds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batches: list[int] = []

    def warm_up(self) -> None:
        self.inner.warm_up()

    def run(self, data: dict[str, Any]) -> Any:
        self.batches.append(len(data["dense"]["documents"]))
        return self.inner.run(data)


def _write_notes(folder: Path, *, clash: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, body in enumerate(NOTES):
        doc_id = "note-0" if clash and n == 3 else f"note-{n}"
        (folder / f"note-{n}.md").write_text(
            f"---\nid: {doc_id}\ntitle: Note {n}\ntype: guideline\nstates: [Haryana]\nsector: land_records\n"
            f"year: 2023\n---\n# Note {n}\n\n{body}\n",
            encoding="utf-8",
        )


def _ingest(kb_dir: Path, folder: Path, *, group_chunks: int | None) -> tuple[Any, dict[str, Any], CountingPipeline]:
    settings = Settings(kb_dir=kb_dir)
    with Catalog(settings.resolved_catalog_url()) as catalog, open_store(settings, dense_dim=DENSE_DIM) as store:
        ingestor = Ingestor(settings, store=store, catalog=catalog)
        ingestor.group_chunks = group_chunks
        counting = CountingPipeline(ingestor.embedding)
        ingestor.embedding = counting  # type: ignore[assignment]
        ingestor.warm_up()
        report = ingestor.ingest_paths([folder])
        vectors = {d.id: (d.meta, np.array(d.embedding)) for d in store.scroll(None, with_vectors=True)}
        assert not catalog.write_intents()  # every write finished its steps
        return report, vectors, counting


def test_small_files_share_one_embedding_call_and_get_the_same_vectors(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    _write_notes(folder)
    report, grouped, counting = _ingest(tmp_path / "grouped", folder, group_chunks=None)
    assert report.added == [f"note-{n}" for n in range(len(NOTES))] and not report.failed
    assert counting.batches == [len(NOTES)]  # one call for all six one-chunk notes
    _, separate, one_each = _ingest(tmp_path / "alone", folder, group_chunks=1)
    assert one_each.batches == [1] * len(NOTES)
    assert grouped.keys() == separate.keys() and len(grouped) == len(NOTES)
    for point_id, (meta, vector) in grouped.items():
        assert meta["version"] == 1 and meta["document_id"] == separate[point_id][0]["document_id"]
        assert float(vector @ separate[point_id][1]) > 0.9999  # padding in a batch changes nothing


def test_a_failing_file_fails_alone_and_the_rest_of_its_group_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    _write_notes(folder, clash=True)  # note-3.md claims the id of note-0.md
    report, vectors, counting = _ingest(tmp_path / "kb", folder, group_chunks=None)
    assert [f["path"] for f in report.failed] == [str(folder / "note-3.md")]
    assert "already used by" in report.failed[0]["error"]
    assert sorted(report.added) == ["note-0", "note-1", "note-2", "note-4", "note-5"]
    assert sorted({meta["document_id"] for meta, _ in vectors.values()}) == sorted(report.added)
    assert counting.batches == [len(NOTES)]
