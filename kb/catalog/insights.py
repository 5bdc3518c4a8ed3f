"""Usage events and the summaries curators read: top queries, content gaps, views and downloads.

Rows hold what was sought and read, never by whom (no key, no address: see ``usage_events``).
Events older than the retention (``KB_INSIGHTS_RETENTION_DAYS``) are pruned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from kb.catalog.db import Database, utc_now
from kb.catalog.tables import adoptions, document_states, documents, usage_events


@dataclass(frozen=True)
class UsageEvent:
    """One search, document view or download, as recorded."""

    kind: str
    surface: str
    query: str | None = None
    filters: dict[str, Any] | None = None
    results: int | None = None
    matched: bool | None = None
    document_id: str | None = None
    at: str | None = None


class UsageCatalog:
    db: Database

    def record_usage(self, events: Sequence[UsageEvent]) -> None:
        """Store a batch of events in one transaction."""
        if not events:
            return
        now = utc_now()
        rows = [
            {
                "at": e.at or now,
                "kind": e.kind,
                "surface": e.surface,
                "query": e.query,
                "filters": json.dumps(e.filters or {}, ensure_ascii=False, sort_keys=True),
                "results": e.results,
                "matched": e.matched,
                "document_id": e.document_id,
            }
            for e in events
        ]
        with self.db.transaction() as conn:
            conn.execute(sa.insert(usage_events), rows)

    def prune_usage(self, *, older_than_days: float) -> int:
        """Drop events past the retention; returns how many."""
        cutoff = utc_now(plus_seconds=-older_than_days * 86400)
        with self.db.transaction() as conn:
            return int(conn.execute(sa.delete(usage_events).where(usage_events.c.at < cutoff)).rowcount or 0)

    def top_queries(self, *, since: str, limit: int, gaps: bool = False) -> list[tuple[str, int, int]]:
        """(query, searches, of which found nothing good) by frequency; ``gaps``: only queries that
        never found a good match (the case studies to commission)."""
        missed = sa.func.sum(sa.case((usage_events.c.matched.is_(False), 1), else_=0))
        statement = (
            sa.select(usage_events.c.query, sa.func.count().label("n"), missed.label("missed"))
            .where(usage_events.c.kind == "search", usage_events.c.at >= since, usage_events.c.query.is_not(None))
            .group_by(usage_events.c.query)
        )
        if gaps:
            statement = statement.having(missed == sa.func.count())
        statement = statement.order_by(sa.desc("n"), usage_events.c.query).limit(limit)
        return [(str(r["query"]), int(r["n"]), int(r["missed"] or 0)) for r in self.db.query(statement)]

    def usage_totals(self, *, since: str) -> dict[str, int]:
        """Events per kind since ``since``."""
        statement = (
            sa.select(usage_events.c.kind, sa.func.count().label("n"))
            .where(usage_events.c.at >= since)
            .group_by(usage_events.c.kind)
        )
        return {str(r["kind"]): int(r["n"]) for r in self.db.query(statement)}

    def reads_by_document(self, *, since: str, limit: int) -> list[tuple[str, str, int, int]]:
        """(document id, title, views, downloads), most read first."""
        views = sa.func.sum(sa.case((usage_events.c.kind == "view", 1), else_=0)).label("views")
        downloads = sa.func.sum(sa.case((usage_events.c.kind == "download", 1), else_=0)).label("downloads")
        statement = (
            sa.select(usage_events.c.document_id, documents.c.title, views, downloads)
            .select_from(usage_events.join(documents, documents.c.id == usage_events.c.document_id))
            .where(usage_events.c.kind.in_(["view", "download"]), usage_events.c.at >= since)
            .group_by(usage_events.c.document_id, documents.c.title)
            .order_by(sa.desc("views"), sa.desc("downloads"), usage_events.c.document_id)
            .limit(limit)
        )
        return [
            (str(r["document_id"]), str(r["title"]), int(r["views"] or 0), int(r["downloads"] or 0))
            for r in self.db.query(statement)
        ]

    def reads_by_state(self, *, since: str) -> list[tuple[str, int, int]]:
        """(state, views, downloads) of the documents of each state."""
        views = sa.func.sum(sa.case((usage_events.c.kind == "view", 1), else_=0)).label("views")
        downloads = sa.func.sum(sa.case((usage_events.c.kind == "download", 1), else_=0)).label("downloads")
        source = usage_events.join(document_states, document_states.c.document_id == usage_events.c.document_id)
        statement = (
            sa.select(document_states.c.state, views, downloads)
            .select_from(source)
            .where(usage_events.c.kind.in_(["view", "download"]), usage_events.c.at >= since)
            .group_by(document_states.c.state)
            .order_by(sa.desc("views"), document_states.c.state)
        )
        return [(str(r["state"]), int(r["views"] or 0), int(r["downloads"] or 0)) for r in self.db.query(statement)]

    def adoptions_by_month(self) -> list[tuple[str, int]]:
        """(YYYY-MM, adoptions recorded that month), oldest first."""
        month = sa.func.substr(adoptions.c.created_at, 1, 7).label("month")
        statement = sa.select(month, sa.func.count().label("n")).group_by(month).order_by(month)
        return [(str(r["month"]), int(r["n"])) for r in self.db.query(statement)]
