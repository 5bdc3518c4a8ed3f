"""Blob stores, the local folder and the catalog's database (SQLite and PostgreSQL): same behaviour."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb.blobs import PIECE, Blobs, BlobStore, open_blob_store
from kb.catalog import Catalog
from kb.catalog.blobstore import DatabaseBlobStore
from kb.catalog.tables import blob_chunks
from kb.errors import NotFoundError
from kb.models import sha256_hex
from kb.settings import Settings


@pytest.fixture(params=["folder", "database"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path, catalog_url: str) -> Iterator[Blobs]:
    if request.param == "folder":
        yield BlobStore(tmp_path / "blobs")
        return
    with Catalog(catalog_url) as catalog:
        yield DatabaseBlobStore(catalog.db)


def test_blobs_are_content_addressed(blobs: Blobs) -> None:
    digest = blobs.put(b"original")
    assert blobs.put(b"original") == digest == sha256_hex(b"original")
    assert blobs.get(digest) == b"original" and blobs.exists(digest) and blobs.size(digest) == 8
    assert b"".join(blobs.open_stream(digest)) == b"original"
    with pytest.raises(NotFoundError):
        blobs.get("0" * 64)
    with pytest.raises(NotFoundError):
        blobs.open_stream("0" * 64)
    assert not blobs.exists("0" * 64)


def test_large_originals_stream_in_and_out_in_pieces(blobs: Blobs) -> None:
    data = bytes(range(256)) * (PIECE * 5 // 2 // 256)  # 2.5 pieces
    digest, size = blobs.put_stream(io.BytesIO(data), size_hint=len(data))
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    pieces = list(blobs.open_stream(digest))
    assert [len(p) for p in pieces] == [PIECE, PIECE, len(data) - 2 * PIECE]
    assert b"".join(pieces) == data
    assert blobs.put_stream(io.BytesIO(data))[0] == digest  # stored once


def test_the_database_keeps_one_copy_and_no_partial_upload(catalog_url: str) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() >= PIECE:
                raise OSError("client went away")
            return super().read(size)

    with Catalog(catalog_url) as catalog:
        store = DatabaseBlobStore(catalog.db)
        with pytest.raises(OSError):
            store.put_stream(Broken(b"x" * (PIECE * 2)))
        store.put(b"kept")
        store.put(b"kept")
        rows = catalog.db.query(sa.select(blob_chunks.c.blob_id))
        assert [r["blob_id"] for r in rows] == [sha256_hex(b"kept")]  # the broken upload left nothing


def test_settings_pick_the_store(tmp_path: Path, pg_url: str) -> None:
    assert isinstance(open_blob_store(Settings(kb_dir=tmp_path)), BlobStore)
    with Catalog(pg_url) as catalog:
        shared = open_blob_store(Settings(kb_dir=tmp_path, catalog_url=pg_url), catalog)
        assert isinstance(shared, DatabaseBlobStore) and shared.db is catalog.db
