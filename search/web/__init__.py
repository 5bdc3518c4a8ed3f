"""The web UI for officials: server-rendered pages on the API's own app (no build step, no CDN).

``install_web(app)`` adds the pages (search, browse, document, contribute), the static assets under
``/static`` and HTML error pages for browser routes. Pages read ``app.state`` (catalog, searcher,
jobs) set up by the API's lifespan, so the UI and the API always answer from the same knowledge base.
"""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_web"]


def install_web(app: FastAPI) -> None:
    """Mount ``/static``, include the pages and wrap the error handlers (call after the API's own)."""
    from search.web import citations, contribute, exchange, feeds, insights, pages
    from search.web.errors import install_html_errors
    from search.web.i18n import UI_LANGUAGES, LanguageMiddleware, catalogue
    from search.web.render import STATIC_DIR, CachedStatic

    app.mount("/static", CachedStatic(directory=str(STATIC_DIR)), name="static")
    app.include_router(pages.router)
    app.include_router(contribute.router)
    app.include_router(feeds.router)  # Atom feeds and citations (issue 17)
    app.include_router(citations.router)
    app.include_router(exchange.router)  # review, inbox, adoptions, state ledgers (issue 13)
    app.include_router(insights.router)  # what officials look for, for curators (issue 17)
    install_html_errors(app)
    for lang in UI_LANGUAGES:  # read the catalogues now: a broken .po fails at startup, not on a page
        catalogue(lang)
    app.add_middleware(LanguageMiddleware)  # English or Hindi pages (issue 15)
