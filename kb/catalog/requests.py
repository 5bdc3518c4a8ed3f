"""Knowledge-transfer requests and their threads, and the submissions a curator's inbox lists.

An official (any key, readers included) asks the owning states of a practice; the owners'
contributors and curators answer in the request's thread. The status follows the thread:

    open --an owner answers--> answered --the asker writes again--> open
    open | answered --close (asker, owner or admin)--> closed (takes no more messages)

As everywhere in the catalog, each change writes its audit line in the same transaction (the
webhook delivers from those lines, see :mod:`kb.catalog.deliveries`). Who may do what is decided
in :mod:`search.services.exchange`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.exchange import any_state, write_audit
from kb.catalog.records import KnowledgeRequestRecord, RequestMessage, SubmissionSummary
from kb.catalog.tables import knowledge_requests, request_messages, submissions
from kb.errors import ConflictError, NotFoundError

REQUEST_STATUSES = ("open", "answered", "closed")


class RequestCatalog:
    """Knowledge-transfer requests, their threads, and the submissions a curator's inbox lists."""

    db: Database

    def create_request(
        self,
        *,
        document_id: str,
        states: Sequence[str],
        message: str,
        actor: str,
        key_id: str | None,
        asker_states: Sequence[str] = (),
    ) -> KnowledgeRequestRecord:
        """An open request to the owners (``states``) of ``document_id``."""
        request_id = uuid.uuid4().hex
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                sa.insert(knowledge_requests).values(
                    id=request_id,
                    document_id=document_id,
                    states=json.dumps(list(states), ensure_ascii=False),
                    status="open",
                    key_id=key_id,
                    asker_states=json.dumps(list(asker_states), ensure_ascii=False),
                    message=message,
                    created_at=now,
                    updated_at=now,
                )
            )
            detail = {"request_id": request_id, "states": list(states), "asker_states": list(asker_states)}
            write_audit(conn, actor, "request_create", document_id, detail)
        return self.require_request(request_id)

    def require_request(self, request_id: str) -> KnowledgeRequestRecord:
        rows = self.db.query(sa.select(knowledge_requests).where(knowledge_requests.c.id == request_id))
        if not rows:
            raise NotFoundError(f"no request with id '{request_id}'")
        return KnowledgeRequestRecord.from_row(rows[0])

    def request_thread(self, request_id: str) -> list[RequestMessage]:
        """The replies to a request, oldest first (the question is the request's ``message``)."""
        rows = self.db.query(
            sa.select(request_messages)
            .where(request_messages.c.request_id == request_id)
            .order_by(request_messages.c.seq)
        )
        return [RequestMessage.from_row(r) for r in rows]

    def add_request_message(
        self, request_id: str, *, body: str, actor: str, key_id: str | None, side: str, status: str | None = None
    ) -> tuple[KnowledgeRequestRecord, RequestMessage]:
        """A reply from ``side`` (``owner`` or ``asker``); ``status`` moves the request (None keeps it).

        A closed request takes no more messages (ConflictError): ask again with a new request.
        """
        if status is not None and status not in REQUEST_STATUSES:
            raise ValueError(f"unknown request status {status}")
        now = utc_now()
        with self.db.transaction() as conn:
            row = (
                conn.execute(
                    sa.select(knowledge_requests).where(knowledge_requests.c.id == request_id).with_for_update()
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"no request with id '{request_id}'")
            if row["status"] == "closed":
                raise ConflictError(f"request '{request_id}' is closed; send a new request to ask again")
            inserted = conn.execute(
                sa.insert(request_messages).values(request_id=request_id, key_id=key_id, body=body, at=now)
            )
            key = inserted.inserted_primary_key
            assert key is not None  # an INSERT of one row always has it
            seq = int(key[0])
            new_status = status or row["status"]
            conn.execute(
                sa.update(knowledge_requests)
                .where(knowledge_requests.c.id == request_id)
                .values(status=new_status, updated_at=now)
            )
            detail = {"request_id": request_id, "message_seq": seq, "side": side, "status": new_status}
            write_audit(conn, actor, "request_message", row["document_id"], detail)
        message = RequestMessage(seq=int(seq), request_id=request_id, key_id=key_id, body=body, at=now)
        return self.require_request(request_id), message

    def close_request(self, request_id: str, *, actor: str) -> KnowledgeRequestRecord:
        """Close a request (no more messages); closing a closed one changes nothing."""
        with self.db.transaction() as conn:
            row = (
                conn.execute(
                    sa.select(knowledge_requests).where(knowledge_requests.c.id == request_id).with_for_update()
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"no request with id '{request_id}'")
            if row["status"] != "closed":
                conn.execute(
                    sa.update(knowledge_requests)
                    .where(knowledge_requests.c.id == request_id)
                    .values(status="closed", updated_at=utc_now())
                )
                write_audit(conn, actor, "request_close", row["document_id"], {"request_id": request_id})
        return self.require_request(request_id)

    def list_requests(
        self,
        *,
        asked_by: str | None = None,
        owner_states: Sequence[str] = (),
        everything: bool = False,
        status: str | None = None,
        document_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[KnowledgeRequestRecord], int]:
        """An inbox: requests asked by ``asked_by`` or to any of ``owner_states`` (``everything``: all),
        newest change first, and how many match in all."""
        where: list[sa.ColumnElement[bool]] = []
        if not everything:
            mine = [knowledge_requests.c.key_id == asked_by] if asked_by else []
            where.append(sa.or_(*mine, any_state(knowledge_requests.c.states, owner_states)))
        if status:
            where.append(knowledge_requests.c.status == status)
        if document_id:
            where.append(knowledge_requests.c.document_id == document_id)
        total = int(self.db.scalar(sa.select(sa.func.count()).select_from(knowledge_requests).where(*where)) or 0)
        page = (
            sa.select(knowledge_requests)
            .where(*where)
            .order_by(knowledge_requests.c.updated_at.desc(), knowledge_requests.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [KnowledgeRequestRecord.from_row(r) for r in self.db.query(page)], total

    def replies_to(self, asked_by: str, *, limit: int) -> list[tuple[RequestMessage, KnowledgeRequestRecord]]:
        """Messages from others in the requests ``asked_by`` asked, newest first (its inbox feed)."""
        statement = (
            sa.select(request_messages, *[c.label(f"r_{c.name}") for c in knowledge_requests.c])
            .join(knowledge_requests, knowledge_requests.c.id == request_messages.c.request_id)
            .where(
                knowledge_requests.c.key_id == asked_by,
                sa.or_(request_messages.c.key_id.is_(None), request_messages.c.key_id != asked_by),
            )
            .order_by(request_messages.c.seq.desc())
            .limit(limit)
        )
        found = []
        for row in self.db.query(statement):
            request = {c.name: row[f"r_{c.name}"] for c in knowledge_requests.c}
            found.append((RequestMessage.from_row(row), KnowledgeRequestRecord.from_row(request)))
        return found

    def submissions_waiting(self, states: Sequence[str] | None, *, limit: int) -> list[SubmissionSummary]:
        """Submissions with status ``submitted`` for ``states`` (None: all), newest first: what a
        curator's inbox feed lists. Read only; the review workflow owns the table."""
        statement = (
            sa.select(submissions)
            .where(submissions.c.status == "submitted")
            .order_by(submissions.c.created_at.desc(), submissions.c.id)
            .limit(limit)
        )
        if states is not None:
            statement = statement.where(any_state(submissions.c.states, states))
        return [SubmissionSummary.from_row(r) for r in self.db.query(statement)]
