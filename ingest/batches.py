"""Embedding batches filled across small documents, for `kb ingest` of many files.

Why: the model is called once per document, and a call with one or two chunks costs nearly as much
as a call with 32 (on two CPU cores, 0.5 s for a one-chunk call where a full batch runs at ~0.15 s a
chunk). Folders of circulars, orders and notes are mostly one- or two-chunk documents, so
``bench.cross_batch`` measured `kb ingest` of 100 such notes at 0.7 chunks/s one document per call
and 2.0 chunks/s with filled batches (docs/benchmarks.md).

How, without touching the write order: the Ingestor prepares files into a :class:`FileGroup` until
their chunks fill a batch, :meth:`Prefill.fill` embeds the group's fresh chunks in one pipeline run,
and then each document is written alone, exactly as before (blob -> embed -> intent -> index upsert
-> commit -> drop stale -> clear intent), its embed step taking the vectors from the prefill. A
document with a batch or more of chunks of its own is not prefilled: it keeps the sliced embedding
that checks a job's deadline as it goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from haystack import Document

from ingest.deadlines import check_deadline, projected_end
from ingest.prepare import PreparedDocument, chunk_documents
from kb.catalog import DocumentRecord
from kb.store import ChunkStore

MAX_GROUP_BYTES = 64 * 1024 * 1024  # originals held in memory while a group waits for its batch
# A group spans this many embedding batches: the model sorts one call's texts by length before it
# cuts them into batches, so four batches' worth pad less than one batch of mixed lengths.
GROUP_BATCHES = 4


@dataclass(frozen=True)
class PendingFile:
    """A prepared file waiting for its group's embedding: what the write step needs to know."""

    path: Path
    source: str
    known: DocumentRecord | None  # the document this file was last ingested as, if any
    prepared: PreparedDocument


@dataclass
class FileGroup:
    """Prepared files whose fresh chunks will share embedding calls."""

    batch_size: int
    files: list[PendingFile] = field(default_factory=list)

    def add(self, pending: PendingFile) -> bool:
        """Add a file; True when the group is full (a batch of chunks, or many bytes) and should be written."""
        self.files.append(pending)
        chunks = sum(len(f.prepared.chunks) for f in self.files)
        size = sum(len(f.prepared.data) for f in self.files)
        return chunks >= self.batch_size or size >= MAX_GROUP_BYTES

    def take(self) -> list[PendingFile]:
        files, self.files = self.files, []
        return files

    def small(self, files: list[PendingFile]) -> list[PreparedDocument]:
        """The documents worth prefilling: those with fewer chunks than a batch."""
        return [f.prepared for f in files if len(f.prepared.chunks) < self.batch_size]


class Prefill:
    """Vectors computed ahead, by chunk id, for the documents of one group."""

    def __init__(self) -> None:
        self._ready: dict[str, Document] = {}

    def fill(self, embedding: Any, documents: list[PreparedDocument], store: ChunkStore) -> None:
        """Embed (dense + sparse, one pipeline run) the chunks of ``documents`` that the index does
        not already hold with a vector; the version in their payload is irrelevant here and is
        taken from the write step's own documents in :meth:`take`."""
        chunks = [d for prepared in documents for d in chunk_documents(prepared, version=0)]
        if not chunks:
            return
        previous = {d.id: d for d in store.get([d.id for d in chunks], with_vectors=True)}
        missing = {d.id: d for d in chunks if previous.get(d.id) is None or previous[d.id].embedding is None}
        fresh = list(missing.values())  # one per id: two files with the same text embed it once
        if fresh:
            output = embedding.run({"dense": {"documents": fresh}})["sparse"]["documents"]
            self._ready.update({d.id: d for d in output})

    def take(self, documents: list[Document]) -> dict[str, Document]:
        """``documents`` (by id) that were prefilled, with their own content and payload and the
        prefilled vectors (chunk ids hash the text, so a hit embeds exactly this text)."""
        found = {}
        for document in documents:
            ready = self._ready.get(document.id)
            if ready is not None:
                found[document.id] = replace(
                    document, embedding=ready.embedding, sparse_embedding=ready.sparse_embedding
                )
        return found

    def clear(self) -> None:
        self._ready = {}


@dataclass
class EmbeddingStep:
    """Dense + sparse vectors for one document's chunks; chunks already in the index keep their dense
    vector (with the document's current e5 lead, ``refresh``), a prefilled group's are taken as they are.

    Fresh chunks are embedded in slices of ``step`` so a job's deadline is checked every few seconds.
    Haystack components return new Document objects rather than mutating them, so :meth:`run`
    returns the embedded documents in the input order.
    """

    sparse: Any  # ingest.sparse.Bm25DocumentEmbedder
    prefill: Prefill
    refresh: Callable[[list[Document]], list[Document]] | None
    step: int

    def run(
        self, pipeline: Any, documents: list[Document], store: ChunkStore, deadline: float | None
    ) -> list[Document]:
        previous = {d.id: d for d in store.get([d.id for d in documents], with_vectors=True)}
        fresh = [d for d in documents if previous.get(d.id) is None or previous[d.id].embedding is None]
        embedded = self.prefill.take(fresh)  # vectors of a group of small files, embedded together
        fresh = [d for d in fresh if d.id not in embedded]
        began = time.monotonic()
        for start in range(0, len(fresh), self.step):
            check_deadline(deadline, projected=projected_end(began, start, len(fresh)))
            output = pipeline.run({"dense": {"documents": fresh[start : start + self.step]}})["sparse"]["documents"]
            embedded.update({d.id: d for d in output})
        reused = [replace(d, embedding=previous[d.id].embedding) for d in documents if d.id not in embedded]
        reused = self.refresh(reused) if self.refresh and reused else reused
        if reused:
            embedded.update({d.id: d for d in self.sparse.run(documents=reused)["documents"]})
        return [embedded[d.id] for d in documents]
