"""The embedding pipeline: chunks -> dense embedding -> BM25 sparse vector (Haystack components).

Built by a pure function so tests and tools can inspect or serialise it. Conversion and chunking run
before it, per file, because their failures are reported per file and their output (sections) also
goes to the catalog.

Why there is no indexing pipeline with a ``DocumentWriter`` at its end: :class:`ingest.service.Ingestor`
is the only writer, and it writes in a fixed order (catalog intent -> index -> catalog commit -> drop
stale chunks) so that a crash leaves a document at its old version or its new one, never half. A
writer component would put the index write inside the pipeline, between steps the pipeline cannot
see; so the pipeline stops at the vectors and the Ingestor writes them itself.
"""

from __future__ import annotations

from haystack import Pipeline

from ingest.sparse import Bm25DocumentEmbedder
from kb.embedding import make_document_embedder
from kb.settings import Settings


def build_embedding_pipeline(settings: Settings) -> Pipeline:
    """Dense then sparse vectors; returns the documents for the Ingestor (and ``kb eval``'s BEIR
    indexing) to write."""
    pipeline = Pipeline()
    pipeline.add_component("dense", make_document_embedder(settings))
    pipeline.add_component("sparse", Bm25DocumentEmbedder())
    pipeline.connect("dense.documents", "sparse.documents")
    return pipeline
