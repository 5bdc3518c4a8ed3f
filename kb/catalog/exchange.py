"""The exchange between states: adoptions of practices (and what the request tables share with them).

:class:`AdoptionCatalog` here and :class:`~kb.catalog.requests.RequestCatalog` are mixins of
:class:`~kb.catalog.Catalog`, one per table family. Like documents and keys, every
change writes its audit line in the same transaction, so the audit log is a complete, ordered list
of what happened; the webhook delivers from it (:mod:`kb.catalog.deliveries`), so a notification
can never describe a write that was rolled back, nor miss one that was committed.

The rules (who may record or answer what) are not here but in :mod:`search.services.exchange`;
this module only keeps the rows consistent: one adoption per (practice, adopting state), a history
step for every change of status or note, and a request's status moved with its messages.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kb.catalog.db import Database, utc_now
from kb.catalog.records import AdoptionEvent, AdoptionRecord
from kb.catalog.tables import adoption_history, adoptions, audit, document_states, documents
from kb.errors import NotFoundError

ADOPTION_STATUSES = ("exploring", "piloting", "adopted", "dropped")
_TAKEN_UP = adoptions.c.status != "dropped"


def write_audit(conn: Connection, actor: str, action: str, document_id: str | None, detail: dict[str, Any]) -> None:
    """One audit line inside the caller's transaction (committed, or rolled back, with the change)."""
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


def any_state(column: sa.ColumnElement[Any], states: Sequence[str]) -> sa.ColumnElement[bool]:
    """A JSON list column holding any of ``states``.

    State names are canonical (:func:`kb.vocab.canonical_state`), so ``"Haryana"`` with its quotes is
    found only as a whole element; portable, and small tables (requests, submissions) need no join table.
    """
    terms = [column.contains(json.dumps(state, ensure_ascii=False), autoescape=True) for state in states]
    return sa.or_(*terms) if terms else sa.false()


def _readable(states: Sequence[str]) -> sa.ColumnElement[bool]:
    """The adoption's practice is active and public, or restricted to one of ``states``."""
    own = document_states.alias("reader_states")
    mine = sa.exists().where(own.c.document_id == documents.c.id, own.c.state.in_(list(states)))
    return sa.exists().where(
        documents.c.id == adoptions.c.document_id,
        documents.c.status == "active",
        sa.or_(documents.c.visibility != "restricted", mine),
    )


