"""Where a queued upload stands, for whom: ``GET /v1/jobs/{id}`` and the web's job page.

A job is shown to the key that submitted it and to admins; to any other key it does not exist (the
same 404 as an unknown id, so a job id cannot be probed with someone else's key). While reading is
open, the web's job page also shows a job by its id alone: the id is 128 random bits, shown only to
the uploader, so it is the capability (see :mod:`search.web.contribute`).
"""

from __future__ import annotations

from typing import Any

from kb.catalog import Catalog, DocumentRecord, JobRecord, KeyRecord
from kb.errors import NotFoundError


class Jobs:
    """Reading jobs with the visibility rule above."""

    def __init__(self, *, catalog: Catalog) -> None:
        self.catalog = catalog

    @classmethod
    def of(cls, state: Any) -> Jobs:
        """The service over an app's ``state`` (the catalog set by the lifespan)."""
        return cls(catalog=state.catalog)

    def get(self, job_id: str) -> JobRecord:
        """The job by its id alone (the id is the capability); NotFoundError when unknown."""
        return self.catalog.get_job(job_id)

    def for_key(self, job_id: str, key: KeyRecord) -> JobRecord:
        """The job if ``key`` submitted it or is an admin's; else the same 404 as an unknown id."""
        job = self.catalog.get_job(job_id)
        if not key.is_admin and job.key_id != key.id:
            raise NotFoundError(f"no job with id '{job_id}'")
        return job

    def document_of(self, job: JobRecord) -> DocumentRecord | None:
        """The document a finished job wrote (None while the job waits or runs, or when it failed)."""
        if job.status == "done" and job.document_id:
            return self.catalog.get_document(job.document_id)
        return None
