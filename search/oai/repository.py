"""What the OAI-PMH provider exposes, read from the catalog's public methods only.

Items are documents; a document's datestamp is its catalog ``updated_at`` (a new version and a
withdrawal both change it, so selective harvesting by date sees both). Withdrawn documents stay as
deleted records forever (``deletedRecord: persistent``): their header keeps the sets they had, so a
harvester of ``state:Haryana`` learns of the deletion too. Documents in any other state (not yet
published, if a lifecycle adds one) are not exposed at all.

Sets are the vocabularies: ``state:<name>`` (spaces as underscores, since a setSpec has none),
``sector:<value>`` and ``type:<value>``, under the parents ``state``, ``sector`` and ``type``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from kb.catalog import Catalog, DocumentRecord
from kb.errors import MetadataError
from kb.settings import Settings
from kb.vocab import STATES, UNION_TERRITORIES, DocType, Sector, canonical_state
from search.oai.protocol import ListQuery, OAIError, datestamp

ALL = 1_000_000  # every document of one query; the embedded catalog is far smaller
LIVE_STATUSES = frozenset({"active", "published"})
DELETED_STATUSES = frozenset({"withdrawn"})
SET_GROUPS = {"state": "Documents by state or union territory", "sector": "Documents by sector", "type": "By type"}


def state_spec(state: str) -> str:
    return "state:" + state.replace(" ", "_")


def set_specs(record: DocumentRecord) -> list[str]:
    """The leaf sets a document belongs to (each implies its parent)."""
    return [*(state_spec(s) for s in record.states), f"sector:{record.sector}", f"type:{record.type}"]


def all_sets() -> list[tuple[str, str]]:
    """Every set as (setSpec, setName): the three parents, then each vocabulary value."""
    sets = list(SET_GROUPS.items())
    sets += [(state_spec(s), s) for s in (*STATES, *UNION_TERRITORIES)]
    sets += [(f"sector:{s.value}", s.value.replace("_", " ").capitalize()) for s in Sector]
    sets += [(f"type:{t.value}", t.value.replace("_", " ").capitalize()) for t in DocType]
    return sets


@dataclass(frozen=True)
class Item:
    """One document as OAI-PMH sees it."""

    record: DocumentRecord
    datestamp: str

    @property
    def deleted(self) -> bool:
        return self.record.status in DELETED_STATUSES

    @property
    def key(self) -> tuple[str, str]:
        return (self.datestamp, self.record.id)


@dataclass(frozen=True)
class Page:
    items: list[Item]
    total: int
    cursor: int
    more: bool


def namespace(settings: Settings, base: str) -> str:
    """The repository identifier in ``oai:<namespace>:<id>``: the setting, else the public or request host."""
    if settings.oai_repository_id:
        return settings.oai_repository_id
    host = urlsplit(settings.public_url or base).hostname
    return host or "localhost"


def oai_identifier(ns: str, document_id: str) -> str:
    return f"oai:{ns}:{document_id}"


class Repository:
    """The catalog seen through OAI-PMH: items, sets, paging; one per request (cheap)."""

    def __init__(self, catalog: Catalog, settings: Settings, base: str) -> None:
        self.catalog = catalog
        self.settings = settings
        self.base = base
        self.ns = namespace(settings, base)

    def item(self, identifier: str) -> Item:
        """The item behind an OAI identifier, or idDoesNotExist."""
        prefix = f"oai:{self.ns}:"
        missing = OAIError("idDoesNotExist", f"no record has the identifier '{identifier}' here")
        if not identifier.startswith(prefix):
            raise missing
        record = self.catalog.get_document(identifier[len(prefix) :])
        if record is None or not self._exposed(record):
            raise missing
        return Item(record, datestamp(record.updated_at))

    def earliest_datestamp(self) -> str:
        items = self._items(None)
        return min((i.datestamp for i in items), default="1970-01-01T00:00:00Z")

    def page(self, query: ListQuery) -> Page:
        """One page of a list: items after the query's position, in (datestamp, id) order."""
        items = [
            i
            for i in self._items(query.set_spec)
            if (query.start is None or i.datestamp >= query.start) and (query.end is None or i.datestamp <= query.end)
        ]
        items.sort(key=lambda i: i.key)
        remaining = [i for i in items if query.after is None or i.key > query.after]
        if not remaining:  # nothing matches, or what was left moved out of the set meanwhile
            raise OAIError("noRecordsMatch", "no records match this set and date range")
        size = self.settings.oai_page_size
        cursor = query.cursor
        return Page(remaining[:size], total=len(items), cursor=cursor, more=len(remaining) > size)

    def _items(self, set_spec: str | None) -> list[Item]:
        states, sector, doc_type = self._filters(set_spec)
        if states is None:
            return []
        records, _ = self.catalog.list_documents(
            states=states, sector=sector, type=doc_type, include_withdrawn=True, limit=ALL
        )
        if set_spec == "state":  # the parent set: documents of any state (national ones have none)
            records = [r for r in records if r.states]
        return [Item(r, datestamp(r.updated_at)) for r in records if self._exposed(r)]

    @staticmethod
    def _filters(set_spec: str | None) -> tuple[list[str] | None, str | None, str | None]:
        """Catalog filters for a set; ``None`` states for a set that does not exist (no records)."""
        if set_spec is None or set_spec in SET_GROUPS:
            return [], None, None
        group, _, value = set_spec.partition(":")
        if group == "state" and value and ":" not in value:
            try:
                return [canonical_state(value.replace("_", " "))], None, None
            except (MetadataError, ValueError):
                return None, None, None
        if group == "sector" and value in {s.value for s in Sector}:
            return [], value, None
        if group == "type" and value in {t.value for t in DocType}:
            return [], None, value
        return None, None, None

    @staticmethod
    def _exposed(record: DocumentRecord) -> bool:
        if record.restricted or record.metadata.get("visibility") == "restricted":  # never harvested
            return False
        return record.status in LIVE_STATUSES or record.status in DELETED_STATUSES
