"""Originals in the catalog's database: content-addressed, streamed in and out in 1 MB pieces.

For a shared deployment (PostgreSQL catalog, several API and worker nodes) there is no shared
folder, so the originals live beside the catalog, as Onyx's Postgres-backed file store keeps them.
An upload is written piece by piece under a temporary id while it is hashed; when the last piece is
in, the pieces are renamed to the digest and the ``blobs`` row added in the same transaction, so a
blob is visible whole or not at all, and storing the same file twice keeps one copy. Reading takes
one piece per query, so neither side ever holds more than a piece (``get`` aside, which callers
that need the whole file, such as the ingest job, use on purpose).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import BinaryIO

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.schema import open_database
from kb.catalog.tables import blob_chunks, blobs
from kb.errors import NotFoundError

PIECE = 1024 * 1024  # as kb.blobs.PIECE (not imported from there: kb.blobs picks this module)


class DatabaseBlobStore:
    """The :class:`kb.blobs.Blobs` interface over the ``blobs`` and ``blob_chunks`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def for_url(cls, url: str) -> DatabaseBlobStore:
        """One store (and pool) per URL per process, for callers that have no catalog at hand."""
        return _store_for(url)

    def put(self, data: bytes) -> str:
        return self.put_stream(io.BytesIO(data), size_hint=len(data))[0]

    def put_stream(self, source: BinaryIO, *, size_hint: int = 0) -> tuple[str, int]:
        temporary = f"tmp-{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = pieces = 0
        with self.db.transaction() as conn:
            while piece := source.read(PIECE):
                digest.update(piece)
                conn.execute(sa.insert(blob_chunks).values(blob_id=temporary, seq=pieces, data=piece))
                size += len(piece)
                pieces += 1
            name = digest.hexdigest()
            mine = blob_chunks.c.blob_id == temporary
            taken = conn.execute(sa.select(blobs.c.sha256).where(blobs.c.sha256 == name).with_for_update()).first()
            if taken is not None:
                conn.execute(sa.delete(blob_chunks).where(mine))
                return name, size
            conn.execute(sa.update(blob_chunks).where(mine).values(blob_id=name))
            conn.execute(sa.insert(blobs).values(sha256=name, size_bytes=size, pieces=pieces, created_at=utc_now()))
        return name, size

    def exists(self, digest: str) -> bool:
        return self.db.scalar(sa.select(blobs.c.sha256).where(blobs.c.sha256 == digest)) is not None

    def size(self, digest: str) -> int:
        value = self.db.scalar(sa.select(blobs.c.size_bytes).where(blobs.c.sha256 == digest))
        if value is None:
            raise _missing(digest)
        return int(value)

    def get(self, digest: str) -> bytes:
        return b"".join(self.open_stream(digest))

    def open_stream(self, digest: str) -> Iterator[bytes]:
        count = self.db.scalar(sa.select(blobs.c.pieces).where(blobs.c.sha256 == digest))
        if count is None:
            raise _missing(digest)

        def pieces() -> Iterator[bytes]:
            for seq in range(int(count)):
                piece = self.db.scalar(
                    sa.select(blob_chunks.c.data).where(blob_chunks.c.blob_id == digest, blob_chunks.c.seq == seq)
                )
                if piece is None:
                    raise _missing(digest)
                yield bytes(piece)

        return pieces()


def _missing(digest: str) -> NotFoundError:
    return NotFoundError(f"original file {digest[:12]} is missing from the blob store")


@lru_cache(maxsize=8)
def _store_for(url: str) -> DatabaseBlobStore:
    return DatabaseBlobStore(open_database(url))
