"""A Haystack component that adds BM25 sparse vectors to chunk documents.

The vectors are computed here, on the client, with Qdrant Edge's own BM25 tokenizer (Snowball
stemming, English stop-words), so the same vectors work on Edge and on a Qdrant server; the IDF part
is applied by Qdrant at query time (``Modifier.IDF``), so adding documents never rewrites others.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from kb.embedding import CONTEXT_META_FIELD
from kb.store import Bm25Encoder


def sparse_text(document: Document) -> str:
    """What BM25 indexes: the context line (title and headings) and the passage."""
    context = document.meta.get(CONTEXT_META_FIELD)
    return f"{context}\n{document.content or ''}" if context else document.content or ""


@component
class Bm25DocumentEmbedder:
    """Sets ``Document.sparse_embedding`` from BM25 term weights."""

    def __init__(self) -> None:
        self._encoder: Bm25Encoder | None = None

    def warm_up(self) -> None:
        if self._encoder is None:
            self._encoder = Bm25Encoder()

    def to_dict(self) -> dict[str, Any]:
        return {"type": f"{type(self).__module__}.{type(self).__name__}", "init_parameters": {}}

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        self.warm_up()
        assert self._encoder is not None
        vectors = self._encoder.embed_documents([sparse_text(d) for d in documents])
        return {
            "documents": [
                replace(document, sparse_embedding=SparseEmbedding(indices=vector.indices, values=vector.values))
                for document, vector in zip(documents, vectors, strict=True)
            ]
        }
