"""``create_app(settings)``: the FastAPI app behind ``kb serve`` (API, docs, metrics; web UI mounts here).

The lifespan opens the store and the catalog and warms up the model once; they live on ``app.state``
for the handlers. The app owns the embedded KB while it runs (Qdrant Edge's lock), so local CLI
writes are refused with a message that points at the API instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from kb.settings import Settings
from search import oai
from search.api.assistants import assistants_lifespan, install_mcp
from search.api.limits import UploadLimitMiddleware
from search.api.metrics import install_metrics
from search.api.problems import install_problem_handlers
from search.api.routes import admin, adoptions, documents, insights, jobs, requests, retrieve, reviews
from search.api.routes import search as search_routes
from search.services.insights import UsageRecorder
from search.web import install_web

DESCRIPTION = """
Search e-governance practices, case studies, policies and MoUs of Indian states and UTs by meaning,
and contribute documents with an API key.

* Reading is open (unless the server sets `KB_REQUIRE_KEY_FOR_READ=true`).
* Writes need `Authorization: Bearer <key>`; keys are created with `kb keys create`.
* Errors are `application/problem+json` with `type`, `title`, `status` and `detail`.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the KB and warm up the model, then serve; the blocking part runs in a worker thread.

    In a thread so the event loop keeps answering while the model loads: ``kb serve`` runs this
    lifespan behind :class:`search.api.readiness.DeferredApp`, which answers ``/healthz`` meanwhile.
    """
    await anyio.to_thread.run_sync(_open_services, app)
    state = app.state
    try:
        async with assistants_lifespan(app):  # /v1/retrieve and the MCP session manager at /mcp
            state.ready = True
            yield
            state.ready = False
    finally:
        await anyio.to_thread.run_sync(_close_services, app)


def _open_services(app: FastAPI) -> None:
    """Store, catalog, warmed-up searcher and ingestor, the job runner and the webhooks on ``app.state``;
    whatever was opened is closed again if a later step fails."""
    from ingest.service import Ingestor
    from kb.catalog import Catalog
    from kb.embedding import DENSE_DIM
    from kb.store import open_store
    from search.operations.jobs import JobRunner
    from search.retrieval import Searcher

    settings: Settings = app.state.settings
    state = app.state
    state.jobs = state.webhooks = state.insights = None
    state.store = open_store(settings, dense_dim=DENSE_DIM)
    state.store.index_if_needed()  # HNSW in the background past the threshold (kb.store.indexing)
    state.catalog = None
    try:
        state.catalog = catalog = Catalog(settings.resolved_catalog_url())
        catalog.settle_index_model(
            settings, index_empty=state.store.count_documents() == 0, vectors=state.store.dense_names
        )
        searcher = Searcher(settings, state.store, adoptions=catalog)  # adopted_by and the adoption boost
        searcher.warm_up()
        ingestor = Ingestor(settings, store=state.store, catalog=catalog)
        ingestor.warm_up()
        runner = JobRunner(ingestor, catalog, settings)
        runner.start()
        state.searcher, state.ingestor, state.jobs = searcher, ingestor, runner
        state.webhooks = _start_webhooks(catalog, settings)
        state.insights = UsageRecorder(catalog, settings).start()  # what officials look for (no who)
    except BaseException:
        _close_services(app)
        raise


def _close_services(app: FastAPI) -> None:
    """Stop the job runner and the webhooks, close the catalog and the store (what was opened)."""
    state = app.state
    try:
        if state.jobs is not None:
            state.jobs.stop()
        if state.webhooks is not None:
            state.webhooks.stop()
        if getattr(state, "insights", None) is not None:
            state.insights.stop()  # writes the searches still queued
    finally:
        if state.catalog is not None:
            state.catalog.close()
        state.store.close()


def _start_webhooks(catalog: Any, settings: Settings) -> Any:
    """The webhook dispatcher when ``KB_WEBHOOK_URL`` is set (search/operations/webhooks.py), else None."""
    if not settings.webhook_url:
        return None
    from search.operations.webhooks import WebhookDispatcher

    dispatcher = WebhookDispatcher(catalog, settings)
    dispatcher.start()
    return dispatcher


def app_from_environment() -> FastAPI:
    """The app for one of ``kb serve --workers N``'s processes: settings from the ``KB_*`` variables."""
    settings = Settings()
    if settings.torch_threads == 0:
        settings = settings.model_copy(update={"torch_threads": 1})  # one core per process: see kb.embedding
    return create_app(settings)


def create_app(settings: Settings) -> FastAPI:
    """Build the app for ``settings``; nothing is loaded until the lifespan starts."""
    app = FastAPI(
        title="E-governance Practice Exchange",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.ready = False
    install_problem_handlers(app)
    install_metrics(app)
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_upload_bytes)
    routers = (search_routes.router, retrieve.router, documents.router, jobs.router, admin.router)
    for router in (*routers, adoptions.router, requests.router):
        app.include_router(router)
    app.include_router(reviews.router)  # review before publishing (search/services/reviews.py)
    app.include_router(insights.router)  # what officials look for (search/services/insights.py)
    app.include_router(oai.router)  # OAI-PMH at /oai (search/oai)
    install_mcp(app)
    _install_offline_docs(app)
    _document_problems(app)
    install_web(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Add the Problem schema that every error response refers to (``problem_responses``)."""
    from search.api.schemas import Problem

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_offline_docs(app: FastAPI) -> None:
    """Swagger UI from assets shipped in the fastapi-offline wheel: no CDN, works air-gapped."""
    assets = resources.files("fastapi_offline") / "static"
    app.mount("/_docs-assets", StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        swagger = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url="/_docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/_docs-assets/swagger-ui.css",
            swagger_favicon_url="/_docs-assets/favicon.png",
        )
        html = bytes(swagger.body).decode().replace('<div id="swagger-ui">', BACK_TO_SITE + '<div id="swagger-ui">', 1)
        return HTMLResponse(html)


# A way back from /docs to the officials' pages (Swagger UI itself has none).
BACK_TO_SITE = (
    '<p style="margin:0;padding:.6rem 1rem;background:#0b2e59;font:1rem system-ui,sans-serif">'
    '<a href="/" style="color:#fff">← Back to the e-Governance Practice Exchange</a></p>\n'
)
