"""The relevance floor's cosines: one matrix product gives what a dot product per document gives."""

from __future__ import annotations

import numpy as np
import pytest

from search.relevance import cosines


def test_each_documents_part_is_dotted_with_the_query() -> None:
    rng = np.random.default_rng(3)
    both = rng.standard_normal((5, 6))
    vectors = [list(v) for v in both] + [[]]  # the last document's vector was not found
    query = list(rng.standard_normal(4))
    got = cosines(query, vectors, slice(2, None))  # the e5 half of a minilm+e5 embedding
    assert got[:5] == pytest.approx([float(np.dot(v[2:], query)) for v in both], abs=1e-5)
    assert got[5] is None
    assert cosines(None, vectors, slice(0, 2)) == [None] * 6  # no query vector (a Hindi query, MiniLM)
    assert cosines(query[:2], [list(both[0][:2])], slice(2, None)) == [None]  # no e5 half stored


def test_vectors_of_another_width_are_an_error() -> None:
    with pytest.raises(ValueError, match="dimensions"):
        cosines([1.0, 0.0], [[1.0, 0.0, 0.0]], slice(0, None))


def test_a_passages_term_ids_are_those_it_is_indexed_with() -> None:
    """The floor's words of a passage (Bm25Encoder.term_ids) are its BM25 vector's terms, in every script."""
    from kb.store import Bm25Encoder
    from tests.test_highlighter import passages

    encoder = Bm25Encoder()
    texts = passages()
    assert any("अ" in t for t in texts)  # Hindi paragraphs too
    indexed = [frozenset(v.indices) for v in encoder.embed_documents(texts)]
    assert encoder.term_ids(texts) == indexed
    assert encoder.term_ids(["the of and"]) == [frozenset()]
