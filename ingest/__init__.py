"""Ingestion: files -> sections -> chunks -> index.

- :mod:`ingest.converters`: bytes of a PDF, Word, HTML, Markdown or text file -> a
  :class:`kb.models.ConvertedDocument` whose sections know their heading path and page
  (``convert_bytes``, ``convert_path``, ``sniff_media_type``, Haystack section converters).
- :mod:`ingest.chunking`: ``Chunker`` cuts those sections into passages that fit the embedding
  model's window, keeping numbered clauses whole (boundaries in :mod:`ingest.clauses`).

Nothing is imported here, so ``import ingest.converters`` stays light (no Haystack, no torch).
"""
