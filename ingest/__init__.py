"""Ingestion: files -> sections -> chunks -> index.

- :mod:`ingest.converters`: bytes of a PDF, Word, HTML, Markdown or text file -> a
  :class:`kb.models.ConvertedDocument` whose sections know their heading path and page
  (``convert_bytes``, ``convert_path``, ``sniff_media_type``, Haystack section converters).
- :mod:`ingest.chunking`: ``Chunker`` cuts those sections into passages that fit the embedding
  model's window, keeping numbered clauses whole (boundaries in :mod:`ingest.clauses`).
- :mod:`ingest.prepare`: ``DocumentPreparer`` reads one file (metadata, conversion, chunks) without
  writing anything; :mod:`ingest.service`: ``Ingestor``, the only writer of the catalog, the blobs
  and the index (write order: intent -> index -> commit -> drop stale).
- :mod:`ingest.consistency`: ``check_consistency`` and ``repair`` behind ``kb check``.

The public surface is ``__all__`` (pinned by ``tests/test_exported_members.py``). The names are
loaded on first use, so ``import ingest.converters`` stays light (no Haystack, no torch).
"""

import typing as _typing

from kb.exports import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from ingest.chunking import Chunker
    from ingest.consistency import check_consistency, repair
    from ingest.converters import convert_bytes, convert_path, sniff_media_type
    from ingest.files import discover_files
    from ingest.prepare import DocumentPreparer
    from ingest.service import Ingestor

_WHERE = {
    "Chunker": "ingest.chunking",
    "DocumentPreparer": "ingest.prepare",
    "Ingestor": "ingest.service",
    "check_consistency": "ingest.consistency",
    "convert_bytes": "ingest.converters",
    "convert_path": "ingest.converters",
    "discover_files": "ingest.files",
    "repair": "ingest.consistency",
    "sniff_media_type": "ingest.converters",
}

__all__ = [
    "Chunker",
    "DocumentPreparer",
    "Ingestor",
    "check_consistency",
    "convert_bytes",
    "convert_path",
    "discover_files",
    "repair",
    "sniff_media_type",
]


__getattr__, __dir__ = _lazy_exports(__name__, _WHERE)
