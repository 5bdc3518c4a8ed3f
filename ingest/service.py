"""Ingestion service: files and uploads in, catalog + blobs + index updated, per-file outcomes out.

The one place that writes documents. The CLI (`kb ingest`, `kb reindex`) and the API's background
worker both call it, so both get the same idempotency (unchanged files are skipped, changed ones
replace their old chunks) and the same audit trail.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from haystack import Document
from haystack.document_stores.types import DuplicatePolicy

from ingest.batches import GROUP_BATCHES, EmbeddingStep, FileGroup, PendingFile, Prefill
from ingest.chunking import Chunker
from ingest.deadlines import check_deadline, remaining
from ingest.files import IngestReport, default_ids, discover_files
from ingest.pipeline import build_embedding_pipeline
from ingest.prepare import (
    DocumentPreparer,
    PreparedDocument,
    chunk_documents,
    document_filter,
    fingerprint,
    prepared_from_catalog,
)
from ingest.sparse import Bm25DocumentEmbedder
from kb.blobs import open_blob_store
from kb.catalog import Catalog, DocumentRecord
from kb.diskspace import ensure_free_space
from kb.errors import ConflictError, KBError
from kb.settings import Settings
from kb.store import ChunkStore

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]  # (done, total, what is being worked on)


class Ingestor:
    """Writes documents to the catalog, the blob store and the index, keeping them consistent."""

    # chunks a group of files fills before its shared embedding call; None: GROUP_BATCHES embedding
    # batches, 1: every file alone (the baseline of bench.cross_batch)
    group_chunks: int | None = None

    def __init__(self, settings: Settings, *, store: ChunkStore, catalog: Catalog) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.blobs = open_blob_store(settings, catalog)
        self.chunker = Chunker(settings.resolved_model_path(), target_tokens=settings.chunk_tokens)
        self.preparer = DocumentPreparer.from_settings(settings, self.chunker)
        self.embedding = build_embedding_pipeline(settings)
        self.sparse = Bm25DocumentEmbedder()
        self._prefill = Prefill()  # vectors embedded ahead for a group of small files (kb ingest)
        # minilm+e5: unchanged chunks take their document's current e5 lead vector (kb/dual.py)
        refresh = getattr(self.embedding.get_component("dense"), "refresh", None)
        self._embedding_step = EmbeddingStep(self.sparse, self._prefill, refresh, settings.embedding_batch_size * 2)

    def warm_up(self) -> None:
        """Load the tokenizer and the model once, before the first document."""
        self.chunker.warm_up()
        self.embedding.warm_up()
        self.sparse.warm_up()

    # -- files (CLI) -------------------------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Sequence[Path],
        *,
        sync: bool = False,
        actor: str = "cli",
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> IngestReport:
        """Ingest files and folders; with ``sync``, remove documents whose files under them are gone.

        ``stop`` (set by the CLI on Ctrl-C) is checked between files, so every file is either done or
        untouched; an interrupted run skips ``sync``, since the files it did not reach are not gone.
        Files are prepared in groups whose chunks share embedding calls (:mod:`ingest.batches`); each
        is still written on its own, in the order of :meth:`_store`."""
        self.recover()  # finish or undo what an interrupted run left before writing anything new
        report = IngestReport()
        files, problems = discover_files(paths)
        fallback_ids = default_ids(files, paths)
        report.failed.extend(problems)
        group = FileGroup(batch_size=self.group_chunks or GROUP_BATCHES * self.settings.embedding_batch_size)
        for number, path in enumerate(files):
            if stop is not None and stop.is_set():
                break
            if progress:
                progress(number, len(files), str(path))
            try:
                pending = self._prepare_file(path, report=report, fallback_id=fallback_ids[path])
            except KBError as exc:
                report.failed.append({"path": str(path), "error": exc.message})
                continue
            if pending is not None and group.add(pending):
                self._write_files(group, actor=actor, report=report)
        self._write_files(group, actor=actor, report=report)  # prepared files are written, even after Ctrl-C
        if sync and not (stop is not None and stop.is_set()):
            for folder in (p.resolve() for p in paths if p.is_dir()):
                for record in self.catalog.documents_under(str(folder)):
                    if record.source_path and not Path(record.source_path).exists():
                        self.remove(record.id, actor=actor, reason=f"file removed: {record.source_path}")
                        report.removed.append(record.id)
                        report.documents.append(
                            {"id": record.id, "path": record.source_path, "outcome": "removed", "chunks": 0}
                        )
        return report

    def _prepare_file(self, path: Path, *, report: IngestReport, fallback_id: str) -> PendingFile | None:
        """Read and prepare one file; None (recorded as unchanged) when the catalog has it already."""
        source = str(path.resolve())
        data, raw_meta = self.preparer.read_file(path)
        known = self.catalog.find_by_source(source)
        if known is not None and known.active:
            current = self.catalog.version(known.id)
            if current.fingerprint == fingerprint(data, raw_meta, path.name, self.settings.dense_model_name):
                report.record("unchanged", known.id, str(path), current.chunk_count)
                return None
        prepared = self.preparer.prepare(
            data, filename=path.name, raw_meta=raw_meta, source=str(path), fallback_id=fallback_id
        )
        return PendingFile(path=path, source=source, known=known, prepared=prepared)

    def _write_files(self, group: FileGroup, *, actor: str, report: IngestReport) -> None:
        """Embed the group's small documents in shared calls, then write each file on its own."""
        files = group.take()
        if not files:
            return
        try:
            self._prefill.fill(self.embedding, group.small(files), self.store)
            for pending in files:
                try:
                    self._write_file(pending, actor=actor, report=report)
                except KBError as exc:
                    report.failed.append({"path": str(pending.path), "error": exc.message})
        finally:
            self._prefill.clear()

    def _write_file(self, pending: PendingFile, *, actor: str, report: IngestReport) -> None:
        path, source, known, prepared = pending.path, pending.source, pending.known, pending.prepared
        owner = self.catalog.get_document(prepared.meta.id)
        taken = owner is not None and owner.active and owner.source_path not in (None, source)
        if taken and owner is not None and owner.source_path and Path(owner.source_path).exists():
            raise ConflictError(
                f"{path}: id '{prepared.meta.id}' is already used by {owner.source_path}; "
                "give one of them its own `id` in its metadata"
            )
        record, outcome = self._store(prepared, actor=actor, source_path=source)
        if known is not None and known.active and known.id != record.id:
            self.remove(known.id, actor=actor, reason=f"renamed to {record.id}")
        report.record(
            outcome,
            record.id,
            str(path),
            len(prepared.chunks),
            prepared.warnings,
            contents_skipped=prepared.contents_sections,
        )

    # -- uploads (API worker) ----------------------------------------------------------------------

    def ingest_upload(
        self,
        data: bytes,
        *,
        filename: str,
        raw_meta: dict[str, Any],
        actor: str,
        owner_key_id: str | None = None,
        may_take_over: bool = False,
        document_id: str | None = None,
        must_be_new: bool = False,
        job_id: str | None = None,
        deadline: float | None = None,
    ) -> tuple[DocumentRecord, str]:
        """Ingest an uploaded file; ``document_id`` forces the id (a new version via PUT).

        ``must_be_new`` refuses an id that is taken (POST must not silently overwrite). A withdrawn
        id stays its owner's: only that key (or ``may_take_over``, an admin) may restore it. Sending the
        same file with the same metadata again is recognised and writes nothing; so is a retried job
        whose first run already committed (``job_id``). ``deadline`` (``time.monotonic()``) bounds the
        whole run: conversion, chunking and embedding.
        """
        if job_id is not None and (done := self.catalog.version_made_by_job(job_id)) is not None:
            return self.catalog.require_document(done.document_id), "added" if done.version == 1 else "updated"
        prepared = self.prepare_upload(
            data,
            filename=filename,
            raw_meta=raw_meta,
            owner_key_id=owner_key_id,
            may_take_over=may_take_over,
            document_id=document_id,
            must_be_new=must_be_new,
            deadline=deadline,
        )
        existing = self.catalog.get_document(prepared.meta.id)
        if existing is not None and existing.active and self._same_as_current(existing.id, prepared):
            return existing, "unchanged"
        return self._store(prepared, actor=actor, owner_key_id=owner_key_id, job_id=job_id, deadline=deadline)

    def prepare_upload(
        self,
        data: bytes,
        *,
        filename: str,
        raw_meta: dict[str, Any],
        owner_key_id: str | None = None,
        may_take_over: bool = False,
        document_id: str | None = None,
        must_be_new: bool = False,
        deadline: float | None = None,
    ) -> PreparedDocument:
        """Convert and check an upload without writing anything (what a submission for review keeps);
        the same checks as :meth:`ingest_upload` makes before it writes."""
        if document_id is not None:
            raw_meta = {**raw_meta, "id": document_id}
        prepared = self.preparer.prepare(
            data, filename=filename, raw_meta=raw_meta, source=filename, timeout_s=remaining(deadline)
        )
        existing = self.catalog.get_document(prepared.meta.id)
        if must_be_new and existing is not None:
            if existing.active:
                raise ConflictError(
                    f"a document with id '{prepared.meta.id}' exists; send a new version with "
                    f"PUT /v1/documents/{prepared.meta.id}"
                )
            if not may_take_over and existing.owner_key_id != owner_key_id:
                raise ConflictError(
                    f"the id '{prepared.meta.id}' belongs to a withdrawn document of another contributor; "
                    "choose another id (only its owner or an admin may restore it)"
                )
        return prepared

    def _same_as_current(self, document_id: str, prepared: PreparedDocument) -> bool:
        """Same bytes and same effective metadata as the current version (uploads merge metadata, so
        their raw-metadata fingerprint is not comparable)."""
        current = self.catalog.version(document_id)
        return current.blob_sha256 == prepared.blob_sha256 and current.metadata == prepared.meta.to_payload()

    # -- the write path: intent, index, commit, drop stale -------------------------------------------

    def _store(
        self,
        prepared: PreparedDocument,
        *,
        actor: str,
        source_path: str | None = None,
        owner_key_id: str | None = None,
        job_id: str | None = None,
        deadline: float | None = None,
    ) -> tuple[DocumentRecord, str]:
        """Write a new version so that a crash at any step leaves the old version or the new one.

        1. the original goes to the blob store (content-addressed, idempotent);
        2. chunks are embedded (the slow part; nothing is changed yet);
        3. the catalog records the intent to write version N;
        4. the new chunks are upserted into the index, beside the old version's;
        5. the catalog commits version N (the source of truth switches here);
        6. chunks of the old version that the new one does not share are deleted; the intent is cleared.
        A failure in 4-5 puts the index back to what the catalog says at once; a crash leaves the intent,
        which :meth:`reconcile` (run at start-up and by ``kb check --repair``) follows.
        """
        meta_id = prepared.meta.id
        existing = self.catalog.get_document(meta_id)
        next_version = 1 if existing is None else existing.current_version + 1
        self._ensure_room(len(prepared.data) + 4096 * len(prepared.chunks))
        digest = prepared.blob_sha256
        if not self.blobs.exists(digest):
            self.blobs.put(prepared.data)
        documents = self._embed(chunk_documents(prepared, version=next_version), self.store, deadline)
        check_deadline(deadline)
        version = self.catalog.begin_write(meta_id)
        try:
            if version != next_version:
                raise ConflictError(f"document '{meta_id}' changed while this version was prepared; send it again")
            self.store.write_documents(documents, policy=DuplicatePolicy.OVERWRITE)
            result = self.catalog.record_version(
                meta=prepared.meta,
                version=version,
                blob_sha256=digest,
                filename=prepared.filename,
                media_type=prepared.converted.media_type,
                size_bytes=len(prepared.data),
                fingerprint=prepared.fingerprint,
                sections=prepared.converted.sections,
                chunk_count=len(prepared.chunks),
                actor=actor,
                source_path=source_path,
                owner_key_id=owner_key_id if existing is None else None,
                job_id=job_id,
            )
        except BaseException:
            self._restore_after_failure(meta_id)
            raise
        self._drop_stale(meta_id, keep={d.id for d in documents})
        self.catalog.clear_intent(meta_id)
        return result

    def _ensure_room(self, needed: int) -> None:
        """Refuse before writing when the KB's disk is nearly full (Edge would die of SIGBUS)."""
        growth = self.store.local_growth_bytes()
        ensure_free_space(self.settings.kb_dir, needed=needed + growth, reserve=self.settings.min_free_bytes)

    def _restore_after_failure(self, document_id: str) -> None:
        """Best effort right after a failed write; if this fails too, the intent stays for later."""
        try:
            self.reconcile(document_id)
        except Exception:
            log.exception("could not put the index back for %s; kb check --repair will", document_id)

    def _drop_stale(self, document_id: str, *, keep: set[str], store: ChunkStore | None = None) -> int:
        target = store or self.store
        stale = [d.id for d in target.scroll(document_filter(document_id)) if d.id not in keep]
        if stale:
            target.delete_documents(stale)
        return len(stale)

    def index(self, prepared: PreparedDocument, *, version: int, store: ChunkStore | None = None) -> int:
        """Make the index hold exactly this version's chunks; unchanged chunks reuse their vectors."""
        target = store or self.store
        documents = self._embed(chunk_documents(prepared, version=version), target, None)
        target.write_documents(documents, policy=DuplicatePolicy.OVERWRITE)
        self._drop_stale(prepared.meta.id, keep={d.id for d in documents}, store=target)
        return len(documents)

    def _embed(self, documents: list[Document], store: ChunkStore, deadline: float | None) -> list[Document]:
        return self._embedding_step.run(self.embedding, documents, store, deadline)

    def remove(self, document_id: str, *, actor: str, reason: str = "withdrawn") -> DocumentRecord:
        """Withdraw a document from search; the catalog keeps its versions and audit trail."""
        self.catalog.require_document(document_id, include_withdrawn=False)
        self.catalog.begin_write(document_id)
        record = self.catalog.withdraw(document_id, actor=actor, reason=reason)
        self.store.delete_by_filter(document_filter(document_id))
        self.catalog.clear_intent(document_id)
        return record

    # -- consistency ---------------------------------------------------------------------------------

    def reconcile(self, document_id: str) -> int:
        """Make the index agree with the catalog for one document; returns the chunks it now has.

        An active document gets exactly its current version's chunks (rebuilt from the catalog's
        sections, reusing stored vectors); a withdrawn or unknown one gets none. Clears the intent.
        """
        record = self.catalog.get_document(document_id)
        if record is None or not record.active:
            self.store.delete_by_filter(document_filter(document_id))
            count = 0
        else:
            count = self.index(self._from_catalog(record), version=record.current_version)
        self.catalog.clear_intent(document_id)
        return count

    def recover(self, *, older_than_s: float | None = None) -> list[str]:
        """Start-up reconciliation: finish or undo every write a crash interrupted. Returns their ids.

        ``older_than_s``: only writes started that long ago (a shared deployment, where a younger
        intent may belong to a writer that is still running in another process).
        """
        pending = sorted(self.catalog.write_intents(older_than_s=older_than_s))
        for document_id in pending:
            self.reconcile(document_id)
        return pending

    def reindex_into(self, store: ChunkStore, *, progress: Progress | None = None) -> int:
        """Rebuild every active document's chunks into ``store`` from the catalog alone."""
        total = 0
        records = self.catalog.all_active()
        for number, record in enumerate(records):
            if progress:
                progress(number, len(records), record.id)
            total += self.index(self._from_catalog(record), version=record.current_version, store=store)
        return total

    def _from_catalog(self, record: DocumentRecord) -> PreparedDocument:
        return prepared_from_catalog(self.catalog, self.chunker, record)
