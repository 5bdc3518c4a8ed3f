"""The chunk store: Qdrant Edge embedded by default, a Qdrant server when ``KB_QDRANT_URL`` is set.

Only this package imports ``qdrant_edge`` and ``qdrant_client``, and only it translates their
exceptions (into :class:`~kb.errors.StoreError`). ``ServerStore`` is imported lazily so the embedded
path (every CLI command by default) does not pay qdrant-client's import time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from kb.settings import QDRANT_MEMORY_URL, Settings
from kb.store.base import DENSE, E5, PAYLOAD_INDEXES, ChunkStore, ScoredChunk, point_id
from kb.store.bm25 import Bm25Encoder
from kb.store.edge import EdgeStore
from kb.store.filters import InvalidFilterError
from kb.store.indexing import IndexParams

if TYPE_CHECKING:
    from kb.store.server import ServerStore

__all__ = [
    "PAYLOAD_INDEXES",
    "Bm25Encoder",
    "ChunkStore",
    "EdgeStore",
    "InvalidFilterError",
    "ScoredChunk",
    "ServerStore",
    "dense_vector_names",
    "open_store",
    "point_id",
]


def open_store(settings: Settings, *, dense_dim: int = 384) -> ChunkStore:
    """Open the configured store: a Qdrant server if ``settings.qdrant_url``, else Edge in ``index_dir``.

    Creates the shard or collection when missing. Raises ``ConfigError`` when the existing index has
    another dense dimension (built with another model: run ``kb reindex``), ``StoreLockedError`` when
    another process holds the embedded index, ``StoreError`` when the server cannot be reached.
    A new index gets the dense vectors the settings name (``dense``, plus ``e5`` with minilm+e5); an
    existing one keeps those it holds (``store.dense_names``) until ``kb reindex``.
    """
    names = dense_vector_names(settings)
    if settings.qdrant_url:
        from kb.store.server import ServerStore

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return ServerStore(
            settings.qdrant_url,
            client=shared_memory_client() if settings.qdrant_url == QDRANT_MEMORY_URL else None,
            api_key=key,
            collection=settings.qdrant_collection,
            shards=settings.qdrant_shards,
            replicas=settings.qdrant_replicas,
            dense_dim=dense_dim,
            dense_names=names,
            index=IndexParams.from_settings(settings),
        )
    return EdgeStore(
        settings.index_dir,
        dense_dim=dense_dim,
        kb_dir=settings.kb_dir,
        dense_names=names,
        index=IndexParams.from_settings(settings),
    )


def dense_vector_names(settings: Settings) -> tuple[str, ...]:
    """The named dense vectors an index built with ``settings`` holds."""
    return (DENSE, E5) if settings.e5_vector else (DENSE,)


@lru_cache(maxsize=1)
def shared_memory_client() -> Any:
    """``KB_QDRANT_URL=:memory:``: qdrant-client's pure-Python local mode, one per process.

    A stand-in for a Qdrant server in tests and demos (every store opened in the process shares it,
    as every API replica shares a real server). Never for production: brute force, no persistence.
    """
    from qdrant_client import QdrantClient

    return QdrantClient(location=QDRANT_MEMORY_URL)


def __getattr__(name: str) -> Any:
    if name == "ServerStore":
        from kb.store.server import ServerStore

        return ServerStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
