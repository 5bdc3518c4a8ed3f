"""Rows of the catalog as typed, immutable records (built by column name from any database's rows)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

R = TypeVar("R")


def _from_row(cls: type[R], row: Mapping[Any, Any], *, json_columns: tuple[str, ...] = ()) -> R:
    """Build a record from the row's columns of the same names, decoding the JSON ones."""
    values = {f.name: row[f.name] for f in fields(cls)}  # type: ignore[arg-type]
    for column in json_columns:
        values[column] = json.loads(values[column])
    return cls(**values)


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
    visibility: str = "public"

    @property
    def active(self) -> bool:
        """Withdrawn documents stay in the catalog but not in search."""
        return self.status == "active"

    @property
    def restricted(self) -> bool:
        """Readable only by keys of its states and admins (:mod:`search.services.access`)."""
        return self.visibility == "restricted"

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> DocumentRecord:
        return _from_row(cls, row, json_columns=("states", "metadata"))


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
    job_id: str | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> VersionRecord:
        return _from_row(cls, row, json_columns=("metadata",))


@dataclass(frozen=True)
class KeyRecord:
    """An API key without its secret (only the hash is stored)."""

    id: str
    role: str
    states: list[str]
    label: str
    created_at: str
    revoked_at: str | None
    can_publish: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_curator(self) -> bool:
        """Curators decide submissions for their states; admins are curators of everything."""
        return self.role in ("curator", "admin")

    @property
    def may_publish(self) -> bool:
        """Publishes without review: admins, and keys given the publish right (``--publish``)."""
        return self.is_admin or bool(self.can_publish)

    @property
    def may_contribute(self) -> bool:
        """Sends documents (readers only read, ask and nothing else)."""
        return self.role in ("contributor", "curator", "admin")

    def is_of(self, states: list[str] | tuple[str, ...]) -> bool:
        """This key belongs to one of ``states`` (admins belong everywhere)."""
        return self.is_admin or any(state in self.states for state in states)

    def curates(self, states: list[str] | tuple[str, ...]) -> bool:
        """May decide a submission for ``states`` (a document for no state: admins only)."""
        return self.is_admin or (self.role == "curator" and any(state in self.states for state in states))

    @property
    def actor(self) -> str:
        """How this key appears in the audit log."""
        return f"key:{self.id}"

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> KeyRecord:
        return _from_row(cls, row, json_columns=("states",))


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
    blob_sha256: str | None
    size_bytes: int
    request: dict[str, Any]
    attempts: int
    lease_until: str | None

    @property
    def waiting(self) -> bool:
        """Not finished yet: queued, or running (perhaps to be retried)."""
        return self.status in ("queued", "running")

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> JobRecord:
        return _from_row(cls, row, json_columns=("detail", "request"))


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
    def from_row(cls, row: Mapping[Any, Any]) -> AuditEntry:
        return _from_row(cls, row, json_columns=("detail",))


# -- the exchange: adoptions and knowledge-transfer requests ---------------------------------------


@dataclass(frozen=True)
class AdoptionEvent:
    """One step of an adoption's history: the status it moved to, why, when and by whom."""

    seq: int
    adoption_id: str
    status: str
    note: str
    at: str
    actor: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> AdoptionEvent:
        return _from_row(cls, row)


@dataclass(frozen=True)
class AdoptionRecord:
    """A state taking up another state's practice (one row per practice and adopting state).

    ``since`` is when the current status began (the first history step of its latest run), so
    "piloting since March" survives later edits of the note; ``history`` is oldest first, and empty
    where the caller did not ask for it.
    """

    id: str
    document_id: str
    state: str
    status: str
    note: str
    contact: str
    adopter_document_id: str | None
    key_id: str | None
    created_at: str
    updated_at: str
    since: str
    history: tuple[AdoptionEvent, ...] = ()

    @property
    def active(self) -> bool:
        """Exploring, piloting or adopted: counts as taken up (dropped does not)."""
        return self.status != "dropped"

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], history: tuple[AdoptionEvent, ...] = ()) -> AdoptionRecord:
        values = {f.name: row[f.name] for f in fields(cls) if f.name not in ("since", "history")}
        return cls(**values, since=_since(history, row["status"], row["updated_at"]), history=history)


def _since(history: tuple[AdoptionEvent, ...], status: str, fallback: str) -> str:
    """When ``status`` last began: walk back over the trailing history steps with that status."""
    since = fallback
    for event in reversed(history):
        if event.status != status:
            break
        since = event.at
    return since


@dataclass(frozen=True)
class KnowledgeRequestRecord:
    """An official asking the owning states of a practice for a knowledge transfer.

    ``states`` are the owners (the document's states when it was asked): their contributors and
    curators answer it. ``key_id`` and ``asker_states`` are the asker's.
    """

    id: str
    document_id: str
    states: list[str]
    status: str
    key_id: str | None
    asker_states: list[str]
    message: str
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> KnowledgeRequestRecord:
        return _from_row(cls, row, json_columns=("states", "asker_states"))


@dataclass(frozen=True)
class RequestMessage:
    """One reply in a request's thread (the question itself is the request's ``message``)."""

    seq: int
    request_id: str
    key_id: str | None
    body: str
    at: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> RequestMessage:
        return _from_row(cls, row)


@dataclass(frozen=True)
class SubmissionSummary:
    """A submission waiting for a curator, as a curator's inbox lists it (not the review itself)."""

    id: str
    document_id: str
    kind: str
    title: str
    states: list[str]
    key_id: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> SubmissionSummary:
        return _from_row(cls, row, json_columns=("states",))


@dataclass(frozen=True)
class SubmissionRecord:
    """A new document or version waiting for (or decided by) a curator; never indexed itself."""

    id: str
    document_id: str
    kind: str  # create | update
    status: str  # submitted | changes_requested | rejected | approved | published | superseded
    key_id: str | None
    title: str
    states: list[str]
    visibility: str
    blob_sha256: str
    filename: str
    request: dict[str, Any]
    metadata: dict[str, Any]
    preview: list[dict[str, Any]]
    warnings: list[str]
    note: str | None
    decided_by: str | None
    decided_at: str | None
    job_id: str | None
    publish_job_id: str | None
    created_at: str
    updated_at: str

    @property
    def open(self) -> bool:
        """Still waiting: for a curator (submitted) or for its owner (changes requested)."""
        return self.status in ("submitted", "changes_requested")

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> SubmissionRecord:
        return _from_row(cls, row, json_columns=("states", "request", "metadata", "preview", "warnings"))
