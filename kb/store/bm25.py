"""BM25 sparse vectors computed in-process by Qdrant Edge's embedder, for both backends.

Why Edge's ``Bm25`` rather than our own tokenizer: it is the tokenizer Qdrant's server-side BM25
inference uses (same config shape), it stems (Snowball English) and drops English stop-words, and
it is fast native code. The server backend receives the same vectors: it computes nothing.

How the weights work (measured against ``qdrant_edge`` 0.9.0):

- Documents: each term gets the BM25 term-frequency part ``tf*(k+1) / (tf + k*(1 - b + b*dl/avg_len))``
  where ``dl`` is the document's token count after stop-word removal and ``avg_len`` is a **fixed
  constant from the config** (default 256), not the corpus average: Edge never sees the corpus, and
  a vector must not change when other chunks arrive. A one-token document scores 1.69 for its term,
  a 256-token one 1.0, a 1000-token one 0.46.
- Queries: 1.0 per distinct term.
- IDF is added at query time by the collection's ``Modifier.IDF`` over the points that have a
  ``bm25`` vector, so it follows the live corpus on both backends (identically: checked in tests).

Our chunks (~200 word pieces) have roughly 90-110 tokens after stop-words, well under 256, so
length normalisation is milder than textbook BM25 with the true average (like a smaller ``b``).
``avg_len`` is a parameter for the search-quality work to tune with ``kb eval``; changing it changes
every stored vector, so it needs ``kb reindex``.
"""

from __future__ import annotations

import qdrant_edge as qe

from kb.models import SparseVector


class Bm25Encoder:
    """English BM25 sparse vectors: Snowball stemming, English stop-words, lowercase, word tokenizer."""

    def __init__(self, *, k: float = 1.2, b: float = 0.75, avg_len: float = 256.0) -> None:
        self.k = k
        self.b = b
        self.avg_len = avg_len
        config = qe.Bm25Config(
            k=k,
            b=b,
            avg_len=avg_len,
            tokenizer=qe.TokenizerType.Word,
            language="english",
            lowercase=True,
            stopwords=qe.Language.English,
            stemmer=qe.SnowballParams(qe.SnowballLanguage.English),
        )
        try:
            self._model = qe.Bm25(config)
        except ValueError as exc:  # raised for b outside [0, 1], negative k, non-positive avg_len
            raise ValueError(f"Invalid BM25 parameters (k={k}, b={b}, avg_len={avg_len}): {exc}") from exc

    def embed_documents(self, texts: list[str]) -> list[SparseVector]:
        """Term-frequency weights for chunks to index (one vector per text, possibly empty)."""
        return [_plain(self._model.embed_document(text)) for text in texts]

    def embed_query(self, text: str) -> SparseVector:
        """Weight 1.0 per distinct query term; empty for a query of stop-words only."""
        return _plain(self._model.embed_query(text))


def _plain(vector: qe.SparseVector) -> SparseVector:
    return SparseVector(indices=list(vector.indices), values=[float(v) for v in vector.values])
