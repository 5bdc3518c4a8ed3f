"""The write rules: who may contribute what, checked before any work is queued.

``POST/PUT/DELETE /v1/documents`` and the web form (``/contribute``) go through :class:`Contributions`.
The rules, in the order the API applies them:

- the file must be one of the supported kinds, by name (Markdown, PDF, DOCX, HTML, text) and by
  content (magic bytes; a text file named ``.pdf`` is refused);
- metadata (the form field, front matter) is capped at ``KB_MAX_METADATA_BYTES`` before it is
  parsed, and read without YAML anchors/aliases; every invalid field is reported at once;
- a contributor key creates documents only for its own states, and changes or withdraws only the
  documents it created; admins may do anything;
- a harvested document (``harvested_from`` in its metadata, see ``kb harvest``) is read-only here
  for every key (409): its source changes it, and the next harvest brings the change;
- an id is never taken over: an active document's id needs PUT, and a withdrawn document's id stays
  owned, so only its owner key or an admin may create it again (a restore).

Everything here blocks (disk, SQLite, YAML): front doors call it off the event loop. The caller's key
is checked by the front door (:mod:`search.services.auth`) before anything here reads the upload, so
a caller without a key never costs more than the request itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from ingest.converters import SUPPORTED_EXTENSIONS, check_extension_matches, sniff_media_type
from kb.blobs import open_blob_store
from kb.catalog import Catalog, DocumentRecord, JobRecord, KeyRecord
from kb.errors import ConflictError, ConversionError, ForbiddenError, MetadataError
from kb.metadata import (
    DocumentMetadata,
    build_metadata,
    check_nesting,
    check_size,
    default_id,
    default_title,
    is_markdown,
    split_front_matter,
)
from kb.settings import Settings
from search.services.reviews import needs_review

if TYPE_CHECKING:
    from search.operations.jobs import JobRunner

SUPPORTED_KINDS = "Markdown (.md, .markdown), PDF (.pdf), Word (.docx), HTML (.html, .htm) or plain text (.txt)"


class Withdrawer(Protocol):
    """What withdrawing needs: the ingestor, which removes the document from the catalog and index."""

    def remove(self, document_id: str, *, actor: str) -> DocumentRecord: ...


@dataclass(frozen=True)
class Draft:
    """A checked contribution: the file, the metadata as sent and as validated."""

    filename: str
    data: bytes
    raw: dict[str, Any]
    meta: DocumentMetadata


def upload_name(filename: str | None, fallback: str = "upload.txt") -> str:
    """The file's own name, without any folder a client put in front of it."""
    return PurePath((filename or fallback).replace("\\", "/")).name or fallback


def check_filename(filename: str) -> None:
    """Only the kinds we convert are accepted, so an ``.exe`` or ``.svg`` is never stored."""
    if PurePath(filename).suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise ConversionError(f"'{filename}' is not a supported kind of file; send {SUPPORTED_KINDS}")


def check_content(data: bytes, filename: str) -> None:
    """Refuse content that does not match its name (cheap: magic bytes only)."""
    check_extension_matches(sniff_media_type(data, filename), filename)


def parse_metadata_field(text: str, *, max_bytes: int) -> dict[str, Any]:
    """The API's ``metadata`` form field: a flat JSON object, capped before it is parsed."""
    check_size(len(text.encode("utf-8", errors="replace")), max_bytes, "the metadata field")
    try:
        raw = json.loads(text.strip() or "{}")
    except json.JSONDecodeError as exc:
        raise MetadataError(f"the metadata field is not valid JSON: {exc.msg} (char {exc.pos})") from None
    except RecursionError:
        raise MetadataError("the metadata field is nested too deeply; metadata is a flat JSON object") from None
    if not isinstance(raw, dict):
        raise MetadataError('the metadata field must be a JSON object, e.g. {"title": "...", "states": ["Haryana"]}')
    check_nesting(raw, "the metadata field")
    return raw


def merge_front_matter(data: bytes, filename: str, raw: dict[str, Any], *, max_bytes: int) -> dict[str, Any]:
    """The fields sent over a Markdown file's front matter (the fields sent win)."""
    if not data or not is_markdown(Path(filename)):
        return dict(raw)
    front = split_front_matter(data.decode("utf-8", errors="replace"), max_bytes=max_bytes)[0]
    return {**front, **raw}


def validate_merged(merged: dict[str, Any], filename: str, *, max_bytes: int) -> DocumentMetadata:
    """The metadata as the worker will build it, with the id and title derived from the file name."""
    return build_metadata(
        merged,
        source="metadata",
        default_id=default_id(filename),
        default_title=default_title(filename),
        max_bytes=max_bytes,
    )


def validate(data: bytes, filename: str, raw: dict[str, Any], *, max_bytes: int) -> DocumentMetadata:
    """Front matter under the fields sent, validated: :class:`MetadataError` lists every invalid field,
    ``PayloadTooLargeError`` refuses metadata over ``max_bytes``."""
    return validate_merged(merge_front_matter(data, filename, raw, max_bytes=max_bytes), filename, max_bytes=max_bytes)


def check_states(key: KeyRecord, meta: DocumentMetadata) -> None:
    if key.is_admin:
        return
    if not key.may_contribute:
        raise ForbiddenError(
            f"a {key.role} key reads, records adoptions and asks questions; sending documents needs a contributor key"
        )
    if not meta.states:
        raise ForbiddenError(f"set `states` in the metadata; this key may contribute for {', '.join(key.states)}")
    outside = [s for s in meta.states if s not in key.states]
    if outside:
        raise ForbiddenError(f"this key may contribute only for {', '.join(key.states)}, not for {', '.join(outside)}")


