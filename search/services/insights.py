"""What officials look for: searches, document views and downloads, counted for curators.

:class:`UsageRecorder` takes events from the read paths without slowing them: events go to an
in-memory queue and a daemon thread writes them in batches (at most once a second), so a search
never waits for a catalog write. Events still in the queue when a process is killed are lost; that
is the price of never delaying a reader, and insights are statistics, not records.

Nothing personal is kept: no key, no address, no user agent (the table has no column for them).
Query text is normalised (lower case, single spaces, 200 characters at most). Events older than
``KB_INSIGHTS_RETENTION_DAYS`` are pruned; 0 turns recording off.

:class:`Insights` builds the summary ``GET /v1/insights``, the ``/insights`` page and
``kb insights`` show: top queries, queries with no good match (the content gaps), views and
downloads per document and per state, adoptions per month.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kb.catalog import Catalog, KeyRecord
from kb.catalog.db import utc_now
from kb.catalog.insights import UsageEvent
from kb.errors import ForbiddenError
from kb.settings import Settings

log = logging.getLogger(__name__)

QUERY_CHARS = 200
FLUSH_EVERY_S = 1.0
PRUNE_EVERY_S = 3600.0


def normalise_query(text: str) -> str:
    return " ".join(text.lower().split())[:QUERY_CHARS]


def search_event(
    surface: str, query: str, filters: dict[str, Any], results: int, matched: bool | None = None
) -> UsageEvent:
    """A search as insights keep it; ``matched`` defaults to "found something"."""
    return UsageEvent(
        kind="search",
        surface=surface,
        query=normalise_query(query),
        filters={k: v for k, v in filters.items() if v not in (None, [], "")},
        results=results,
        matched=results > 0 if matched is None else matched,
    )


class UsageRecorder:
    """Queue events and write them in batches from one daemon thread (see the module docstring)."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self.catalog = catalog
        self.retention_days = settings.insights_retention_days
        self._queue: queue.SimpleQueue[UsageEvent] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts: dict[str, int] = {}  # events seen by this process, per kind (Prometheus)
        self._last_prune = 0.0

    @property
    def enabled(self) -> bool:
        return self.retention_days > 0

    def start(self) -> UsageRecorder:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="insights", daemon=True)
            self._thread.start()
        return self

    def add(self, event: UsageEvent) -> None:
        """Never blocks and never fails the read that reports it."""
        if not self.enabled:
            return
        self.counts[event.kind] = self.counts.get(event.kind, 0) + 1
        self._queue.put(event)

    def flush(self) -> None:
        """Write what is queued now (tests, shutdown)."""
        batch: list[UsageEvent] = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if batch:
            try:
                self.catalog.record_usage(batch)
            except Exception:  # a full disk or a database restart loses statistics, never a request
                log.exception("could not record %d usage events", len(batch))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY_S):
            self.flush()
            if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
                self._last_prune = time.monotonic()
                try:
                    self.catalog.prune_usage(older_than_days=self.retention_days)
                except Exception:
                    log.exception("could not prune usage events")


def record(state: Any, event: UsageEvent) -> None:
    """Report an event to the app's recorder, if it has one (tools and tests may run without)."""
    recorder = getattr(state, "insights", None)
    if recorder is not None:
        recorder.add(event)


@dataclass(frozen=True)
class Summary:
    """The insights of the last ``days`` days."""

    days: int
    totals: dict[str, int]
    top_queries: list[tuple[str, int, int]]
    gaps: list[tuple[str, int, int]]
    documents: list[tuple[str, str, int, int]]
    states: list[tuple[str, int, int]]
    adoptions_by_month: list[tuple[str, int]] = field(default_factory=list)


class Insights:
    """Summaries for curators and admins (query text is what officials typed: not for the public)."""

    def __init__(self, catalog: Catalog, recorder: UsageRecorder | None = None) -> None:
        self.catalog = catalog
        self.recorder = recorder

    @classmethod
    def of(cls, state: Any) -> Insights:
        return cls(state.catalog, getattr(state, "insights", None))

    def summary(self, key: KeyRecord | None, *, days: int = 30, limit: int = 20) -> Summary:
        if key is None or not key.is_curator:
            raise ForbiddenError("insights are for curators and admins; ask your state's nodal officer for a key")
        if self.recorder is not None:
            self.recorder.flush()  # so the summary includes the last second's searches too
        since = utc_now(plus_seconds=-days * 86400)
        return Summary(
            days=days,
            totals=self.catalog.usage_totals(since=since),
            top_queries=self.catalog.top_queries(since=since, limit=limit),
            gaps=self.catalog.top_queries(since=since, limit=limit, gaps=True),
            documents=self.catalog.reads_by_document(since=since, limit=limit),
            states=self.catalog.reads_by_state(since=since),
            adoptions_by_month=self.catalog.adoptions_by_month(),
        )
