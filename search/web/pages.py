"""Reading pages: search (``/``), browse (``/browse``), a document (``/documents/{id}``) and its
printable page (``/documents/{id}/print``).

Handlers gather what a page shows from the same service as the API
(:class:`~search.services.documents.Documents`) and hand it to a template; everything works without
JavaScript, and every search is a bookmarkable GET URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from kb.catalog import DocumentRecord
from kb.catalog.insights import UsageEvent
from kb.errors import AuthError, QueryError
from kb.vocab import UNION_TERRITORIES, DocType, Level, Sector
from search.schemas import SearchFilters, SearchRequest, SearchResult, document_url, link_base
from search.services.documents import Documents
from search.web.filters import facet_options, read_filters
from search.web.i18n import N_, gettext
from search.web.ledger import browse_context, document_context
from search.web.render import PRINT_CSP, PRINT_CSS, highlight, page
from search.web.text import anchor_for, excerpt, outline, section_views

router = APIRouter(include_in_schema=False)

PER_PAGE = 10
MAX_OFFSET = 500  # SearchRequest's limit
EXAMPLE_QUERIES = (  # translated where shown: a Hindi page suggests Hindi searches
    N_("citizens complain to the chief minister and track their grievance"),
    N_("farmers get land records from a kiosk"),
    N_("minimum cyber security controls for department websites"),
    N_("agreement between two states to share e-District services"),
)

# Browse groups the states as the Zonal Councils do (States Reorganisation Act, 1956; the North
# Eastern Council for the eight north-eastern states), a grouping officials already know; the union
# territories are listed on their own.
REGIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("North"), ("Haryana", "Himachal Pradesh", "Punjab", "Rajasthan")),
    (N_("South"), ("Andhra Pradesh", "Karnataka", "Kerala", "Tamil Nadu", "Telangana")),
    (N_("East"), ("Bihar", "Jharkhand", "Odisha", "West Bengal")),
    (N_("West"), ("Goa", "Gujarat", "Maharashtra")),
    (
        N_("North-East"),
        ("Arunachal Pradesh", "Assam", "Manipur", "Meghalaya", "Mizoram", "Nagaland", "Sikkim", "Tripura"),
    ),
    (N_("Central"), ("Chhattisgarh", "Madhya Pradesh", "Uttar Pradesh", "Uttarakhand")),
    (N_("Union territories"), UNION_TERRITORIES),
)
NATIONAL = SearchFilters(national=True)

_DASH_ITEM = re.compile(r"(?<!\S)- ")


def bulleted(text: str) -> str:
    """List markers flattened into a snippet (``- item``) shown as bullets; same length, so offsets hold."""
    return _DASH_ITEM.sub("• ", text)


@dataclass
class ResultView:
    """One document in a list of results, however it was found."""

    id: str
    title: str
    type: str
    states: list[str]
    sector: str
    year: int | None
    level: str = Level.STATE.value
    lang: str = "en"
    section: str = ""
    page: int | None = None
    snippet: Markup = field(default_factory=Markup)
    fragment: str = ""

    @property
    def url(self) -> str:
        return f"/documents/{self.id}" + (f"#{self.fragment}" if self.fragment else "")


MISSING = N_("There is no document with the id '{id}'. Try searching for it instead.")
WITHDRAWN = N_("The document '{id}' was withdrawn by its contributor and is no longer shared.")


def _documents(request: Request) -> Documents:
    return Documents.of(request.app.state)


def check_reading(request: Request) -> None:
    """Pages hold no keys, so a KB that requires a key for reading is read through the API only."""
    if request.app.state.settings.require_key_for_read:
        raise AuthError(
            gettext(
                "This knowledge base requires an API key for reading (KB_REQUIRE_KEY_FOR_READ), so its web pages"
                " are closed. Use the API with your key: /docs"
            )
        )


def _language(record: DocumentRecord | None) -> str:
    return str((record.metadata.get("language") if record else None) or "en")


def _level(record: DocumentRecord | None) -> str:
    return str((record.metadata.get("level") if record else None) or Level.STATE.value)


def _from_search(result: SearchResult, record: DocumentRecord | None) -> ResultView:
    return ResultView(
        id=result.document_id,
        title=result.title,
        type=result.type,
        states=result.states,
        sector=result.sector,
        year=result.year,
        level=_level(record),
        lang=_language(record),
        section=result.section,
        page=result.page,
        snippet=highlight(bulleted(result.snippet), result.highlights),
        fragment=anchor_for(result.section) if result.section else "",
    )


def _from_record(record: DocumentRecord, documents: Documents) -> ResultView:
    return ResultView(
        id=record.id,
        title=record.title,
        type=record.type,
        states=record.states,
        sector=record.sector,
        year=record.year,
        level=_level(record),
        lang=_language(record),
        snippet=Markup.escape(bulleted(excerpt(documents.sections(record)))),
    )


def _page_number(value: str | None) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return max(1, min(number, MAX_OFFSET // PER_PAGE + 1))


@router.get("/")
def search_page(request: Request) -> Response:
    check_reading(request)
    documents = _documents(request)
    q = " ".join((request.query_params.get("q") or "").split())
    chosen = read_filters(request.query_params)
    if not q and not chosen.active and not chosen.errors:
        return _landing(request, documents)
    page_no = _page_number(request.query_params.get("page"))
    offset = (page_no - 1) * PER_PAGE
    results: list[ResultView] = []
    total = 0
    errors = list(chosen.errors)
    counts: dict[str, dict[str, int]] = {}
    national: int | None = None  # "All India" documents beside the states, where counting them is cheap
    no_good_match = False  # the relevance floor found nothing close (results are only the nearest titles)
    also_searched: list[str] = []  # synonyms the domain thesaurus added to the query (search/thesaurus.py)
    if q:
        try:
            wanted = SearchRequest(query=q, top_k=PER_PAGE, offset=offset, filters=chosen.filters)
            response = documents.search(wanted, surface="web")
        except QueryError as exc:
            errors.append(exc.message)
        else:
            total = response.total
            no_good_match = bool(getattr(response, "no_good_match", False))
            also_searched = list(getattr(response, "also_searched", ()))  # as no_good_match: lands separately
            results = [_from_search(r, documents.readable(r.document_id)) for r in response.results]
            counts = documents.result_counts(response, chosen.filters)
    else:
        found = documents.listing(chosen.filters, limit=PER_PAGE, offset=offset)
        total, results = found.total, [_from_record(r, documents) for r in found.records]
        counts = documents.counts(chosen.filters, disjunctive=True)
        alone = chosen.filters.model_copy(update={"states": [], "national": True})
        national = documents.listing(alone, limit=1).total
    f = chosen.filters
    facets = {
        "states": facet_options(counts.get("states", {}), f.states),
        "sector": facet_options(counts.get("sector", {}), [f.sector.value] if f.sector else []),
        "type": facet_options(counts.get("type", {}), [f.type.value] if f.type else []),
        "year": facet_options(counts.get("year", {}), [], by_count=False),
    }
    params = {"q": q, **chosen.params()}
    last_page = max(1, min((total + PER_PAGE - 1) // PER_PAGE, MAX_OFFSET // PER_PAGE + 1))
    return page(
        request,
        "search.html",
        {
            "q": q,
            "chosen": chosen,
            "errors": errors,
            "results": results,
            "total": total,
            "facets": facets,
            "national": national,
            "params": params,
            "page_no": page_no,
            "last_page": last_page,
            "first_rank": offset + 1,
            "no_good_match": no_good_match,
            "also_searched": also_searched,
        },
    )


def _landing(request: Request, documents: Documents) -> Response:
    latest = documents.listing(SearchFilters(), limit=6)
    counts = documents.counts(SearchFilters())
    states, sectors = counts["states"], counts["sector"]
    return page(
        request,
        "landing.html",
        {
            "total": latest.total,
            "latest": [_from_record(r, documents) for r in latest.records],
            "states": sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))[:12],
            "state_count": len(states),
            "sectors": sorted(sectors.items(), key=lambda kv: (-kv[1], kv[0]))[:12],
            "examples": EXAMPLE_QUERIES,
        },
    )


@router.get("/browse")
def browse_page(request: Request) -> Response:
    check_reading(request)
    documents = _documents(request)
    counts = documents.counts(SearchFilters())
    states, sectors, types, years = (counts[facet] for facet in ("states", "sector", "type", "year"))
    return page(
        request,
        "browse.html",
        {
            "total": documents.active_total(),
            "national": documents.listing(NATIONAL, limit=1).total,
            "regions": [(region, [(name, states.get(name, 0)) for name in names]) for region, names in REGIONS],
            "sectors": sorted(((s.value, sectors.get(s.value, 0)) for s in Sector), key=lambda kv: (-kv[1], kv[0])),
            "types": [(t.value, types.get(t.value, 0)) for t in DocType if types.get(t.value)],
            "years": sorted(years.items(), reverse=True),
            **browse_context(request.app.state),  # practices given and taken (search.web.ledger)
        },
    )


@router.get("/documents/{document_id}")
def document_page(document_id: str, request: Request) -> Response:
    check_reading(request)
    documents = _documents(request)
    record = documents.get(document_id, missing=gettext(MISSING), withdrawn=gettext(WITHDRAWN))  # pages hold no keys
    documents.count(UsageEvent(kind="view", surface="web", document_id=record.id))  # insights, never who
    views = section_views(documents.sections(record))
    versions = documents.versions(record)
    related = [(str(i), documents.readable(str(i))) for i in record.metadata.get("related") or []]
    similar = [_from_search(r, documents.readable(r.document_id)) for r in documents.similar(record, top_k=5)]
    current = next((v for v in versions if v.version == record.current_version), versions[-1] if versions else None)
    meta: dict[str, Any] = record.metadata
    return page(
        request,
        "document.html",
        {
            "doc": record,
            "meta": meta,
            "lang": _language(record),
            "sections": views,
            "outline": outline(views),
            "versions": list(reversed(versions)),
            "current": current,
            "related": related,
            "similar": similar,
            **document_context(request.app.state, record),  # adopted by, and the exchange forms
        },
    )


@router.get("/documents/{document_id}/print")
def printable_page(document_id: str, request: Request, download: bool = False) -> Response:
    """The document as one standalone HTML page: for a desktop that cannot open the original (a
    Markdown file), to print, or (``?download=1``) to save as a file."""
    check_reading(request)
    documents = _documents(request)
    record = documents.get(document_id, missing=gettext(MISSING), withdrawn=gettext(WITHDRAWN))
    views = section_views(documents.sections(record))
    settings = request.app.state.settings
    disposition = "attachment" if download else "inline"
    return page(
        request,
        "print.html",
        {
            "doc": record,
            "meta": record.metadata,
            "lang": _language(record),
            "sections": views,
            "outline": outline(views),
            "site": link_base(settings, str(request.base_url)),
            "online_at": document_url(settings, record.id, base=str(request.base_url)),
            "print_css": PRINT_CSS,
        },
        Content_Security_Policy=PRINT_CSP,
        Content_Disposition=f'{disposition}; filename="{record.id}.html"',
    )
