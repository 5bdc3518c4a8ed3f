"""The relevance floor: is a result a real match ("strong") or only the nearest noise ("weak")?

Why not a floor on the fused score: DBSF (and RRF) rescale each query's candidate lists on their own,
so the best hit of gibberish scores like the best hit of a good query (calibration in
docs/search-quality.md: the fused top scores of relevant and of gibberish hits overlap). Two raw
signals do separate them, and each covers what the other cannot:

* **meaning**: the cosine between the query's dense vector and the document's best chunk
  (``KB_MATCH_FLOOR``). MiniLM puts unrelated text at 0.0-0.3 and paraphrases of a passage above it.
* **words**: the share of the query's BM25 terms (or, with the thesaurus, of their synonyms) found in
  the document's best passages and title (``KB_MATCH_TERMS``). It decides alone for Hindi queries
  answered by BM25, whose MiniLM vector is noise.

With ``KB_DENSE_MODEL=minilm+e5`` e5's cosine is a second meaning signal against its own floor
(``KB_MATCH_FLOOR_E5``; e5 puts everything closer together than MiniLM, so one number cannot serve
both): a document passing either is strong. Without it a Hindi query answered from an English case
study, or an English one from a Hindi case study, would have only the words the two share, usually
none, and MiniLM's cosine of Hindi text is noise.

Neither alone separates well (relevant paraphrases sit at cosine 0.34 with half the words; an
off-topic question reaches 0.46 with none), their sum does: a document is strong when
``cosine + coverage >= KB_MATCH_FLOOR`` or, whatever the cosine, ``coverage >= KB_MATCH_TERMS``.
Calibrated on our eval set (``python -m bench.floor``): every floor from 0.65 to 0.83 answers none of
the 30 no-match queries and loses <= 1 % recall@10; the default sits in the middle.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from haystack import Document

from kb.store import Bm25Encoder


@dataclass(frozen=True)
class Evidence:
    """Why a document matched: dense cosine of its best chunk (None without a dense vector) and the
    share of the query's concepts (terms with their synonyms) found in its passages."""

    cosine: float | None  # MiniLM's; None when MiniLM cannot read the query (Hindi)
    coverage: float
    e5_cosine: float | None = None  # e5's (KB_DENSE_MODEL=minilm+e5), judged by its own floor

    def strong(self, floor: float, terms_floor: float, e5_floor: float | None = None) -> bool:
        if self.cosine is not None and self.cosine + self.coverage >= floor:
            return True
        if self.e5_cosine is not None and e5_floor is not None and self.e5_cosine + self.coverage >= e5_floor:
            return True
        return self.coverage >= terms_floor


def cosines(query: Sequence[float] | None, vectors: Sequence[Sequence[float]], part: slice) -> list[float | None]:
    """Each vector's ``part`` dotted with ``query`` (both unit length: MiniLM and e5 outputs are
    normalised), None where there is no query or the part is empty. One matrix product for all of a
    search's candidate documents: a numpy call per document converted the query a hundred times."""
    out: list[float | None] = [None] * len(vectors)
    present = [i for i, vector in enumerate(vectors) if query is not None and len(vector[part])]
    if query is None or not present:
        return out
    # float32, as the index stores them: converting the lists is most of the cost, and half as slow
    matrix = np.array([vectors[i][part] for i in present], dtype=np.float32)  # unequal lengths: ValueError
    if matrix.shape[1] != len(query):
        raise ValueError(f"vectors of {matrix.shape[1]} and {len(query)} dimensions")
    for i, value in zip(present, (matrix @ np.asarray(query, dtype=np.float32)).tolist(), strict=True):
        out[i] = value
    return out


def coverage(concepts: Sequence[frozenset[int]], found: set[int]) -> float:
    """Share of ``concepts`` (each a set of alternative BM25 term ids) with a term in ``found``."""
    if not concepts:
        return 0.0
    return sum(1 for alternatives in concepts if alternatives & found) / len(concepts)


class PassageTerms:
    """The BM25 term ids of each passage (its title and text), remembered by chunk id.

    Why: the floor reads the words of some thirty passages per search, and tokenising them again for
    every query was a quarter of a search's Python time; a chunk id hashes its text, so an id's terms
    never change. Least recently used ids are dropped past ``size``; safe across request threads.
    """

    def __init__(self, bm25: Bm25Encoder, size: int = 4096) -> None:
        self.bm25 = bm25
        self.size = size
        self._terms: OrderedDict[str, frozenset[int]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, passages: Sequence[Document]) -> set[int]:
        found: set[int] = set()
        missing = []
        with self._lock:
            for passage in passages:
                terms = self._terms.get(passage.id)
                if terms is None:
                    missing.append(passage)
                else:
                    self._terms.move_to_end(passage.id)
                    found |= terms
        if not missing:
            return found
        texts = [f"{p.meta.get('title') or ''}\n{p.content or ''}" for p in missing]
        computed = self.bm25.term_ids(texts)
        with self._lock:
            for passage, terms in zip(missing, computed, strict=True):
                self._terms[passage.id] = terms
                found |= terms
            while len(self._terms) > self.size:
                self._terms.popitem(last=False)
        return found


def evidence(
    terms: PassageTerms,
    concepts: Sequence[frozenset[int]],
    passages: Sequence[Document],
    *,
    cosine: float | None,
    e5_cosine: float | None = None,
) -> Evidence:
    """Evidence for one document from its best ``passages`` (best first) and the best one's cosines
    with the query (MiniLM's; e5's with ``KB_DENSE_MODEL=minilm+e5``; see :func:`cosines`)."""
    return Evidence(cosine=cosine, coverage=coverage(concepts, terms(passages)), e5_cosine=e5_cosine)
