"""Prometheus metrics: request counts and latencies per route, documents, chunks, ingest jobs.

``/metrics`` is open unless ``KB_REQUIRE_KEY_FOR_READ`` is on; then it needs the bearer
``KB_METRICS_TOKEN`` or an admin key (:func:`check_scraper`).

Each app gets its own registry so several apps (tests) can live in one process. Gauges that mirror
stored state (documents, chunks) are read at scrape time rather than kept in sync on every write.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.errors import AuthError, ForbiddenError
from search.services.auth import authenticate, limiter_for, parse_bearer


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
        jobs = GaugeMetricFamily(
            "kb_ingest_jobs", "Ingest jobs waiting now (queued) and finished since start", labels=["status"]
        )
        jobs.add_metric(["queued"], state.jobs.pending())
        for status, count in state.jobs.finished.items():
            jobs.add_metric([status], count)
        yield jobs
        recorder = getattr(state, "insights", None)
        if recorder is not None:
            usage = CounterMetricFamily(
                "kb_usage_events", "Searches, document views and downloads since start (insights)", labels=["kind"]
            )
            for kind in ("search", "view", "download"):
                usage.add_metric([kind], recorder.counts.get(kind, 0))
            yield usage
        yield GaugeMetricFamily(
            "kb_ingest_oldest_job_age_seconds",
            "Age of the oldest waiting ingest job: grows when the worker is stuck or overloaded",
            value=state.catalog.oldest_waiting_age_s(),
        )


class _MeasureMiddleware:
    """Pure ASGI (not ``BaseHTTPMiddleware``): it must not run the app in a task group of its own,
    which would wrap errors raised while reading the body (the upload limit) in exception groups."""

    def __init__(self, app: ASGIApp, *, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(path, scope["method"], str(status)).inc()
            self.latency.labels(path, scope["method"]).observe(time.perf_counter() - started)


def check_scraper(request: Request) -> None:
    """Open unless reading needs a key; then the bearer ``KB_METRICS_TOKEN`` or an admin key.

    Counts of documents and jobs say what a closed KB holds, so they are no more public than the rest.
    A Prometheus server gets the token (no need to give it an admin key); wrong tokens count as failed
    keys (429 past the limit).
    """
    settings = request.app.state.settings
    if not settings.require_key_for_read:
        return
    header = request.headers.get("authorization", "")
    token = parse_bearer(header)
    if token is None:
        raise AuthError("metrics need 'Authorization: Bearer <KB_METRICS_TOKEN or an admin key>'")
    catalog, client = request.app.state.catalog, request.client.host if request.client else None
    limiter_for(catalog).check(client, settings.auth_failures_per_minute)  # before any comparison
    expected = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    key = authenticate(catalog, header, client=client, failures_per_minute=settings.auth_failures_per_minute)
    if key is None or not key.is_admin:
        raise ForbiddenError("only the metrics token or an admin key may read the metrics")


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

    app.add_middleware(_MeasureMiddleware, requests=requests, latency=latency)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        check_scraper(request)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
