"""Original files, stored content-addressed by SHA-256 under ``KB_DIR/blobs``.

Content addressing makes storing the same file twice free and lets every version keep its exact
original for download and for ``kb reindex``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kb.errors import NotFoundError
from kb.models import sha256_hex


class BlobStore:
    """Write-once files named by their hash (``ab/cdef...``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` (atomically) and return its SHA-256."""
        digest = sha256_hex(data)
        target = self._path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The stored bytes, or NotFoundError if the blob is missing."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"original file {digest[:12]} is missing from the blob store") from None

    def path(self, digest: str) -> Path:
        """Filesystem path of a stored blob (for streaming downloads)."""
        target = self._path(digest)
        if not target.exists():
            raise NotFoundError(f"original file {digest[:12]} is missing from the blob store")
        return target
