"""Haystack components around the converters: one Haystack ``Document`` per section.

The plain functions in this package are the core; these are thin wrappers for pipelines. Each
component takes files (paths or ``ByteStream``), converts them with :func:`convert_bytes` and emits
one document per :class:`~kb.models.Section` with ``meta``: the given metadata, the ByteStream's own
meta (``file_path``), ``heading_path`` (list), ``page``, ``source_title`` (the title the converter
found), ``media_type``, ``page_count`` and ``section_index``. A file that cannot be converted is
reported in ``failures`` as ``{"source": ..., "error": ...}`` instead of failing the whole run.

Five near-identical wrappers share one base class here rather than living in a file each (the
usual Haystack layout): each is a few lines, and keeping Haystack out of the format modules keeps
the conversion worker process free of torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from haystack import Document, component
from haystack.components.converters.utils import get_bytestream_from_source, normalize_metadata
from haystack.dataclasses import ByteStream

from ingest.converters import convert_bytes, sniff
from kb.errors import KBError
from kb.models import ConvertedDocument


class _SectionConverterBase:
    """Shared ``run`` of the section converters; ``MEDIA_TYPE`` None means "sniff the content"."""

    MEDIA_TYPE: ClassVar[str | None] = None

    def __init__(self, *, timeout_s: float | None = None) -> None:
        """``timeout_s``: convert in a worker process and give up on a file after this many seconds."""
        self.timeout_s = timeout_s

    @component.output_types(documents=list[Document], failures=list[dict[str, Any]])
    def run(
        self,
        sources: list[str | Path | ByteStream],
        meta: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Convert ``sources``; ``meta`` (one dict for all, or one per source) is copied to every section."""
        documents: list[Document] = []
        failures: list[dict[str, Any]] = []
        for source, extra in zip(sources, normalize_metadata(meta, len(sources)), strict=True):
            name = _source_name(source)
            try:
                stream = get_bytestream_from_source(source)
                converted = convert_bytes(
                    stream.data,
                    _file_name(stream, name),
                    timeout_s=self.timeout_s,
                    media_type=self.MEDIA_TYPE,
                )
            except (KBError, OSError, ValueError) as exc:
                failures.append({"source": name, "error": str(exc)})
                continue
            documents.extend(section_documents(converted, {**stream.meta, **extra}))
        return {"documents": documents, "failures": failures}


def section_documents(converted: ConvertedDocument, meta: dict[str, Any]) -> list[Document]:
    """One Haystack ``Document`` per section of ``converted``, carrying ``meta`` plus its position."""
    return [
        Document(
            content=section.text,
            meta={
                **meta,
                "heading_path": list(section.heading_path),
                "page": section.page,
                "source_title": converted.title,
                "media_type": converted.media_type,
                "page_count": converted.page_count,
                "section_index": index,
            },
        )
        for index, section in enumerate(converted.sections)
    ]


def _source_name(source: str | Path | ByteStream) -> str:
    if isinstance(source, ByteStream):
        return str(source.meta.get("file_path") or source.meta.get("file_name") or "<bytes>")
    return str(source)


def _file_name(stream: ByteStream, fallback: str) -> str:
    name = stream.meta.get("file_name") or stream.meta.get("file_path") or fallback
    return Path(str(name)).name or str(name)


@component
class SectionConverter(_SectionConverterBase):
    """Converts files of any supported format, decided by their content."""


@component
class MarkdownSectionConverter(_SectionConverterBase):
    """Converts Markdown, keeping its heading tree (unlike Haystack's ``MarkdownToDocument``)."""

    MEDIA_TYPE = sniff.MARKDOWN


@component
class PDFSectionConverter(_SectionConverterBase):
    """Converts PDF files page by page; outline entries give the heading paths."""

    MEDIA_TYPE = sniff.PDF


@component
class DOCXSectionConverter(_SectionConverterBase):
    """Converts Word .docx files; heading styles give the heading paths."""

    MEDIA_TYPE = sniff.DOCX


@component
class HTMLSectionConverter(_SectionConverterBase):
    """Converts HTML pages, main content only."""

    MEDIA_TYPE = sniff.HTML


@component
class TextSectionConverter(_SectionConverterBase):
    """Converts plain text files."""

    MEDIA_TYPE = sniff.TEXT
