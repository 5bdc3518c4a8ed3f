"""How a document is described to the world outside: OAI-PMH Dublin Core, Atom entries, citations.

One description per document, so a harvester, a feed reader and an official pasting a citation all
see the same creator, summary, date and permanent links. Built from the catalog's public methods
only; links are absolute when a base is known (``KB_PUBLIC_URL``, else the request's address, see
:func:`search.schemas.link_base`), because every consumer here reads them outside this site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kb.catalog import Catalog, DocumentRecord
from kb.errors import NotFoundError
from kb.settings import Settings
from search.schemas import link_base

SUMMARY_CHARS = 600
REPOSITORY_NAME = "E-governance Practice Exchange"


@dataclass(frozen=True)
class Description:
    """A document's bibliographic facts, in the vocabulary Dublin Core, Atom and CSL share."""

    id: str
    title: str
    creators: list[str]
    subjects: list[str]
    summary: str
    issued: str  # YYYY-MM-DD, YYYY-MM or YYYY: the practice's own date, else its year
    type: str
    language: str
    url: str
    file_url: str | None
    media_type: str | None
    version: int
    version_url: str
    updated: str  # the catalog's ISO timestamp of the last change
    states: list[str] = field(default_factory=list)
    related_urls: list[str] = field(default_factory=list)
    source_url: str | None = None


def summary_of(record: DocumentRecord, catalog: Catalog, *, version: int | None = None) -> str:
    """The metadata's summary, else the opening words of the first sections (trimmed at a word)."""
    given = record.metadata.get("summary") or record.metadata.get("description")
    if given:
        return " ".join(str(given).split())
    try:
        sections = catalog.sections(record.id, version)
    except NotFoundError:
        return ""
    text = " ".join(" ".join(s.text.split()) for s in sections[:3]).strip()
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text.rfind(" ", 0, SUMMARY_CHARS)
    return text[: cut if cut > SUMMARY_CHARS // 2 else SUMMARY_CHARS] + " …"


def creators_of(record: DocumentRecord) -> list[str]:
    """The owner (department) if named, else the departments, then the states: who an official cites."""
    meta = record.metadata
    owner = meta.get("owner")
    names: list[str] = []
    if isinstance(owner, str) and owner.strip():
        names.append(owner.strip())
    elif isinstance(owner, dict) and owner.get("department"):
        names.append(str(owner["department"]))
    else:
        names += [str(d) for d in meta.get("departments") or []]
    names += [s for s in record.states if s not in names]
    return names or [REPOSITORY_NAME]


def issued_of(record: DocumentRecord) -> str:
    meta = record.metadata
    if meta.get("date"):
        return str(meta["date"])[:10]
    if record.year:
        return str(record.year)
    return record.created_at[:10]


def describe(
    record: DocumentRecord,
    catalog: Catalog,
    settings: Settings,
    *,
    base: str | None = None,
    version: int | None = None,
) -> Description:
    """The description of ``record`` (its current version, or ``version``) with absolute links."""
    root = link_base(settings, base)
    meta = record.metadata
    number = version or record.current_version
    try:
        stored = catalog.version(record.id, number)
        media_type: str | None = stored.media_type
        if version is not None:
            meta = stored.metadata or meta
    except NotFoundError:
        media_type = None
    sector = record.sector.replace("_", " ")
    tags = [str(t) for t in meta.get("tags") or []]
    related = [f"{root}/documents/{r}" for r in meta.get("related") or []]
    return Description(
        id=record.id,
        title=str(meta.get("title") or record.title),
        creators=creators_of(record),
        subjects=[sector, *[t for t in tags if t != sector]],
        summary=summary_of(record, catalog, version=version),
        issued=issued_of(record),
        type=record.type,
        language=str(meta.get("language") or "en"),
        url=f"{root}/documents/{record.id}",
        file_url=f"{root}/v1/documents/{record.id}/file?version={number}" if media_type else None,
        media_type=media_type,
        version=number,
        version_url=f"{root}/documents/{record.id}/versions/{number}",
        updated=record.updated_at,
        states=list(record.states),
        related_urls=related,
        source_url=meta.get("source_url"),
    )


def accessed_today() -> str:
    return dt.date.today().isoformat()
