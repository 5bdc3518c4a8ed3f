"""Documents, their versions, sections and the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kb.catalog.db import Database, utc_now
from kb.catalog.records import AuditEntry, DocumentRecord, VersionRecord
from kb.errors import ConflictError, NotFoundError
from kb.metadata import DocumentMetadata
from kb.models import Section


class DocumentCatalog:
    """Document-level operations; every write is audited in the same transaction."""

    db: Database

    def get_document(self, document_id: str) -> DocumentRecord | None:
        rows = self.db.query("SELECT * FROM documents WHERE id = ?", (document_id,))
        return DocumentRecord.from_row(rows[0]) if rows else None

    def require_document(self, document_id: str, *, include_withdrawn: bool = True) -> DocumentRecord:
        """The document or a NotFoundError that names the id."""
        record = self.get_document(document_id)
        if record is None or (not include_withdrawn and not record.active):
            raise NotFoundError(f"no document with id '{document_id}'")
        return record

    def find_by_source(self, source_path: str) -> DocumentRecord | None:
        rows = self.db.query("SELECT * FROM documents WHERE source_path = ?", (source_path,))
        return DocumentRecord.from_row(rows[0]) if rows else None

    def documents_under(self, folder: str) -> list[DocumentRecord]:
        """Active documents ingested from files below ``folder`` (for ``kb ingest --sync``)."""
        prefix = folder.rstrip("/") + "/"
        rows = self.db.query(
            "SELECT * FROM documents WHERE status = 'active' AND substr(source_path, 1, ?) = ?",
            (len(prefix), prefix),
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
        include_withdrawn: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DocumentRecord], int]:
        """A page of documents matching the filters, newest first, and the total count."""
        where: list[str] = []
        params: list[object] = []
        if not include_withdrawn:
            where.append("status = 'active'")
        if states:
            marks = ",".join("?" * len(states))
            where.append(f"EXISTS (SELECT 1 FROM json_each(documents.states) WHERE value IN ({marks}))")
            params.extend(states)
        for column, value in (("sector", sector), ("type", type)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if year_from is not None:
            where.append("year >= ?")
            params.append(year_from)
        if year_to is not None:
            where.append("year <= ?")
            params.append(year_to)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = int(self.db.query(f"SELECT count(*) FROM documents {clause}", params)[0][0])
        rows = self.db.query(
            f"SELECT * FROM documents {clause} ORDER BY year DESC NULLS LAST, title LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [DocumentRecord.from_row(r) for r in rows], total

    def all_active(self) -> list[DocumentRecord]:
        rows = self.db.query("SELECT * FROM documents WHERE status = 'active' ORDER BY id")
        return [DocumentRecord.from_row(r) for r in rows]

    # -- writing a version: intent first, index second, commit last ---------------------------------

    def begin_write(self, document_id: str) -> int:
        """Record that a new version of ``document_id`` is about to reach the index; returns its number.

        Written before any chunk is, so a crash between the index write and :meth:`record_version`
        leaves a trace that start-up reconciliation (and ``kb check``) follows to put the index back
        to what the catalog says. Versions are numbered inside this transaction.
        """
        with self.db.transaction() as conn:
            row = conn.execute("SELECT current_version FROM documents WHERE id = ?", (document_id,)).fetchone()
            version = 1 if row is None else int(row["current_version"]) + 1
            conn.execute(
                "INSERT INTO write_intents (document_id, version, started_at) VALUES (?, ?, ?)"
                " ON CONFLICT (document_id) DO UPDATE SET version = excluded.version, started_at = excluded.started_at",
                (document_id, version, utc_now()),
            )
        return version

    def write_intents(self) -> dict[str, int]:
        """Documents whose index write started and never committed or was rolled back."""
        return {str(r["document_id"]): int(r["version"]) for r in self.db.query("SELECT * FROM write_intents")}

    def clear_intent(self, document_id: str) -> None:
        """The index agrees with the catalog again for ``document_id``."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM write_intents WHERE document_id = ?", (document_id,))

    def version_made_by_job(self, job_id: str) -> VersionRecord | None:
        """The version a job already committed (a retried job must not write it twice)."""
        rows = self.db.query("SELECT * FROM versions WHERE job_id = ?", (job_id,))
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
        """
        now = utc_now()
        metadata_json = json.dumps(meta.to_payload(), ensure_ascii=False, sort_keys=True)
        states_json = json.dumps(meta.states, ensure_ascii=False)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM documents WHERE id = ?", (meta.id,)).fetchone()
            expected = 1 if row is None else int(row["current_version"]) + 1
            if version != expected:
                raise ConflictError(
                    f"document '{meta.id}' changed while this version was being written "
                    f"(expected version {expected}, got {version}); send it again"
                )
            outcome = "added" if row is None or row["status"] != "active" else "updated"
            if row is None:
                conn.execute(
                    "INSERT INTO documents (id, title, type, sector, states, year, status, current_version,"
                    " source_path, owner_key_id, metadata, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)",
                    (
                        meta.id,
                        meta.title,
                        meta.type.value,
                        meta.sector.value,
                        states_json,
                        meta.year,
                        version,
                        source_path,
                        owner_key_id,
                        metadata_json,
                        now,
                        now,
                    ),
                )
            else:
                conn.execute(
                    "UPDATE documents SET title=?, type=?, sector=?, states=?, year=?, status='active',"
                    " current_version=?, source_path=coalesce(?, source_path), metadata=?, updated_at=?"
                    " WHERE id=?",
                    (
                        meta.title,
                        meta.type.value,
                        meta.sector.value,
                        states_json,
                        meta.year,
                        version,
                        source_path,
                        metadata_json,
                        now,
                        meta.id,
                    ),
                )
            conn.execute(
                "INSERT INTO versions (document_id, version, blob_sha256, filename, media_type, size_bytes,"
                " metadata, fingerprint, chunk_count, created_at, created_by, job_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    meta.id,
                    version,
                    blob_sha256,
                    filename,
                    media_type,
                    size_bytes,
                    metadata_json,
                    fingerprint,
                    chunk_count,
                    now,
                    actor,
                    job_id,
                ),
            )
            conn.executemany(
                "INSERT INTO sections (document_id, version, position, heading_path, page, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        meta.id,
                        version,
                        i,
                        json.dumps(list(s.heading_path), ensure_ascii=False),
                        s.page,
                        s.text,
                    )
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
                "UPDATE documents SET status='withdrawn', updated_at=? WHERE id=? AND status='active'",
                (utc_now(), document_id),
            ).rowcount
            if not updated:
                raise NotFoundError(f"no active document with id '{document_id}'")
            self._audit(conn, actor, "withdraw", document_id, None, {"reason": reason})
        return self.require_document(document_id)

    def versions(self, document_id: str) -> list[VersionRecord]:
        rows = self.db.query("SELECT * FROM versions WHERE document_id = ? ORDER BY version", (document_id,))
        return [VersionRecord.from_row(r) for r in rows]

    def version(self, document_id: str, version: int | None = None) -> VersionRecord:
        """One version (default: current) or NotFoundError."""
        record = self.require_document(document_id)
        wanted = record.current_version if version is None else version
        rows = self.db.query("SELECT * FROM versions WHERE document_id = ? AND version = ?", (document_id, wanted))
        if not rows:
            raise NotFoundError(f"document '{document_id}' has no version {wanted}")
        return VersionRecord.from_row(rows[0])

    def sections(self, document_id: str, version: int | None = None) -> list[Section]:
        """The document's text as sections, in reading order."""
        wanted = self.version(document_id, version).version
        rows = self.db.query(
            "SELECT heading_path, page, text FROM sections WHERE document_id=? AND version=? ORDER BY position",
            (document_id, wanted),
        )
        return [
            Section(text=r["text"], heading_path=tuple(json.loads(r["heading_path"])), page=r["page"]) for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """Totals for ``kb stats`` and /metrics."""
        row = self.db.query(
            "SELECT sum(status='active'), sum(status='withdrawn'), (SELECT count(*) FROM versions),"
            " (SELECT coalesce(sum(v.chunk_count), 0) FROM versions v JOIN documents d"
            "  ON d.id = v.document_id AND d.current_version = v.version AND d.status = 'active')"
            " FROM documents"
        )[0]
        return {
            "documents": int(row[0] or 0),
            "withdrawn": int(row[1] or 0),
            "versions": int(row[2] or 0),
            "chunks": int(row[3] or 0),
        }

    def facet_counts(self, column: str) -> dict[str, int]:
        """Active documents per value of ``type``, ``sector``, ``year`` or ``states``."""
        if column == "states":
            sql = (
                "SELECT j.value, count(*) FROM documents d, json_each(d.states) j"
                " WHERE d.status='active' GROUP BY j.value"
            )
        elif column in {"type", "sector", "year"}:
            sql = (
                f"SELECT {column}, count(*) FROM documents"
                f" WHERE status='active' AND {column} IS NOT NULL GROUP BY {column}"
            )
        else:
            raise ValueError(f"no facet on {column}")
        return {str(value): int(count) for value, count in self.db.query(sql)}

    # -- audit -----------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, document_id: str | None = None, **detail: Any) -> None:
        """Record an action that is not a document version (key changes, removals)."""
        with self.db.transaction() as conn:
            self._audit(conn, actor, action, document_id, None, detail)

    @staticmethod
    def _audit(
        conn: Any, actor: str, action: str, document_id: str | None, version: int | None, detail: dict[str, Any]
    ) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, action, document_id, version, detail) VALUES (?,?,?,?,?,?)",
            (utc_now(), actor, action, document_id, version, json.dumps(detail, ensure_ascii=False)),
        )

    def audit_log(self, *, document_id: str | None = None, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        where, params = ("WHERE document_id = ?", [document_id]) if document_id else ("", [])
        rows = self.db.query(
            f"SELECT * FROM audit {where} ORDER BY seq DESC LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [AuditEntry.from_row(r) for r in rows]
