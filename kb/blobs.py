"""Original files, stored content-addressed by SHA-256: under ``KB_DIR/blobs``, or in the catalog.

:class:`BlobStore` is the local folder (the default). A deployment whose catalog is PostgreSQL keeps
its originals there too (:class:`kb.catalog.blobstore.DatabaseBlobStore`), so API and worker nodes
need no shared filesystem; :func:`open_blob_store` picks one from the settings. Both implement
:class:`Blobs`, and downloads stream through :meth:`Blobs.open_stream` in pieces.

Content addressing makes storing the same file twice free and lets every version keep its exact
original for download and for ``kb reindex``. Writes are streamed (an upload is never held in memory
twice), synced to disk and renamed into place, so a blob either exists whole or not at all: the API
answers 202 only after :meth:`BlobStore.put_stream` returned.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from kb.diskspace import ensure_free_space
from kb.errors import NotFoundError, StorageFullError

if TYPE_CHECKING:
    from kb.catalog import Catalog
    from kb.settings import Settings

PIECE = 1024 * 1024
_PIECE = PIECE


class Blobs(Protocol):
    """What every blob store offers: write once by content, read whole or in pieces."""

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256."""

    def put_stream(self, source: BinaryIO, *, size_hint: int = 0) -> tuple[str, int]:
        """Stream ``source`` in pieces; returns (sha256, size). Durable on return."""

    def exists(self, digest: str) -> bool:
        """Whether the blob is stored whole."""

    def get(self, digest: str) -> bytes:
        """The stored bytes, or NotFoundError."""

    def size(self, digest: str) -> int:
        """The blob's length in bytes (for Content-Length), or NotFoundError."""

    def open_stream(self, digest: str) -> Iterator[bytes]:
        """The stored bytes in pieces of at most 1 MB (NotFoundError at once if missing)."""


def open_blob_store(settings: Settings, catalog: Catalog | None = None) -> Blobs:
    """The blob store the settings describe: the catalog's database when it is PostgreSQL, else the folder.

    Pass the open ``catalog`` to share its connection pool; without it the database store opens its
    own (one per URL and process).
    """
    url = settings.resolved_catalog_url()
    if url.startswith("postgresql"):
        from kb.catalog.blobstore import DatabaseBlobStore

        if catalog is not None:
            return DatabaseBlobStore(catalog.db)
        return DatabaseBlobStore.for_url(url)
    return BlobStore(settings.blobs_dir, min_free_bytes=settings.min_free_bytes)


class BlobStore:
    """Write-once files named by their hash (``ab/cdef...``) in a local folder."""

    def __init__(self, root: Path, *, min_free_bytes: int = 0) -> None:
        self.root = root
        self.min_free_bytes = min_free_bytes

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` (atomically) and return its SHA-256."""
        return self.put_stream(io.BytesIO(data), size_hint=len(data))[0]

    def put_stream(self, source: BinaryIO, *, size_hint: int = 0) -> tuple[str, int]:
        """Stream ``source`` into the store in pieces; returns (sha256, size). Durable on return."""
        ensure_free_space(self.root, needed=size_hint, reserve=self.min_free_bytes)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as handle:
                while piece := source.read(_PIECE):
                    digest.update(piece)
                    handle.write(piece)
                    size += len(piece)
                handle.flush()
                os.fsync(handle.fileno())
            name = digest.hexdigest()
            target = self._path(name)
            if target.exists():
                Path(tmp).unlink()
                return name, size
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.errno == 28:
                raise StorageFullError(f"cannot store the original under {self.root}: the disk is full") from exc
            raise
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name, size

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def get(self, digest: str) -> bytes:
        """The stored bytes, or NotFoundError if the blob is missing."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"original file {digest[:12]} is missing from the blob store") from None

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def open_stream(self, digest: str) -> Iterator[bytes]:
        handle = self.path(digest).open("rb")  # opened now, so a missing blob fails before streaming

        def pieces() -> Iterator[bytes]:
            with handle:
                while piece := handle.read(PIECE):
                    yield piece

        return pieces()

    def path(self, digest: str) -> Path:
        """Filesystem path of a stored blob (for streaming downloads)."""
        target = self._path(digest)
        if not target.exists():
            raise NotFoundError(f"original file {digest[:12]} is missing from the blob store")
        return target


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk too."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