class AdoptionCatalog:
    """Adoptions and their history."""

    db: Database

    def record_adoption(
        self,
        *,
        document_id: str,
        state: str,
        status: str,
        actor: str,
        key_id: str | None = None,
        note: str | None = None,
        contact: str | None = None,
        adopter_document_id: str | None = None,
    ) -> tuple[AdoptionRecord, str]:
        """Create or change the adoption of ``document_id`` by ``state``; returns it and the outcome.

        The outcome is ``created``, ``updated`` or ``unchanged`` (the same values sent again: nothing
        written, so a client's retry adds no history and no notification). ``None`` keeps a field as
        it is. A change of status or note appends a history step; all changes are audited.
        """
        if status not in ADOPTION_STATUSES:
            raise ValueError(f"unknown adoption status {status}")
        now = utc_now()
        with self.db.transaction() as conn:
            self.db.lock_document(conn, f"adoption:{document_id}:{state}")  # two first posts: one row
            row = (
                conn.execute(
                    sa.select(adoptions)
                    .where(adoptions.c.document_id == document_id, adoptions.c.state == state)
                    .with_for_update()
                )
                .mappings()
                .first()
            )
            if row is None:
                adoption_id = uuid.uuid4().hex
                conn.execute(
                    sa.insert(adoptions).values(
                        id=adoption_id,
                        document_id=document_id,
                        state=state,
                        status=status,
                        note=note or "",
                        contact=contact or "",
                        adopter_document_id=adopter_document_id,
                        key_id=key_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                self._step(conn, adoption_id, status, note or "", now, actor)
                detail: dict[str, Any] = {
                    "adoption_id": adoption_id,
                    "state": state,
                    "status": status,
                    "previous_status": None,
                }
                write_audit(conn, actor, "adoption_record", document_id, detail)
                outcome = "created"
            else:
                adoption_id = str(row["id"])
                wanted = {
                    "status": status,
                    "note": row["note"] if note is None else note,
                    "contact": row["contact"] if contact is None else contact,
                    "adopter_document_id": adopter_document_id or row["adopter_document_id"],
                }
                changed = {k: v for k, v in wanted.items() if v != row[k]}
                if not changed:
                    outcome = "unchanged"
                else:
                    conn.execute(
                        sa.update(adoptions).where(adoptions.c.id == adoption_id).values(**changed, updated_at=now)
                    )
                    if "status" in changed or "note" in changed:
                        self._step(conn, adoption_id, status, str(wanted["note"]), now, actor)
                    detail = {
                        "adoption_id": adoption_id,
                        "state": state,
                        "status": status,
                        "previous_status": row["status"],
                        "changed": sorted(changed),
                    }
                    write_audit(conn, actor, "adoption_record", document_id, detail)
                    outcome = "updated"
        return self.require_adoption(adoption_id), outcome

    @staticmethod
    def _step(conn: Connection, adoption_id: str, status: str, note: str, at: str, actor: str) -> None:
        conn.execute(
            sa.insert(adoption_history).values(adoption_id=adoption_id, status=status, note=note, at=at, actor=actor)
        )

    def require_adoption(self, adoption_id: str) -> AdoptionRecord:
        """One adoption with its history, or NotFoundError."""
        rows = self.db.query(sa.select(adoptions).where(adoptions.c.id == adoption_id))
        if not rows:
            raise NotFoundError(f"no adoption with id '{adoption_id}'")
        return self._with_history(rows)[0]

    def adoptions_of(self, document_id: str) -> list[AdoptionRecord]:
        """Every adoption of one practice, with history, by adopting state."""
        rows = self.db.query(
            sa.select(adoptions).where(adoptions.c.document_id == document_id).order_by(adoptions.c.state)
        )
        return self._with_history(rows)

    def list_adoptions(
        self,
        *,
        state: str | None = None,
        status: str | None = None,
        document_id: str | None = None,
        visible_to: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AdoptionRecord], int]:
        """A page of adoptions (newest change first) with history, and how many match in all.

        ``visible_to`` keeps only adoptions of practices a caller may read: active, and public or
        restricted to one of those states (None: every adoption, for admins).
        """
        where: list[sa.ColumnElement[bool]] = [] if visible_to is None else [_readable(visible_to)]
        if state:
            where.append(adoptions.c.state == state)
        if status:
            where.append(adoptions.c.status == status)
        if document_id:
            where.append(adoptions.c.document_id == document_id)
        total = int(self.db.scalar(sa.select(sa.func.count()).select_from(adoptions).where(*where)) or 0)
        last_step = (  # ties within one second (timestamps are whole seconds): the later step first
            sa.select(sa.func.max(adoption_history.c.seq))
            .where(adoption_history.c.adoption_id == adoptions.c.id)
            .scalar_subquery()
        )
        page = (
            sa.select(adoptions)
            .where(*where)
            .order_by(adoptions.c.updated_at.desc(), last_step.desc(), adoptions.c.id)
            .limit(limit)
            .offset(offset)
        )
        return self._with_history(self.db.query(page)), total

    def adopted_document_ids(self, state: str) -> list[str]:
        """Practices ``state`` explores, pilots or adopted (not dropped): the ``adopted_by`` filter."""
        rows = self.db.query(
            sa.select(adoptions.c.document_id)
            .where(adoptions.c.state == state, _TAKEN_UP)
            .order_by(adoptions.c.document_id)
        )
        return [str(r["document_id"]) for r in rows]

    def adoption_counts(self, document_ids: Sequence[str] | None = None) -> dict[str, int]:
        """States taking up each practice (not dropped), for the ranking boost; None: every practice."""
        statement = sa.select(adoptions.c.document_id, sa.func.count().label("count")).where(_TAKEN_UP)
        if document_ids is not None:
            if not document_ids:
                return {}
            statement = statement.where(adoptions.c.document_id.in_(list(document_ids)))
        rows = self.db.query(statement.group_by(adoptions.c.document_id))
        return {str(r["document_id"]): int(r["count"]) for r in rows}

    def adoption_events_of(self, states: Sequence[str] | None, *, limit: int) -> list[tuple[AdoptionEvent, str, str]]:
        """History steps of adoptions of the practices of ``states`` (None: all), newest first, each
        with the practice's id and the adopting state: what an owner's inbox feed shows."""
        statement = (
            sa.select(adoption_history, adoptions.c.document_id, adoptions.c.state)
            .join(adoptions, adoptions.c.id == adoption_history.c.adoption_id)
            .order_by(adoption_history.c.seq.desc())
            .limit(limit)
        )
        if states is not None:
            owned = sa.exists().where(
                document_states.c.document_id == adoptions.c.document_id, document_states.c.state.in_(list(states))
            )
            statement = statement.where(owned)
        return [(AdoptionEvent.from_row(r), str(r["document_id"]), str(r["state"])) for r in self.db.query(statement)]

    def _with_history(self, rows: Sequence[sa.RowMapping]) -> list[AdoptionRecord]:
        """Records for ``rows``, their histories read in one query (a page never costs N+1 reads)."""
        ids = [str(r["id"]) for r in rows]
        steps: dict[str, list[AdoptionEvent]] = {i: [] for i in ids}
        if ids:
            history = self.db.query(
                sa.select(adoption_history)
                .where(adoption_history.c.adoption_id.in_(ids))
                .order_by(adoption_history.c.seq)
            )
            for h in history:
                steps[str(h["adoption_id"])].append(AdoptionEvent.from_row(h))
        return [AdoptionRecord.from_row(r, tuple(steps[str(r["id"])])) for r in rows]
