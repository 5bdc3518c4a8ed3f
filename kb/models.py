"""Domain objects shared by ingestion, the catalog, the store and search.

Plain frozen dataclasses: cheap to build, easy to compare in tests, no framework attached. Haystack
``Document`` objects appear only at the pipeline and store boundaries.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

# Fixed namespace so a chunk's point id is the same in every process, machine and backend.
_CHUNK_NAMESPACE = uuid.UUID("6f1d7c1e-3a52-4f0e-9a8e-2d0c1b7e5a10")

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path, as a converter found it.

    ``heading_path`` is the list of headings from the top of the document down to this text
    (``["Areas of cooperation", "Clause 4"]``); ``page`` is 1-based where the format has pages.
    ``ocr`` marks text read from a page image by text recognition, ``ocr_confidence`` the engine's
    mean word confidence (0-100) there: readers and ranking may trust such text less.
    """

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    ocr: bool = False
    ocr_confidence: float | None = None

    @property
    def heading(self) -> str:
        """The heading path as one line, for display and citations."""
        return SECTION_SEPARATOR.join(self.heading_path)


@dataclass(frozen=True)
class ConvertedDocument:
    """What a converter produces from one file: the title it found and its sections in order."""

    sections: tuple[Section, ...]
    media_type: str
    title: str | None = None
    page_count: int | None = None
    warnings: tuple[str, ...] = ()  # e.g. low OCR confidence: ingested, but worth a look

    @property
    def text(self) -> str:
        """All text in reading order, for hashing and full-text display."""
        return "\n\n".join(section.text for section in self.sections)


@dataclass(frozen=True)
class Chunk:
    """One embeddable passage: within the model's window, with where it came from."""

    text: str
    index: int
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    context: str = ""  # title and heading path prepended when embedding, counted in the window

    @property
    def embedding_text(self) -> str:
        """Exactly what the dense model reads: context line, newline, passage."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class SparseVector:
    """A sparse vector (BM25 term weights) as plain lists, backend-neutral."""

    indices: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def sha256_hex(data: bytes) -> str:
    """Content hash used for blobs, change detection and chunk ids."""
    return hashlib.sha256(data).hexdigest()


def chunk_point_id(document_id: str, chunk_index: int, text: str) -> str:
    """Deterministic point id of a chunk: unchanged chunks keep their id, so re-ingesting writes nothing."""
    digest = sha256_hex(text.encode("utf-8"))
    return str(uuid.uuid5(_CHUNK_NAMESPACE, f"{document_id}\x1f{chunk_index}\x1f{digest}"))
