"""Documents, their versions, sections and the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kb.catalog.db import Database, utc_now
from kb.catalog.listing import listing_filters, visible_filter
from kb.catalog.records import AuditEntry, DocumentRecord, VersionRecord
from kb.catalog.tables import audit as audit_table
from kb.catalog.tables import document_states, documents, versions, write_intents
from kb.catalog.tables import sections as section_rows
from kb.errors import ConflictError, NotFoundError
from kb.metadata import DocumentMetadata
from kb.models import Section

_ACTIVE = documents.c.status == "active"


class DocumentCatalog:
    """Document-level operations; every write is audited in the same transaction."""

    db: Database

    def get_document(self, document_id: str) -> DocumentRecord | None:
        rows = self.db.query(sa.select(documents).where(documents.c.id == document_id))
        return DocumentRecord.from_row(rows[0]) if rows else None

    def require_document(self, document_id: str, *, include_withdrawn: bool = True) -> DocumentRecord:
        """The document or a NotFoundError that names the id."""
        record = self.get_document(document_id)
        if record is None or (not include_withdrawn and not record.active):
            raise NotFoundError(f"no document with id '{document_id}'")
        return record

    def find_by_source(self, source_path: str) -> DocumentRecord | None:
        rows = self.db.query(sa.select(documents).where(documents.c.source_path == source_path))
        return DocumentRecord.from_row(rows[0]) if rows else None

    def documents_under(self, folder: str) -> list[DocumentRecord]:
        """Active documents ingested from files below ``folder`` (for ``kb ingest --sync``)."""
        prefix = folder.rstrip("/") + "/"
        rows = self.db.query(
            sa.select(documents).where(_ACTIVE, sa.func.substr(documents.c.source_path, 1, len(prefix)) == prefix)
        )
        return [DocumentRecord.from_row(r) for r in rows]

    def list_documents(
        self,
        *,
        states: Sequence[str] = (),
        sector: str | None = None,
        type: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        national: bool = False,
        adopted_by: str | None = None,
        include_withdrawn: bool = False,
        visible_to: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DocumentRecord], int]:
        """A page of documents matching the filters, newest first, and the total count.

        ``visible_to`` leaves restricted documents out: None keeps every document (trusted callers),
        a list keeps public ones plus the restricted documents of those states (empty: public only).
        """
        where = listing_filters(states, sector, type, year_from, year_to, national=national, adopted_by=adopted_by)
        where += visible_filter(visible_to)
        if not include_withdrawn:
            where.append(_ACTIVE)
        total = int(self.db.scalar(sa.select(sa.func.count()).select_from(documents).where(*where)) or 0)
        page = (
            sa.select(documents)
            .where(*where)
            .order_by(documents.c.year.desc().nulls_last(), documents.c.title)
            .limit(limit)
            .offset(offset)
        )
        return [DocumentRecord.from_row(r) for r in self.db.query(page)], total

    def all_active(self) -> list[DocumentRecord]:
        rows = self.db.query(sa.select(documents).where(_ACTIVE).order_by(documents.c.id))
        return [DocumentRecord.from_row(r) for r in rows]

    # -- writing a version: intent first, index second, commit last ---------------------------------

    def begin_write(self, document_id: str) -> int:
        """Record that a new version of ``document_id`` is about to reach the index; returns its number.

        Written before any chunk is, so a crash between the index write and :meth:`record_version`
        leaves a trace that start-up reconciliation (and ``kb check``) follows to put the index back
        to what the catalog says. Versions are numbered inside this transaction, under the document's
        lock (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite).
        """
        with self.db.transaction() as conn:
            current = self._lock_current_version(conn, document_id)
            version = current + 1
            self.db.upsert(
                conn,
                write_intents,
                {"document_id": document_id, "version": version, "started_at": utc_now()},
                keys=("document_id",),
            )
        return version

    def _lock_current_version(self, conn: Connection, document_id: str) -> int:
        """The committed version (0 for a new document), locked until the transaction ends."""
        self.db.lock_document(conn, document_id)
        row = conn.execute(
            sa.select(documents.c.current_version).where(documents.c.id == document_id).with_for_update()
        ).first()
        return 0 if row is None else int(row[0])

    def write_intents(self, *, older_than_s: float | None = None) -> dict[str, int]:
        """Documents whose index write started and never committed or was rolled back (only those
        started more than ``older_than_s`` seconds ago, when given)."""
        statement = sa.select(write_intents)
        if older_than_s is not None:
            statement = statement.where(write_intents.c.started_at < utc_now(plus_seconds=-older_than_s))
        return {str(r["document_id"]): int(r["version"]) for r in self.db.query(statement)}

    def clear_intent(self, document_id: str) -> None:
        """The index agrees with the catalog again for ``document_id``."""
        with self.db.transaction() as conn:
            conn.execute(sa.delete(write_intents).where(write_intents.c.document_id == document_id))

    def version_made_by_job(self, job_id: str) -> VersionRecord | None:
        """The version a job already committed (a retried job must not write it twice)."""
        rows = self.db.query(sa.select(versions).where(versions.c.job_id == job_id))
        return VersionRecord.from_row(rows[0]) if rows else None

    def record_version(
        self,
        *,
        meta: DocumentMetadata,
        version: int,
        blob_sha256: str,
        filename: str,
        media_type: str,
        size_bytes: int,
        fingerprint: str,
        sections: Sequence[Section],
        chunk_count: int,
        actor: str,
        source_path: str | None = None,
        owner_key_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[DocumentRecord, str]:
        """Commit version ``version`` of ``meta.id`` (creating the document if new).

        The write intent stays until the caller has dropped the old version's chunks from the index.

        Returns the record and ``"added"`` or ``"updated"``. The previous version stays in the
        catalog; a withdrawn document that is contributed again becomes active again. A version number
        other than the next one means another writer got there first: ConflictError, nothing written.
        The document's lock is held from the check to the commit, so two writers never both pass it.
        """
        now = utc_now()
        metadata_json = json.dumps(meta.to_payload(), ensure_ascii=False, sort_keys=True)
        fields = {
            "title": meta.title,
            "type": meta.type.value,
            "sector": meta.sector.value,
            "states": json.dumps(meta.states, ensure_ascii=False),
            "year": meta.year,
            "status": "active",
            "current_version": version,
            "metadata": metadata_json,
            "updated_at": now,
            "visibility": meta.visibility.value,
        }
        with self.db.transaction() as conn:
            self.db.lock_document(conn, meta.id)
            row = (
                conn.execute(
                    sa.select(documents.c.current_version, documents.c.status)
                    .where(documents.c.id == meta.id)
                    .with_for_update()
                )
                .mappings()
                .first()
            )
            expected = 1 if row is None else int(row["current_version"]) + 1
            if version != expected:
                raise ConflictError(
                    f"document '{meta.id}' changed while this version was being written "
                    f"(expected version {expected}, got {version}); send it again"
                )
            outcome = "added" if row is None or row["status"] != "active" else "updated"
            if row is None:
                conn.execute(
                    sa.insert(documents).values(
                        id=meta.id, source_path=source_path, owner_key_id=owner_key_id, created_at=now, **fields
                    )
                )
            else:
                conn.execute(
                    sa.update(documents)
                    .where(documents.c.id == meta.id)
                    .values(source_path=sa.func.coalesce(source_path, documents.c.source_path), **fields)
                )
            conn.execute(sa.delete(document_states).where(document_states.c.document_id == meta.id))
            if meta.states:
                conn.execute(
                    sa.insert(document_states),
                    [{"document_id": meta.id, "state": s} for s in dict.fromkeys(meta.states)],
                )
            conn.execute(
                sa.insert(versions).values(
                    document_id=meta.id,
                    version=version,
                    blob_sha256=blob_sha256,
                    filename=filename,
                    media_type=media_type,
                    size_bytes=size_bytes,
                    metadata=metadata_json,
                    fingerprint=fingerprint,
                    chunk_count=chunk_count,
                    created_at=now,
                    created_by=actor,
                    job_id=job_id,
                )
            )
            if sections:
                conn.execute(
                    sa.insert(section_rows),
                    [
                        {
                            "document_id": meta.id,
                            "version": version,
                            "position": i,
                            "heading_path": json.dumps(list(s.heading_path), ensure_ascii=False),
                            "page": s.page,
                            "text": s.text,
                            "ocr": s.ocr,
                            "ocr_confidence": s.ocr_confidence,
                        }
                        for i, s in enumerate(sections)
                    ],
                )
            self._audit(
                conn,
                actor,
                "create" if version == 1 else "update",
                meta.id,
                version,
                {"filename": filename, "chunks": chunk_count},
            )
        return self.require_document(meta.id), outcome

    def withdraw(self, document_id: str, *, actor: str, reason: str = "withdrawn") -> DocumentRecord:
        """Take a document out of search; its versions and audit trail stay."""
        with self.db.transaction() as conn:
            updated = conn.execute(
                sa.update(documents)
                .where(documents.c.id == document_id, _ACTIVE)
                .values(status="withdrawn", updated_at=utc_now())
            ).rowcount
            if not updated:
                raise NotFoundError(f"no active document with id '{document_id}'")
            self._audit(conn, actor, "withdraw", document_id, None, {"reason": reason})
        return self.require_document(document_id)

    def versions(self, document_id: str) -> list[VersionRecord]:
        rows = self.db.query(
            sa.select(versions).where(versions.c.document_id == document_id).order_by(versions.c.version)
        )
        return [VersionRecord.from_row(r) for r in rows]

    def version(self, document_id: str, version: int | None = None) -> VersionRecord:
        """One version (default: current) or NotFoundError."""
        record = self.require_document(document_id)
        wanted = record.current_version if version is None else version
        rows = self.db.query(
            sa.select(versions).where(versions.c.document_id == document_id, versions.c.version == wanted)
        )
        if not rows:
            raise NotFoundError(f"document '{document_id}' has no version {wanted}")
        return VersionRecord.from_row(rows[0])

    def sections(self, document_id: str, version: int | None = None) -> list[Section]:
        """The document's text as sections, in reading order."""
        wanted = self.version(document_id, version).version
        rows = self.db.query(
            sa.select(
                section_rows.c.heading_path,
                section_rows.c.page,
                section_rows.c.text,
                section_rows.c.ocr,
                section_rows.c.ocr_confidence,
            )
            .where(section_rows.c.document_id == document_id, section_rows.c.version == wanted)
            .order_by(section_rows.c.position)
        )
        return [
            Section(
                text=r["text"],
                heading_path=tuple(json.loads(r["heading_path"])),
                page=r["page"],
                ocr=bool(r["ocr"]),
                ocr_confidence=r["ocr_confidence"],
            )
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """Totals for ``kb stats`` and /metrics."""
        status_counts = sa.select(documents.c.status, sa.func.count().label("count")).group_by(documents.c.status)
        by_status = {r["status"]: int(r["count"]) for r in self.db.query(status_counts)}
        current = sa.and_(
            documents.c.id == versions.c.document_id, documents.c.current_version == versions.c.version, _ACTIVE
        )
        chunks = self.db.scalar(sa.select(sa.func.coalesce(sa.func.sum(versions.c.chunk_count), 0)).where(current))
        return {
            "documents": int(by_status.get("active", 0)),
            "withdrawn": int(by_status.get("withdrawn", 0)),
            "versions": int(self.db.scalar(sa.select(sa.func.count()).select_from(versions)) or 0),
            "chunks": int(chunks or 0),
        }

    def facet_counts(self, column: str, *, visible_to: Sequence[str] | None = None, **filters: Any) -> dict[str, int]:
        """Active documents per value of ``type``, ``sector``, ``year`` or ``states``.

        ``filters`` are :meth:`list_documents`' (``states``, ``sector``, ``type``, ``year_from``,
        ``year_to``, ``national``) and ``visible_to`` too, so the counts describe the same documents a listing
        would show: a restricted document is not even counted for a caller who may not read it.
        """
        if column == "states":
            value: sa.ColumnElement[Any] = document_states.c.state
            source: sa.FromClause = document_states.join(documents, documents.c.id == document_states.c.document_id)
        elif column in {"type", "sector", "year"}:
            value, source = documents.c[column], documents
        else:
            raise ValueError(f"no facet on {column}")
        where = listing_filters(
            filters.get("states") or (),
            filters.get("sector"),
            filters.get("type"),
            filters.get("year_from"),
            filters.get("year_to"),
            national=bool(filters.get("national")),
            adopted_by=filters.get("adopted_by"),
        ) + visible_filter(visible_to)
        statement = (
            sa.select(value.label("value"), sa.func.count().label("count"))
            .select_from(source)
            .where(_ACTIVE, value.is_not(None), *where)
            .group_by(value)
        )
        return {str(r["value"]): int(r["count"]) for r in self.db.query(statement)}

    # -- audit -----------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, document_id: str | None = None, **detail: Any) -> None:
        """Record an action that is not a document version (key changes, removals)."""
        with self.db.transaction() as conn:
            self._audit(conn, actor, action, document_id, None, detail)

    @staticmethod
    def _audit(
        conn: Connection,
        actor: str,
        action: str,
        document_id: str | None,
        version: int | None,
        detail: dict[str, Any],
    ) -> None:
        conn.execute(
            sa.insert(audit_table).values(
                at=utc_now(),
                actor=actor,
                action=action,
                document_id=document_id,
                version=version,
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )

    def audit_log(self, *, document_id: str | None = None, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        statement = sa.select(audit_table).order_by(audit_table.c.seq.desc()).limit(limit).offset(offset)
        if document_id:
            statement = statement.where(audit_table.c.document_id == document_id)
        return [AuditEntry.from_row(r) for r in self.db.query(statement)]
