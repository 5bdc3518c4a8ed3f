"""Synthetic knowledge bases of N chunks for load benchmarks, built in seconds instead of hours.

Embedding 50,000 real chunks takes about an hour on two cores, and an exact (pre-HNSW) vector search
costs the same whatever the vectors hold, so load benchmarks use random unit vectors for the dense
side. The sparse side and the payloads are realistic: sentences sampled from ``content/`` with real
BM25 vectors and the product's payload layout (states, sector, type, year, sections).
"""

from __future__ import annotations

import random
import re
import uuid
from pathlib import Path

import numpy as np
from haystack import Document
from haystack.dataclasses import SparseEmbedding

from kb.settings import Settings
from kb.store import Bm25Encoder, open_store
from kb.vocab import STATES_AND_UTS, DocType, Sector

CHUNKS_PER_DOCUMENT = 10


def _sentences(content: Path) -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(content.rglob("*.md")))
    text = re.sub(r"(?s)^---.*?---", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", re.sub(r"[#*|>`-]+", " ", text)) if len(s.split()) > 5]


def build_synthetic_kb(
    kb_dir: Path,
    chunks: int,
    *,
    content: Path = Path("content"),
    seed: int = 7,
    vectors: np.ndarray | None = None,
    settings: Settings | None = None,
) -> None:
    """Write ``chunks`` points (``chunks / 10`` documents) into a fresh embedded store at ``kb_dir``.

    ``vectors`` (``[chunks, 384]``, unit length) replace the random ones (bench.scale passes vectors
    shaped like real embeddings); ``settings`` replace the defaults (e.g. indexing off while writing).
    """
    rng = random.Random(seed)
    if vectors is None:
        vectors = np.random.default_rng(seed).standard_normal((chunks, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentences = _sentences(content)
    bm25 = Bm25Encoder()
    sectors, types = [s.value for s in Sector], [t.value for t in DocType]
    # MiniLM-shaped vectors only: the default's e5 vector is not simulated (bench.indian_languages measures it)
    with open_store(settings or Settings(kb_dir=kb_dir, dense_model="minilm"), dense_dim=384) as store:
        batch: list[Document] = []
        for i in range(chunks):
            doc = i // CHUNKS_PER_DOCUMENT
            drng = random.Random(doc)
            text = " ".join(rng.sample(sentences, 6))
            sparse = bm25.embed_documents([text])[0]
            meta = {
                "document_id": f"doc-{doc}",
                "title": f"Practice {doc}",
                "type": drng.choice(types),
                "states": [drng.choice(STATES_AND_UTS)],
                "sector": drng.choice(sectors),
                "level": "state",
                "year": 2005 + doc % 20,
                "language": "en",
                "script": "latin",
                "tags": [],
                "version": 1,
                "chunk_index": i % CHUNKS_PER_DOCUMENT,
                "is_head": i % CHUNKS_PER_DOCUMENT == 0,
                "heading_path": ["Summary"],
                "section": "Summary",
                "page": None,
                "context": f"Practice {doc}",
            }
            batch.append(
                Document(
                    id=str(uuid.UUID(int=rng.getrandbits(128))),
                    content=text,
                    meta=meta,
                    embedding=vectors[i].tolist(),
                    sparse_embedding=SparseEmbedding(indices=sparse.indices, values=sparse.values),
                )
            )
            if len(batch) == 1000:
                store.write_documents(batch)
                batch = []
        store.write_documents(batch)
