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


def sparse_growth(folder: Path) -> int:
    """Bytes the files under ``folder`` may still claim without growing: sparse holes in mapped files.

    Qdrant Edge preallocates its WAL (two 32 MB files) and segment files as sparse files and writes
    into them through memory maps; on a filesystem that runs out of room, touching a hole raises
    SIGBUS. The room those holes need must stay free.
    """
    total = 0
    for file in folder.rglob("*") if folder.exists() else ():
        try:
            info = file.lstat()
        except OSError:
            continue
        if file.is_file():
            total += max(0, info.st_size - info.st_blocks * 512)
    return total


def ensure_free_space(path: Path, *, needed: int, reserve: int) -> None:
    """Raise :class:`StorageFullError` unless ``needed`` bytes fit with ``reserve`` left over."""
    if reserve <= 0 and needed <= 0:
        return
    free = free_bytes(path)
    if free < needed + reserve:
        raise StorageFullError(
            f"not enough free disk space under {path}: {_size(free)} free, this write needs {_size(needed)} "
            f"plus the {_size(reserve)} kept in reserve (KB_MIN_FREE_BYTES); free some space, then try again. "
            "Nothing was changed."
        )


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{max(1, round(n / 1e3))} kB"
