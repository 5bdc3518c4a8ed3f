"""Turn one file (or upload) into everything needed to index it, without writing anything.

Reading, metadata, conversion and chunking all happen here, so a bad file fails before the catalog
or the index is touched: nothing already stored is lost by a corrupt upload.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haystack import Document

from ingest.chunking import Chunker
from ingest.chunking_text import contents_sections
from ingest.converters import convert_bytes
from ingest.quality import practice_warnings
from kb.catalog import Catalog, DocumentRecord
from kb.e5 import LEAD_META, document_lead, dominant_script
from kb.embedding import CONTEXT_META_FIELD
from kb.errors import InputError, MetadataError, PayloadTooLargeError
from kb.metadata import (
    MAX_METADATA_BYTES,
    DocumentMetadata,
    build_metadata,
    default_id,
    default_title,
    is_markdown,
    read_raw_metadata,
    split_front_matter,
)
from kb.models import Chunk, ConvertedDocument, chunk_point_id, sha256_hex
from kb.settings import Settings

# Bump when conversion or chunking changes output, so unchanged files are re-indexed once.
PIPELINE_VERSION = "3"


@dataclass(frozen=True)
class PreparedDocument:
    """A converted, chunked document ready to embed and record."""

    meta: DocumentMetadata
    data: bytes
    filename: str
    converted: ConvertedDocument
    chunks: list[Chunk]
    fingerprint: str

    @property
    def blob_sha256(self) -> str:
        return sha256_hex(self.data)

    @property
    def warnings(self) -> list[str]:
        """What the contributor should look at: conversion (e.g. low OCR confidence) and, for a case
        study, the parts of the agreed shape and the practice record it lacks (:mod:`ingest.quality`)."""
        return [*self.converted.warnings, *practice_warnings(self.meta, self.converted.sections)]

    @property
    def contents_sections(self) -> int:
        """Sections kept in the catalog but not indexed: tables of contents and indexes
        (:mod:`ingest.chunking_text`), counted in the ingest report."""
        return len(contents_sections(self.converted.sections))


def fingerprint(data: bytes, raw_meta: dict[str, Any], filename: str, model_id: str) -> str:
    """Changes whenever the file, its metadata as written, its name, the pipeline or the model changes.

    Computed from the raw metadata (before validation and conversion) so an unchanged file is
    recognised without converting it again; everything derived (id, title) follows from these inputs.
    """
    meta_json = json.dumps(raw_meta, sort_keys=True, ensure_ascii=False, default=str)
    parts = [PIPELINE_VERSION, model_id, Path(filename).name, sha256_hex(data), meta_json]
    return sha256_hex("\x1f".join(parts).encode())


class DocumentPreparer:
    """Reads, validates, converts and chunks; shared by the CLI, the API worker and reindex."""

    def __init__(
        self,
        *,
        chunker: Chunker,
        model_id: str,
        max_bytes: int,
        timeout_s: float | None,
        max_metadata_bytes: int = MAX_METADATA_BYTES,
    ) -> None:
        self.chunker = chunker
        self.model_id = model_id
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_metadata_bytes = max_metadata_bytes

    @classmethod
    def from_settings(cls, settings: Settings, chunker: Chunker) -> DocumentPreparer:
        """The preparer with the configured limits (upload size, metadata size, conversion time)."""
        return cls(
            chunker=chunker,
            model_id=settings.dense_model_name,
            max_bytes=settings.max_upload_bytes,
            timeout_s=settings.conversion_timeout_s,
            max_metadata_bytes=settings.max_metadata_bytes,
        )

    def read_file(self, path: Path) -> tuple[bytes, dict[str, Any]]:
        """The file's bytes and its raw metadata (front matter or sidecar)."""
        size = path.stat().st_size
        if size > self.max_bytes:
            raise PayloadTooLargeError(
                f"{path}: file is {size / 1e6:.1f} MB; the limit is {self.max_bytes / 1e6:.0f} MB (KB_MAX_UPLOAD_BYTES)"
            )
        raw = {} if is_markdown(path) else read_raw_metadata(path, max_bytes=self.max_metadata_bytes)
        return path.read_bytes(), raw

    def prepare(
        self,
        data: bytes,
        *,
        filename: str,
        raw_meta: dict[str, Any],
        source: str | None = None,
        timeout_s: float | None = None,
        fallback_id: str | None = None,
    ) -> PreparedDocument:
        """Validate metadata, convert and chunk. Raises an InputError subclass naming ``source``.

        ``fallback_id`` is the id when the metadata names none (default: from ``filename``; a folder
        ingest passes :func:`ingest.files.default_ids`, which keeps same-named files apart).

        ``timeout_s`` (a job's remaining time) shortens the conversion limit and the OCR limit, never
        lengthens them.
        """
        label = source or filename
        file_fingerprint = fingerprint(data, raw_meta, filename, self.model_id)
        limits = [t for t in (self.timeout_s, timeout_s) if t is not None]
        job_end = None if timeout_s is None else time.monotonic() + timeout_s  # OCR stops there too
        try:
            language = raw_meta.get("language")  # scanned pages are read in the document's language
            converted = convert_bytes(
                data,
                filename,
                timeout_s=min(limits) if limits else None,
                language=str(language) if language else None,
                deadline=job_end,
            )
        except InputError as exc:
            raise type(exc)(_labelled(exc.message, filename, label)) from None
        if is_markdown(Path(filename)):
            try:
                text = data.decode("utf-8", errors="replace")
                front_matter = split_front_matter(text, max_bytes=self.max_metadata_bytes)[0]
            except MetadataError as exc:
                raise MetadataError(exc.message, path=label) from None
            except InputError as exc:  # e.g. front matter over the size limit
                raise type(exc)(_labelled(exc.message, filename, label)) from None
            raw_meta = {**front_matter, **raw_meta}  # explicit metadata (API form) wins
        meta = build_metadata(
            raw_meta,
            source=label,
            default_id=fallback_id or default_id(filename),
            default_title=converted.title or default_title(filename),
        )
        chunks = self.chunker.chunk(converted, title=meta.title)
        if not chunks:
            only = " but a table of contents or index" if contents_sections(converted.sections) else ""
            raise InputError(f"{label}: no text to index{only}")
        return PreparedDocument(
            meta=meta,
            data=data,
            filename=Path(filename).name,
            converted=converted,
            chunks=chunks,
            fingerprint=file_fingerprint,
        )


