"""Refuse a write before it can fill the disk.

Checked ahead of writing rather than caught afterwards because not every writer fails politely:
Qdrant Edge maps its segment files, and on a full tmpfs the process dies with SIGBUS, no message.
SQLite and the blob store would raise, but halfway through a document. One check, one message.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.errors import StorageFullError


def free_bytes(path: Path) -> int:
    """Free bytes on the filesystem holding ``path`` (or its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def ensure_free_space(path: Path, *, needed: int, reserve: int) -> None:
    """Raise :class:`StorageFullError` unless ``needed`` bytes fit with ``reserve`` left over."""
    if reserve <= 0 and needed <= 0:
        return
    free = free_bytes(path)
    if free < needed + reserve:
        raise StorageFullError(
            f"not enough free disk space under {path}: {free / 1e6:.0f} MB free, this write needs "
            f"{needed / 1e6:.1f} MB plus the {reserve / 1e6:.0f} MB kept in reserve (KB_MIN_FREE_BYTES); "
            "free some space, then try again. Nothing was changed."
        )
