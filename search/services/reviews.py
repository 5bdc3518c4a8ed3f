"""The review rules: who sees a submission, who decides it, and what a decision does.

- A contributor key without the publish right (``kb keys create`` without ``--publish``) sends a
  new document or a new version; it becomes a *submission* (:mod:`kb.catalog.reviews`), read only
  by its submitter, the curators of its states and admins. Everyone else is told it does not exist.
- A curator (``role curator``, bound to states; admins curate everything) decides the submissions
  of its states: ``approve`` queues the job that publishes it (the previous published version stays
  visible until that job is done), ``request_changes`` sends it back to its owner with the note,
  ``reject`` closes it. A note is required for the last two: the owner must learn what to change.
  A curator does not decide a submission they sent themselves (four eyes), unless an admin.
- A submission for no state (a national document) is decided by admins only.
- ``KB_REVIEW_REQUIRED=false`` turns the workflow off: every upload publishes at once.

Everything here blocks (the catalog, the blob store): front doors call it off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kb.catalog import Catalog, JobRecord, KeyRecord, SubmissionRecord
from kb.errors import ForbiddenError, NotFoundError, RuleError
from kb.settings import Settings

if TYPE_CHECKING:
    from search.operations.jobs import JobRunner

Decision = Literal["approve", "request_changes", "reject"]
NOTE_MAX_CHARS = 5000


@dataclass(frozen=True)
class Decided:
    """A decision and, for an approval, the job that publishes the document."""

    submission: SubmissionRecord
    job: JobRecord | None


def needs_review(settings: Settings, key: KeyRecord | None) -> bool:
    """Whether an upload with ``key`` waits for a curator (see the module docstring)."""
    return settings.review_required and key is not None and not key.may_publish


def may_see(key: KeyRecord | None, submission: SubmissionRecord) -> bool:
    """Its submitter, the curators of its states and admins see a submission; nobody else."""
    if key is None:
        return False
    return key.is_admin or submission.key_id == key.id or key.curates(submission.states)


class Reviews:
    """The queue, the submitter's own list, and decisions."""

    def __init__(self, *, catalog: Catalog, jobs: JobRunner, settings: Settings) -> None:
        self.catalog = catalog
        self.jobs = jobs
        self.settings = settings

    @classmethod
    def of(cls, state: Any) -> Reviews:
        """The service over an app's ``state`` (catalog, job runner, settings of the lifespan)."""
        return cls(catalog=state.catalog, jobs=state.jobs, settings=state.settings)

    def queue(self, key: KeyRecord, *, limit: int = 50, offset: int = 0) -> list[SubmissionRecord]:
        """``GET /v1/reviews``: what this curator may decide, oldest first."""
        if not key.is_curator:
            raise ForbiddenError("the review queue is for curators; ask your state's nodal officer for a curator key")
        waiting = self.catalog.list_submissions(statuses=("submitted",), limit=100_000)
        mine = [s for s in waiting if key.curates(s.states)]
        return mine[offset : offset + limit]

    def submitted_by(self, key: KeyRecord, *, limit: int = 50, offset: int = 0) -> list[SubmissionRecord]:
        """``GET /v1/submissions``: this key's submissions, newest first (admins: everyone's)."""
        return self.catalog.list_submissions(
            key_id=None if key.is_admin else key.id, limit=limit, offset=offset, oldest_first=False
        )

    def get(self, key: KeyRecord | None, submission_id: str) -> SubmissionRecord:
        """One submission for a caller who may see it; for anyone else the 404 of an unknown id."""
        submission = self.catalog.get_submission(submission_id)
        if not may_see(key, submission):
            raise NotFoundError(f"no submission with id '{submission_id}'")
        return submission

    def pending_for(self, key: KeyRecord | None, document_id: str) -> SubmissionRecord | None:
        """The document's open submission, if this caller may see it (for the document's page)."""
        submission = self.catalog.open_submission(document_id)
        return submission if submission is not None and may_see(key, submission) else None

    def decide(self, key: KeyRecord, document_id: str, decision: Decision, note: str) -> Decided:
        """``POST /v1/documents/{id}/review``: decide the document's waiting submission."""
        note = note.strip()
        if len(note) > NOTE_MAX_CHARS:
            raise RuleError(f"the note has {len(note)} characters; at most {NOTE_MAX_CHARS}")
        submission = self.catalog.open_submission(document_id)
        if submission is not None and key.is_curator and not key.curates(submission.states):
            where = ", ".join(submission.states) or "national documents (admins)"
            raise ForbiddenError(f"only a curator of {where} may decide this submission")
        if submission is None or not may_see(key, submission) or submission.status != "submitted":
            visible = submission is not None and may_see(key, submission)
            state = f" (it is {submission.status.replace('_', ' ')})" if visible and submission else ""
            raise NotFoundError(f"no submission of '{document_id}' is waiting for review{state}")
        if not key.curates(submission.states):
            raise ForbiddenError("only a curator of the document's states decides its submissions")
        if submission.key_id == key.id and not key.is_admin:
            raise ForbiddenError("a submission is decided by another curator than the one who sent it")
        if decision != "approve" and not note:
            raise RuleError("say in `note` what should change (or why it is rejected): the contributor reads it")
        decided = self.catalog.decide_submission(submission.id, decision=decision, note=note, actor=key.actor)
        if decision != "approve":
            return Decided(submission=decided, job=None)
        return Decided(submission=self.catalog.get_submission(decided.id), job=self._publish(decided))

    def _publish(self, submission: SubmissionRecord) -> JobRecord:
        """Queue the ordinary ingestion job for an approved submission, as its owner sent it."""
        request = submission.request
        owner = self.catalog.require_key(submission.key_id) if submission.key_id else None
        update = submission.kind == "update"
        job = self.jobs.submit(
            blob_sha256=submission.blob_sha256,
            filename=submission.filename,
            raw_meta=dict(request.get("raw_meta") or {}),
            key=owner,
            document_id=submission.document_id if update else None,
            expected_id=None if update else submission.document_id,
            submission_id=submission.id,
        )
        self.catalog.set_publish_job(submission.id, job.id)
        return job
