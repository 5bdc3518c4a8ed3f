"""The public API of ``kb.store`` is what its ``__init__`` exports; pin it (as httpx does)."""

from __future__ import annotations

import kb.store


def test_exported_members() -> None:
    assert sorted(kb.store.__all__) == [
        "Bm25Encoder",
        "ChunkStore",
        "EdgeStore",
        "InvalidFilterError",
        "PAYLOAD_INDEXES",
        "ScoredChunk",
        "ServerStore",
        "dense_vector_names",
        "open_store",
        "point_id",
    ]
    for name in kb.store.__all__:
        assert getattr(kb.store, name) is not None
