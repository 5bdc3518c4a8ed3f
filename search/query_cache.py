"""An LRU cache of query vectors, keyed by (model, kind, text), shared by every search of a process.

Embedding the query is 70-75 % of a search (issue 16), and the same text comes back often: the web
page recounts each filtered facet for the query it just ran, readers page through results, and
assistants repeat a question. The vectors depend only on the model and the normalised text, so they
can be reused; the model name is part of the key so a process never mixes two models' vectors.
Values are stored as tuples (immutable) and handed out as fresh lists. Thread-safe: the server runs
searches on several threads. A dense vector that is not cached is computed on the
:class:`~search.query_pool.QueryPool` when one is given, so every dense model a searcher holds (MiniLM,
e5) runs at most one query per core.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from kb.models import SparseVector
from search.query_pool import QueryPool

DEFAULT_SIZE = 2048  # a dense vector is 384 floats (~3 KB as a tuple): a few MB at most
T = TypeVar("T")


class QueryVectorCache:
    """Dense and sparse query vectors of one model, least recently used dropped first."""

    def __init__(self, model: str, size: int = DEFAULT_SIZE, *, pool: QueryPool | None = None) -> None:
        self.model = model
        self.size = size
        self.pool = pool
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple[str, str, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def dense(self, text: str, embed: Callable[[str], list[float]]) -> list[float]:
        """``embed(text)``, computed once per text while it stays in the cache (on the pool, if any)."""
        pool = self.pool
        compute = (lambda: tuple(pool.run(embed, text))) if pool is not None else (lambda: tuple(embed(text)))
        return list(self._get("dense", text, compute))

    def sparse(self, text: str, embed: Callable[[str], SparseVector | None]) -> SparseVector | None:
        """``embed(text)`` (None: the text has only stop-words), once per text while cached."""
        frozen = self._get("sparse", text, lambda: _frozen(embed(text)))
        return None if frozen is None else SparseVector(indices=list(frozen[0]), values=list(frozen[1]))

    def _get(self, kind: str, text: str, compute: Callable[[], T]) -> T:
        key = (self.model, kind, text)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[return-value]
            self.misses += 1
        value = compute()  # outside the lock: two threads may embed the same new text once each
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def _frozen(vector: SparseVector | None) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
    return None if vector is None else (tuple(vector.indices), tuple(vector.values))
