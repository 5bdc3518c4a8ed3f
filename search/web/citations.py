"""Stable citations: a permanent page per version, and a citation officials paste into a note or order.

``/documents/{id}/versions/{n}`` shows the text of version ``n`` as it was, forever: an order that
cites a practice must still show what the official read when the practice changes later. The
citation (``/documents/{id}/citation.txt`` and ``.json`` as CSL-JSON, both downloads, ``?version=``
for an older one) names that permanent URL, the creators, the date and the exchange. The document
page shows the plain text through the ``cite(request, doc)`` template global installed here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from kb.catalog import Catalog, DocumentRecord
from kb.errors import AuthError
from kb.settings import Settings
from search.services.describe import REPOSITORY_NAME, Description, describe
from search.services.documents import Documents
from search.web.i18n import gettext
from search.web.render import TEMPLATES, page

router = APIRouter(include_in_schema=False)
CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
CSL_TYPES = {"news": "article-newspaper", "mou": "document", "policy": "document", "other": "document"}


def _published(request: Request, document_id: str) -> DocumentRecord:
    if request.app.state.settings.require_key_for_read:
        raise AuthError(gettext("This knowledge base requires an API key for reading (KB_REQUIRE_KEY_FOR_READ)."))
    return Documents.of(request.app.state).get(  # the site's readers: anonymous, public documents only
        document_id,
        missing=gettext("There is no document with the id '{id}'."),
        withdrawn=gettext("The document '{id}' was withdrawn by its contributor and is no longer shared."),
    )


def _description(request: Request, record: DocumentRecord, version: int | None) -> Description:
    settings: Settings = request.app.state.settings
    if version is not None:
        request.app.state.catalog.version(record.id, version)  # NotFoundError names the missing version
    return describe(record, request.app.state.catalog, settings, base=str(request.base_url), version=version)


def plain_citation(d: Description, *, accessed: str | None = None) -> str:
    """One paragraph: creators. Title (version n, date). Exchange. Permanent URL (accessed date)."""
    when = accessed or dt.date.today().isoformat()
    return (
        f"{'; '.join(d.creators)}. {d.title} ({d.type.replace('_', ' ')}, version {d.version}, {d.issued}). "
        f"{REPOSITORY_NAME}. {d.version_url} (accessed {when})."
    )


def csl_json(d: Description, *, accessed: str | None = None) -> list[dict[str, Any]]:
    """CSL-JSON (an array of one item), as Zotero, Pandoc and citeproc read it."""
    when = dt.date.fromisoformat(accessed or dt.date.today().isoformat())
    item: dict[str, Any] = {
        "id": f"{d.id}-v{d.version}",
        "type": CSL_TYPES.get(d.type, "report"),
        "title": d.title,
        "author": [{"literal": c} for c in d.creators],
        "issued": {"date-parts": [[int(p) for p in d.issued.split("-")]]},
        "publisher": REPOSITORY_NAME,
        "version": str(d.version),
        "URL": d.version_url,
        "accessed": {"date-parts": [[when.year, when.month, when.day]]},
        "language": d.language,
        "genre": d.type.replace("_", " "),
        "keyword": ", ".join(d.subjects),
    }
    if d.summary:
        item["abstract"] = d.summary
    return [item]


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/documents/{document_id}/citation.txt")
async def citation_text(document_id: str, request: Request, version: int | None = None) -> Response:
    def build() -> Response:
        d = _description(request, _published(request, document_id), version)
        return _download(plain_citation(d) + "\n", "text/plain; charset=utf-8", f"{d.id}-v{d.version}.txt")

    return await run_in_threadpool(build)


@router.get("/documents/{document_id}/citation.json")
async def citation_csl(document_id: str, request: Request, version: int | None = None) -> Response:
    def build() -> Response:
        d = _description(request, _published(request, document_id), version)
        body = json.dumps(csl_json(d), ensure_ascii=False, indent=2)
        return _download(body, CSL_MEDIA_TYPE, f"{d.id}-v{d.version}.json")

    return await run_in_threadpool(build)


@router.get("/documents/{document_id}/versions/{number}")
async def version_page(document_id: str, number: int, request: Request) -> Response:
    def build() -> Response:
        record = _published(request, document_id)
        catalog: Catalog = request.app.state.catalog
        stored = catalog.version(record.id, number)
        d = _description(request, record, number)
        return page(
            request,
            "version.html",
            {
                "doc": record,
                "version": stored,
                "meta": stored.metadata or record.metadata,
                "sections": catalog.sections(record.id, number),
                "citation": plain_citation(d),
                "d": d,
            },
        )

    return await run_in_threadpool(build)


def cite(request: Request, record: DocumentRecord) -> str:
    """The plain-text citation of a document's current version, for the document page."""
    return plain_citation(_description(request, record, None))


TEMPLATES.env.globals["cite"] = cite
