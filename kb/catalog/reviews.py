"""Submissions waiting for a curator, and the decisions on them.

A contributor without the publish right sends a document; its job converts it (so errors and
warnings show at once) and records a *submission* here instead of publishing. Nothing of it is
indexed. A curator of its states decides:

    submitted --approve--> approved --(publish job done)--> published
        |  \\--request_changes--> changes_requested --(owner sends again)--> superseded
        \\----reject----> rejected

A new upload of the same document by its owner supersedes the open submission, so the queue
holds one entry per document. Every step is in the audit log, beside the document's versions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.records import SubmissionRecord
from kb.catalog.tables import audit, submissions
from kb.errors import ConflictError, NotFoundError

OPEN = ("submitted", "changes_requested")
DECISIONS = {"approve": "approved", "request_changes": "changes_requested", "reject": "rejected"}


class SubmissionCatalog:
    """Submissions live in the catalog: a restart or a second API process sees the same queue."""

    db: Database

    def create_submission(
        self,
        *,
        document_id: str,
        kind: str,
        key_id: str | None,
        actor: str,
        title: str,
        states: Sequence[str],
        visibility: str,
        blob_sha256: str,
        filename: str,
        request: dict[str, Any],
        metadata: dict[str, Any],
        preview: list[dict[str, Any]],
        warnings: Sequence[str],
        job_id: str | None,
    ) -> SubmissionRecord:
        """Record a submission (superseding the document's open one) and audit it; idempotent per job."""
        now = utc_now()
        with self.db.transaction() as conn:
            self.db.lock_document(conn, document_id)
            if job_id is not None:
                done = conn.execute(sa.select(submissions.c.id).where(submissions.c.job_id == job_id)).scalar()
                if done is not None:  # a retried job whose first run got this far
                    return self._submission(conn, str(done))
            conn.execute(
                sa.update(submissions)
                .where(submissions.c.document_id == document_id, submissions.c.status.in_(OPEN))
                .values(status="superseded", updated_at=now)
            )
            submission_id = uuid.uuid4().hex[:16]
            conn.execute(
                sa.insert(submissions).values(
                    id=submission_id,
                    document_id=document_id,
                    kind=kind,
                    status="submitted",
                    key_id=key_id,
                    title=title,
                    states=json.dumps(list(states), ensure_ascii=False),
                    visibility=visibility,
                    blob_sha256=blob_sha256,
                    filename=filename,
                    request=json.dumps(request, ensure_ascii=False),
                    metadata=json.dumps(metadata, ensure_ascii=False),
                    preview=json.dumps(preview, ensure_ascii=False),
                    warnings=json.dumps(list(warnings), ensure_ascii=False),
                    job_id=job_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            _audit(conn, actor, "submit", document_id, {"submission_id": submission_id, "kind": kind})
            return self._submission(conn, submission_id)

    def get_submission(self, submission_id: str) -> SubmissionRecord:
        rows = self.db.query(sa.select(submissions).where(submissions.c.id == submission_id))
        if not rows:
            raise NotFoundError(f"no submission with id '{submission_id}'")
        return SubmissionRecord.from_row(rows[0])

    def open_submission(self, document_id: str) -> SubmissionRecord | None:
        """The document's submission still waiting for a decision or for its owner, if any."""
        rows = self.db.query(
            sa.select(submissions)
            .where(submissions.c.document_id == document_id, submissions.c.status.in_(OPEN))
            .order_by(submissions.c.created_at.desc())
            .limit(1)
        )
        return SubmissionRecord.from_row(rows[0]) if rows else None

    def list_submissions(
        self,
        *,
        statuses: Sequence[str] = (),
        document_id: str | None = None,
        key_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        oldest_first: bool = True,
    ) -> list[SubmissionRecord]:
        """Submissions by status, document or submitter (the states filter is the caller's: a JSON
        list cannot be matched portably in SQL, and queues are short)."""
        statement = sa.select(submissions)
        if statuses:
            statement = statement.where(submissions.c.status.in_(list(statuses)))
        if document_id is not None:
            statement = statement.where(submissions.c.document_id == document_id)
        if key_id is not None:
            statement = statement.where(submissions.c.key_id == key_id)
        order = submissions.c.created_at if oldest_first else submissions.c.created_at.desc()
        statement = statement.order_by(order, submissions.c.id).limit(limit).offset(offset)
        return [SubmissionRecord.from_row(r) for r in self.db.query(statement)]

    def decide_submission(self, submission_id: str, *, decision: str, note: str, actor: str) -> SubmissionRecord:
        """Record a curator's decision on a submission that is still ``submitted``."""
        status = DECISIONS[decision]
        now = utc_now()
        with self.db.transaction() as conn:
            current = self._submission(conn, submission_id)
            self.db.lock_document(conn, current.document_id)
            changed = conn.execute(
                sa.update(submissions)
                .where(submissions.c.id == submission_id, submissions.c.status == "submitted")
                .values(status=status, note=note, decided_by=actor, decided_at=now, updated_at=now)
            ).rowcount
            if not changed:
                raise ConflictError(
                    f"submission {submission_id} of '{current.document_id}' is {current.status.replace('_', ' ')}, "
                    "not waiting for a decision"
                )
            detail = {"submission_id": submission_id, "decision": decision, "note": note}
            _audit(conn, actor, f"review_{decision}", current.document_id, detail)
            return self._submission(conn, submission_id)

    def set_publish_job(self, submission_id: str, job_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(sa.update(submissions).where(submissions.c.id == submission_id).values(publish_job_id=job_id))

    def mark_published(self, submission_id: str, *, version: int) -> None:
        """The approved submission's publish job is done: it is version ``version`` now."""
        now = utc_now()
        with self.db.transaction() as conn:
            changed = conn.execute(
                sa.update(submissions)
                .where(submissions.c.id == submission_id, submissions.c.status == "approved")
                .values(status="published", updated_at=now)
            ).rowcount
            if changed:
                current = self._submission(conn, submission_id)
                detail = {"submission_id": submission_id, "version": version}
                _audit(conn, "system", "review_published", current.document_id, detail)

    @staticmethod
    def _submission(conn: sa.Connection, submission_id: str) -> SubmissionRecord:
        row = conn.execute(sa.select(submissions).where(submissions.c.id == submission_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no submission with id '{submission_id}'")
        return SubmissionRecord.from_row(row)


def _audit(conn: sa.Connection, actor: str, action: str, document_id: str, detail: dict[str, Any]) -> None:
    conn.execute(
        sa.insert(audit).values(
            at=utc_now(),
            actor=actor,
            action=action,
            document_id=document_id,
            version=None,
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )
