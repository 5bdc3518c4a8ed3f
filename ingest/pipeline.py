"""The indexing pipeline: chunk documents -> dense embedding -> BM25 sparse vector -> store.

Built by a pure function so tests and tools can inspect or serialise it; conversion and chunking run
before it, per file, because their failures are reported per file and their output (sections) also
goes to the catalog.
"""

from __future__ import annotations

from haystack import Pipeline
from haystack.components.writers import DocumentWriter
from haystack.document_stores.types import DuplicatePolicy

from ingest.sparse import Bm25DocumentEmbedder
from kb.embedding import make_document_embedder
from kb.settings import Settings
from kb.store import ChunkStore


def build_embedding_pipeline(settings: Settings) -> Pipeline:
    """Dense then sparse vectors; returns the documents (used when the caller writes itself)."""
    pipeline = Pipeline()
    pipeline.add_component("dense", make_document_embedder(settings))
    pipeline.add_component("sparse", Bm25DocumentEmbedder())
    pipeline.connect("dense.documents", "sparse.documents")
    return pipeline


def build_indexing_pipeline(settings: Settings, store: ChunkStore) -> Pipeline:
    """Dense, sparse, then an overwriting write: re-writing an unchanged chunk id is a no-op upsert."""
    pipeline = build_embedding_pipeline(settings)
    pipeline.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    pipeline.connect("sparse.documents", "writer.documents")
    return pipeline
