"""Haystack's own document-store test classes, run against both backends.

Overrides, each for a reason Qdrant imposes (kept few on purpose):

- ``assert_documents_are_equal``: Haystack's extension point for stores that differ in order or
  vectors. Qdrant returns points in id order (our ids are uuid5 of Haystack's), and a cosine
  collection stores embeddings normalised to unit length (in float32), so embeddings are compared by
  direction; everything else (id, content, meta, score, sparse embedding) must be identical.
- ``test_write_documents``: Haystack leaves the default policy to the store and raises
  NotImplementedError until a store states it; ours is OVERWRITE (idempotent upserts).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from haystack.dataclasses import Document
from haystack.document_stores.types import DocumentStore
from haystack.testing.document_store import (
    CountDocumentsByFilterTest,
    DeleteAllTest,
    DeleteByFilterTest,
    DocumentStoreBaseTests,
    UpdateByFilterTest,
)

from kb.store import ChunkStore

from .conftest import EdgeFactory
from .helpers import make_server

HAYSTACK_DIM = 768  # Haystack's filterable_docs carry 768-d random embeddings


def _direction(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


class _QdrantSemantics(
    DocumentStoreBaseTests, DeleteAllTest, DeleteByFilterTest, UpdateByFilterTest, CountDocumentsByFilterTest
):
    @staticmethod
    def assert_documents_are_equal(received: list[Document], expected: list[Document]) -> None:
        received = sorted(received, key=lambda d: d.id)
        expected = sorted(expected, key=lambda d: d.id)
        assert [d.id for d in received] == [d.id for d in expected]
        for got, want in zip(received, expected, strict=True):
            assert (got.content, got.meta, got.score, got.sparse_embedding) == (
                want.content,
                want.meta,
                want.score,
                want.sparse_embedding,
            )
            if want.embedding is None:
                assert got.embedding is None
            else:
                assert got.embedding is not None
                assert got.embedding == pytest.approx(_direction(want.embedding), abs=1e-6)

    def test_write_documents(self, document_store: DocumentStore) -> None:
        doc = Document(id="1", content="first version")
        assert document_store.write_documents([doc]) == 1
        newer = Document(id="1", content="second version")
        assert document_store.write_documents([newer]) == 1  # default policy: overwrite
        assert document_store.count_documents() == 1
        self.assert_documents_are_equal(document_store.filter_documents(), [newer])


class TestEdgeHaystackSuite(_QdrantSemantics):
    @pytest.fixture
    def document_store(self, edge_factory: EdgeFactory) -> ChunkStore:
        return edge_factory(dense_dim=HAYSTACK_DIM, return_embedding=True)


class TestServerHaystackSuite(_QdrantSemantics):
    @pytest.fixture
    def document_store(self) -> Iterator[ChunkStore]:
        store = make_server(dense_dim=HAYSTACK_DIM, return_embedding=True)
        yield store
        store.close()
