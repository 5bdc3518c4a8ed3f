"""Helpers shared by the store tests: store constructors and a small synthetic corpus."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from haystack.dataclasses import Document, SparseEmbedding
from qdrant_client import QdrantClient

from kb.store import Bm25Encoder, ChunkStore, EdgeStore, ServerStore

DIM = 8

StoreFactory = Callable[..., ChunkStore]


def make_edge(path: Path, **kwargs: object) -> EdgeStore:
    """An Edge store in ``path`` (created on first use)."""
    return EdgeStore(path, **kwargs)  # type: ignore[arg-type]


def make_server(**kwargs: object) -> ServerStore:
    """A server-backend store on a fresh in-memory qdrant-client (test stand-in for a server)."""
    return ServerStore(client=QdrantClient(":memory:"), collection="practices", **kwargs)  # type: ignore[arg-type]


# ---- a small synthetic corpus ------------------------------------------------------------------

STATES = ["Haryana", "Kerala", "Odisha", "Tamil Nadu", "Gujarat"]
SECTORS = ["agriculture", "health", "education", "land_records"]
TYPES = ["case_study", "mou", "policy"]
TOPICS = [
    "farmers receive crop insurance claims through an online portal",
    "hospital patients book telemedicine consultations by phone",
    "school teachers record attendance with a mobile application",
    "land records are digitised and mutation is tracked online",
    "grievances are registered through a citizen helpline",
    "drones survey village boundaries for property cards",
]


def unit_vector(rng: random.Random) -> list[float]:
    """A random 8-d vector (not normalised: Qdrant normalises for cosine, as the tests check)."""
    return [rng.uniform(-1.0, 1.0) for _ in range(DIM)]


def corpus(n_documents: int = 12, chunks_per_document: int = 3, seed: int = 7) -> list[Document]:
    """Chunks with product-shaped metadata, distinct texts, dense and BM25 vectors."""
    rng = random.Random(seed)
    encoder = Bm25Encoder()
    documents: list[Document] = []
    for d in range(n_documents):
        states = sorted(rng.sample(STATES, k=rng.randint(0, 2)))
        meta_base = {
            "document_id": f"doc-{d:02d}",
            "title": f"Practice {d}",
            "type": TYPES[d % len(TYPES)],
            "states": states,
            "sector": SECTORS[d % len(SECTORS)],
            "level": "national" if not states else "state",
            "year": 2010 + d,
            "language": "en",
            "tags": [f"tag{d % 3}"],
            "status": "operational",
            "version": 1,
            "is_head": True,
        }
        for c in range(chunks_per_document):
            # A different length per chunk gives every chunk its own BM25 length normalisation, so
            # no two sparse scores tie: Qdrant leaves the order of ties unspecified (Edge and
            # qdrant-client order them differently), and the congruence tests compare rankings.
            filler = " ".join(["detail"] * (d * chunks_per_document + c))
            text = f"{TOPICS[(d + c) % len(TOPICS)]} in district {d} phase {c} {filler}"
            sparse = encoder.embed_documents([text])[0]
            documents.append(
                Document(
                    id=f"{d:02d}-{c}",
                    content=text,
                    meta={**meta_base, "chunk_index": c, "section": f"Section {c}"},
                    embedding=unit_vector(rng),
                    sparse_embedding=SparseEmbedding(indices=sparse.indices, values=sparse.values),
                )
            )
    return documents