def check_owner(key: KeyRecord, record: DocumentRecord) -> None:
    if not key.is_admin and record.owner_key_id != key.id:
        raise ForbiddenError(
            f"document '{record.id}' belongs to another contributor; only its owner or an admin may change it"
        )


def check_not_harvested(record: DocumentRecord) -> None:
    """A harvested copy (``kb harvest``) follows its source: changes are made there, for every key."""
    source = record.metadata.get("harvested_from")
    if source:
        raise ConflictError(f"document '{record.id}' is harvested from {source}; change it there")


def check_new_id(catalog: Catalog, key: KeyRecord, document_id: str) -> None:
    """POST never overwrites: an active id needs PUT; a withdrawn id only comes back for its owner."""
    existing = catalog.get_document(document_id)
    pending = catalog.open_submission(document_id)
    if pending is not None and not key.is_admin and pending.key_id != key.id:
        raise ConflictError(
            f"the id '{document_id}' is taken by a document another contributor sent for review; choose another id"
        )
    if existing is None:
        return
    if existing.active:
        raise ConflictError(
            f"a document with id '{document_id}' already exists ('{existing.title}'); "
            f"send a new version with PUT /v1/documents/{document_id}"
        )
    if not key.is_admin and existing.owner_key_id != key.id:
        raise ConflictError(
            f"the id '{document_id}' belongs to a withdrawn document of another contributor; choose another id"
            " (only its owner or an admin may restore it)"
        )


class Contributions:
    """Create, update and withdraw documents for one caller's key, applying the rules above."""

    def __init__(self, *, catalog: Catalog, jobs: JobRunner, withdrawer: Withdrawer, settings: Settings) -> None:
        self.catalog = catalog
        self.jobs = jobs
        self.withdrawer = withdrawer
        self.settings = settings

    @classmethod
    def of(cls, state: Any) -> Contributions:
        """The service over an app's ``state`` (catalog, job runner, ingestor, settings of the lifespan)."""
        return cls(catalog=state.catalog, jobs=state.jobs, withdrawer=state.ingestor, settings=state.settings)

    @property
    def max_metadata_bytes(self) -> int:
        return self.settings.max_metadata_bytes

    def read(self, upload: BinaryIO, filename: str) -> bytes:
        """The upload's bytes once its name says it is a supported kind (the size was capped while it
        streamed in; see ``search.api.limits``)."""
        check_filename(filename)
        upload.seek(0)
        return upload.read()

    def draft(self, key: KeyRecord, *, filename: str, data: bytes, raw: dict[str, Any]) -> Draft:
        """Every check for a new document, in the API's order; raises the first problem."""
        meta = validate(data, filename, raw, max_bytes=self.max_metadata_bytes)
        check_states(key, meta)
        check_new_id(self.catalog, key, meta.id)
        check_content(data, filename)
        return Draft(filename=filename, data=data, raw=raw, meta=meta)

    def submit(self, key: KeyRecord, draft: Draft) -> JobRecord:
        """Queue a checked new document (may raise ``BusyError`` when the queue is full)."""
        return self.jobs.submit(
            data=draft.data,
            filename=draft.filename,
            raw_meta=draft.raw,
            key=key,
            expected_id=draft.meta.id,
            review=needs_review(self.settings, key),
        )

    def create(self, key: KeyRecord, *, upload: BinaryIO, filename: str, metadata: str) -> JobRecord:
        """``POST /v1/documents``: a new document, queued."""
        check_filename(filename)
        raw = parse_metadata_field(metadata, max_bytes=self.max_metadata_bytes)
        data = self.read(upload, filename)
        return self.submit(key, self.draft(key, filename=filename, data=data, raw=raw))

    def update(
        self, key: KeyRecord, document_id: str, *, upload: BinaryIO | None, filename: str | None, metadata: str
    ) -> JobRecord:
        """``PUT /v1/documents/{id}``: a new version; fields not sent keep their current values."""
        record = self.catalog.require_document(document_id)
        check_not_harvested(record)
        check_owner(key, record)
        sent = parse_metadata_field(metadata, max_bytes=self.max_metadata_bytes)
        current = self.catalog.version(record.id)
        raw = {**{k: v for k, v in record.metadata.items() if v not in (None, [], "")}, **sent, "id": record.id}
        if upload is None:  # metadata only: the stored original is reused, read only for its front matter
            filename = current.filename
            stored = (
                open_blob_store(self.settings, self.catalog).get(current.blob_sha256)
                if is_markdown(Path(filename))
                else b""
            )
            check_states(key, validate(stored, filename, raw, max_bytes=self.max_metadata_bytes))
            return self.jobs.submit(
                blob_sha256=current.blob_sha256,
                filename=filename,
                raw_meta=raw,
                key=key,
                document_id=record.id,
                review=needs_review(self.settings, key),
            )
        filename = upload_name(filename, current.filename)
        data = self.read(upload, filename)
        meta = validate(data, filename, raw, max_bytes=self.max_metadata_bytes)
        check_states(key, meta)
        check_content(data, filename)
        return self.jobs.submit(
            data=data,
            filename=filename,
            raw_meta=raw,
            key=key,
            document_id=record.id,
            review=needs_review(self.settings, key),
        )

    def withdraw(self, key: KeyRecord, document_id: str) -> DocumentRecord:
        """``DELETE /v1/documents/{id}``: out of search at once; kept in the catalog and the audit log."""
        record = self.catalog.require_document(document_id, include_withdrawn=False)
        check_not_harvested(record)
        check_owner(key, record)
        return self.withdrawer.remove(record.id, actor=key.actor)
