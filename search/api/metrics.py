"""Prometheus metrics: request counts and latencies per route, documents, chunks, ingest jobs.

Each app gets its own registry so several apps (tests) can live in one process. Gauges that mirror
stored state (documents, chunks) are read at scrape time rather than kept in sync on every write.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _StateCollector(Collector):
    """Documents, chunks and job counts, computed when Prometheus scrapes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Any:
        state = self.app.state
        if not getattr(state, "ready", False):
            return
        counts = state.catalog.counts()
        yield GaugeMetricFamily("kb_documents", "Active documents", value=counts["documents"])
        yield GaugeMetricFamily("kb_documents_withdrawn", "Withdrawn documents", value=counts["withdrawn"])
        yield GaugeMetricFamily("kb_chunks", "Chunks in the index", value=state.store.count_documents())
        jobs = GaugeMetricFamily("kb_ingest_jobs", "Ingest jobs by state since start", labels=["status"])
        jobs.add_metric(["queued"], state.jobs.pending())
        for status, count in state.jobs.finished.items():
            jobs.add_metric([status], count)
        yield jobs


def install_metrics(app: FastAPI) -> CollectorRegistry:
    registry = CollectorRegistry()
    requests = Counter("kb_http_requests", "HTTP requests", ["route", "method", "status"], registry=registry)
    latency = Histogram(
        "kb_http_request_seconds",
        "HTTP request latency",
        ["route", "method"],
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        registry=registry,
    )
    registry.register(_StateCollector(app))

    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            requests.labels(path, request.method, str(status)).inc()
            latency.labels(path, request.method).observe(time.perf_counter() - started)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
