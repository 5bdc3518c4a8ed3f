"""Ingest one file and die (``os._exit``) at a chosen point of the write path, as a power cut would.

Run as ``python -m tests.ingest.crash_writer KB_DIR FILE POINT`` by the crash tests. The catalog is
the real one with a hook at one step; everything before the hook really happened on disk.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ingest.service import Ingestor
from kb.catalog import Catalog, DocumentRecord
from kb.embedding import DENSE_DIM
from kb.settings import Settings
from kb.store import open_store

CRASH_EXIT = 137


class CrashingCatalog(Catalog):
    """Dies just before the version commits (``before_commit``) or just after (``after_commit``)."""

    def __init__(self, path: Path, point: str) -> None:
        super().__init__(path)
        self.point = point

    def record_version(self, **kwargs: Any) -> tuple[DocumentRecord, str]:
        if self.point == "before_commit":
            os._exit(CRASH_EXIT)
        result = super().record_version(**kwargs)
        if self.point == "after_commit":
            os._exit(CRASH_EXIT)
        return result


def main(kb_dir: str, file: str, point: str) -> None:
    settings = Settings(kb_dir=Path(kb_dir))
    store = open_store(settings, dense_dim=DENSE_DIM)
    catalog = CrashingCatalog(settings.catalog_path, point)
    ingestor = Ingestor(settings, store=store, catalog=catalog)
    ingestor.warm_up()
    ingestor.ingest_paths([Path(file)])
    sys.exit(0)  # the hook did not fire


if __name__ == "__main__":
    main(*sys.argv[1:4])
