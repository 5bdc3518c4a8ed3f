"""Rows of the catalog as typed, immutable records."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the catalog knows it (its current version's metadata)."""

    id: str
    title: str
    type: str
    sector: str
    states: list[str]
    year: int | None
    status: str
    current_version: int
    source_path: str | None
    owner_key_id: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str

    @property
    def active(self) -> bool:
        """Withdrawn documents stay in the catalog but not in search."""
        return self.status == "active"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DocumentRecord:
        return cls(
            id=row["id"],
            title=row["title"],
            type=row["type"],
            sector=row["sector"],
            states=json.loads(row["states"]),
            year=row["year"],
            status=row["status"],
            current_version=row["current_version"],
            source_path=row["source_path"],
            owner_key_id=row["owner_key_id"],
            metadata=json.loads(row["metadata"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class VersionRecord:
    """One stored version of a document: its original file and the metadata it had."""

    document_id: str
    version: int
    blob_sha256: str
    filename: str
    media_type: str
    size_bytes: int
    metadata: dict[str, Any]
    fingerprint: str
    chunk_count: int
    created_at: str
    created_by: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> VersionRecord:
        return cls(
            document_id=row["document_id"],
            version=row["version"],
            blob_sha256=row["blob_sha256"],
            filename=row["filename"],
            media_type=row["media_type"],
            size_bytes=row["size_bytes"],
            metadata=json.loads(row["metadata"]),
            fingerprint=row["fingerprint"],
            chunk_count=row["chunk_count"],
            created_at=row["created_at"],
            created_by=row["created_by"],
        )


@dataclass(frozen=True)
class KeyRecord:
    """An API key without its secret (only the hash is stored)."""

    id: str
    role: str
    states: list[str]
    label: str
    created_at: str
    revoked_at: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How this key appears in the audit log."""
        return f"key:{self.id}"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> KeyRecord:
        return cls(
            id=row["id"],
            role=row["role"],
            states=json.loads(row["states"]),
            label=row["label"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )


@dataclass(frozen=True)
class JobRecord:
    """A background ingestion job and where it stands."""

    id: str
    kind: str
    status: str
    document_id: str | None
    key_id: str | None
    error: str | None
    detail: dict[str, Any]
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JobRecord:
        return cls(
            id=row["id"],
            kind=row["kind"],
            status=row["status"],
            document_id=row["document_id"],
            key_id=row["key_id"],
            error=row["error"],
            detail=json.loads(row["detail"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which document, when."""

    seq: int
    at: str
    actor: str
    action: str
    document_id: str | None
    version: int | None
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AuditEntry:
        return cls(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            document_id=row["document_id"],
            version=row["version"],
            detail=json.loads(row["detail"]),
        )
