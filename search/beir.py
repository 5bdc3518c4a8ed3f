"""Index a BEIR corpus into a store with the product's own chunker and embedders (for ``kb eval DIR``).

BEIR documents skip the catalog (they are not practices, just benchmark text) but go through the
same chunking, dense + BM25 embedding and point layout as real documents, so the figures measure
the product, not a special benchmark path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from haystack import Document
from haystack.document_stores.types import DuplicatePolicy

from ingest.chunking import Chunker
from ingest.pipeline import build_embedding_pipeline
from kb.e5 import LEAD_META, document_lead, dominant_script
from kb.embedding import CONTEXT_META_FIELD
from kb.models import ConvertedDocument, Section, chunk_point_id
from kb.settings import Settings
from kb.store import ChunkStore
from search.evaluation import iter_beir_corpus

BATCH_DOCUMENTS = 256


def index_beir(
    folder: Path, store: ChunkStore, settings: Settings, progress: Callable[[int], None] | None = None
) -> int:
    """Chunk, embed and write every corpus document; returns the number of chunks."""
    chunker = Chunker(settings.resolved_model_path(), target_tokens=settings.chunk_tokens)
    chunker.warm_up()
    pipeline = build_embedding_pipeline(settings)
    pipeline.warm_up()
    batch: list[Document] = []
    written = 0
    for done, row in enumerate(iter_beir_corpus(folder), 1):
        converted = ConvertedDocument(sections=(Section(row["text"] or row["title"]),), media_type="text/plain")
        lead = document_lead(row["title"], [row["text"]])
        for chunk in chunker.chunk(converted, title=row["title"]):
            meta = {"document_id": row["_id"], "title": row["title"], "chunk_index": chunk.index,
                    "is_head": chunk.index == 0, CONTEXT_META_FIELD: chunk.context or None,
                    "script": dominant_script(chunk.text), LEAD_META: lead}  # fmt: skip
            batch.append(
                Document(id=chunk_point_id(row["_id"], chunk.index, chunk.text), content=chunk.text, meta=meta)
            )
        if done % BATCH_DOCUMENTS == 0:
            written += _flush(batch, pipeline, store)
            batch = []
            if progress:
                progress(done)
    written += _flush(batch, pipeline, store)
    store.optimize()
    return written


def _flush(batch: list[Document], pipeline: object, store: ChunkStore) -> int:
    if not batch:
        return 0
    embedded = pipeline.run({"dense": {"documents": batch}})["sparse"]["documents"]  # type: ignore[attr-defined]
    store.write_documents(embedded, policy=DuplicatePolicy.OVERWRITE)
    return len(embedded)