def _labelled(message: str, filename: str, label: str) -> str:
    """``message`` naming the file as ``label`` once: converters start with the bare file name
    (``"x.pdf is encrypted"``, ``"x.pdf: conversion took..."``), which ``label`` (the path) replaces,
    so error lines never read ``path: x.pdf: ...``."""
    if message.startswith(filename):
        return label + message[len(filename) :]
    return f"{label}: {message}"


def chunk_documents(prepared: PreparedDocument, *, version: int) -> list[Document]:
    """Haystack documents for the store: one per chunk, payload = document metadata + position."""
    meta = prepared.meta
    base: dict[str, Any] = {
        "document_id": meta.id,
        "title": meta.title,
        "type": meta.type.value,
        "states": meta.states,
        "sector": meta.sector.value,
        "level": meta.level.value,
        "year": meta.year,
        "language": meta.language,
        "tags": meta.tags,
        "departments": meta.departments,
        "status": meta.status.value if meta.status else None,
        "owner": meta.owner,  # the practice record: shown with results and citations, filterable
        "started": meta.started,
        "building_blocks": [block.value for block in meta.building_blocks],
        "source_url": meta.source_url,
        "visibility": meta.visibility.value,
        "version": version,
    }
    ocr_pages = {s.page: s.ocr_confidence for s in prepared.converted.sections if s.ocr}
    lead = document_lead(meta.title, (chunk.text for chunk in prepared.chunks))  # e5's (kb/dual.py); not stored
    documents = []
    for chunk in prepared.chunks:
        chunk_meta = {
            **base,
            "chunk_index": chunk.index,
            "is_head": chunk.index == 0,
            "heading_path": list(chunk.heading_path),
            "section": " › ".join(chunk.heading_path),
            "page": chunk.page,
            "ocr": chunk.page in ocr_pages,  # text read by OCR (each PDF section lies on one page)
            "ocr_confidence": ocr_pages.get(chunk.page),
            CONTEXT_META_FIELD: chunk.context or None,
            "script": dominant_script(chunk.text),  # per chunk: a document may mix languages
            LEAD_META: lead,
        }
        documents.append(
            Document(id=chunk_point_id(meta.id, chunk.index, chunk.text), content=chunk.text, meta=chunk_meta)
        )
    return documents


def prepared_from_catalog(catalog: Catalog, chunker: Chunker, record: DocumentRecord) -> PreparedDocument:
    """The current version of ``record`` as the catalog keeps it (metadata and sections), chunked
    again: what reconciling and reindexing rebuild the index from, without the original file."""
    version = catalog.version(record.id)
    meta = DocumentMetadata.model_validate(version.metadata)
    converted = ConvertedDocument(
        sections=tuple(catalog.sections(record.id)), media_type=version.media_type, title=meta.title
    )
    return PreparedDocument(
        meta=meta,
        data=b"",
        filename=version.filename,
        converted=converted,
        chunks=chunker.chunk(converted, title=meta.title),
        fingerprint=version.fingerprint,
    )


def document_filter(document_id: str) -> dict[str, Any]:
    """The store filter for every chunk of one document."""
    return {"field": "meta.document_id", "operator": "==", "value": document_id}
