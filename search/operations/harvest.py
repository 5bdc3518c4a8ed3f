"""``kb harvest``: copy another repository's published documents here, incrementally, with provenance.

The source is an OAI-PMH 2.0 endpoint, normally another state's exchange. When it offers our
``exchange_json`` format (``search.oai.exchange_format``), each record brings the full public
metadata, its version and a link to the original file, which is downloaded (its sha256 checked) and
ingested through the normal write path (:meth:`ingest.service.Ingestor.ingest_upload`: same
conversion, chunking, embedding and crash-safe write order; no review, since the source published
it). Other repositories (DSpace, InvenioRDM) are read through ``oai_dc``: sets and Dublin Core map
back to our vocabularies where they can, the original is fetched when a ``dc:identifier`` links
``/v1/documents/{id}/file``, else the record's title and description become a short Markdown text.

Provenance lives in the document's metadata (extra fields, kept and returned, never indexed):
``harvested_from`` (the source's baseURL), ``source_identifier`` (the OAI identifier),
``source_version`` / ``source_datestamp`` (what the copy was made from) and ``harvested_at``.
:mod:`search.services.contributions` refuses local changes to such documents. A record is written
only when its source version (or, for oai_dc, its datestamp) differs from the copy's, so a second
harvest with nothing new writes nothing; a deleted record withdraws the copy. A document here that
was not harvested from this source is never touched: its record fails with a message instead.

Where the previous harvest of a (source, set) stopped is kept in the catalog (``harvest_mark``);
the next run asks ``from`` there, unless ``--from`` overrides. The mark advances only when no record
failed, so failures are retried next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from kb.catalog import Catalog, DocumentRecord
from kb.errors import InputError, KBError
from kb.metadata import slugify
from kb.vocab import DocType, Sector, canonical_state
from search.operations.oai_client import Identity, OAIClient, Record

EXCHANGE_PREFIX = "exchange_json"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_FILE_LINK = re.compile(r"/v1/documents/[^/?#]+/file(\?|$)")
PROVENANCE = ("harvested_from", "source_identifier", "source_version", "source_datestamp", "harvested_at")


class Writer(Protocol):
    """What harvesting needs of the ingestor: the upload write path and withdrawal."""

    def ingest_upload(
        self, data: bytes, *, filename: str, raw_meta: dict[str, Any], actor: str, document_id: str | None = None
    ) -> tuple[DocumentRecord, str]: ...

    def remove(self, document_id: str, *, actor: str, reason: str = "withdrawn") -> DocumentRecord: ...


@dataclass
class HarvestReport:
    """What one harvest did, record by record; the shape ``kb harvest --json`` prints."""

    source: str
    set_spec: str | None
    since: str | None
    metadata_prefix: str = ""
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    next_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "set": self.set_spec,
            "from": self.since,
            "metadata_prefix": self.metadata_prefix,
            **{name: len(getattr(self, name)) for name in ("added", "updated", "unchanged", "withdrawn")},
            "failed": self.failed,
            "documents": {name: getattr(self, name) for name in ("added", "updated", "withdrawn")},
            "next_from": self.next_from,
        }

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def check_date(value: str) -> str:
    """``--from``: a day or a second in UTC, as OAI-PMH takes them."""
    if _DAY.match(value) or _SECOND.match(value):
        try:
            dt.datetime.strptime(value[:10], "%Y-%m-%d")
            return value
        except ValueError:
            pass
    raise InputError(f"--from must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC), not '{value}'")


def harvested_from(record: DocumentRecord) -> str | None:
    """The source repository of a harvested document (None for a document made here)."""
    value = record.metadata.get("harvested_from")
    return str(value) if value else None


def local_id(identifier: str) -> str:
    """Our id for an OAI identifier: its last part (``oai:exchange.haryana:cm-window`` -> ``cm-window``)."""
    return slugify(identifier.rsplit(":", 1)[-1])


@dataclass(frozen=True)
class Plan:
    """What the source said before anything local is opened: who it is and the format to ask for."""

    identity: Identity
    prefix: str


def plan_harvest(client: OAIClient, *, set_spec: str | None, since: str | None) -> Plan:
    """Check the source, the set and the date (cheap requests), so bad input fails before the model loads."""
    if since is not None:
        check_date(since)
    identity = client.identify()
    prefix = EXCHANGE_PREFIX if EXCHANGE_PREFIX in client.metadata_prefixes() else "oai_dc"
    if set_spec is not None and set_spec not in client.set_specs():
        raise InputError(f"{identity.base_url} has no set '{set_spec}' (see its ListSets; e.g. state:Haryana)")
    return Plan(identity, prefix)


class Harvester:
    """One harvest of one source into this knowledge base."""

    def __init__(self, catalog: Catalog, writer: Writer, client: OAIClient) -> None:
        self.catalog = catalog
        self.writer = writer
        self.client = client

    def run(self, plan: Plan, *, set_spec: str | None = None, since: str | None = None) -> HarvestReport:
        identity, prefix = plan.identity, plan.prefix
        source = identity.base_url
        mark = self.catalog.harvest_mark(source, set_spec)
        start = check_date(since) if since else mark
        if start and identity.granularity == "YYYY-MM-DD":
            start = start[:10]
        report = HarvestReport(source=source, set_spec=set_spec, since=start, metadata_prefix=prefix)
        harvested_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response_date: str | None = None
        for item in self.client.records(prefix, set_spec=set_spec, since=start):
            if isinstance(item, str):
                response_date = item
                continue
            try:
                self._one(item, source, harvested_at, report)
            except KBError as exc:
                report.failed.append({"identifier": item.identifier, "error": exc.message})
        advance = since is None or mark is None or (start or "") <= mark
        if response_date and not report.failed and advance:
            self.catalog.set_harvest_mark(source, set_spec, response_date)
        report.next_from = self.catalog.harvest_mark(source, set_spec)
        return report

    def _one(self, item: Record, source: str, harvested_at: str, report: HarvestReport) -> None:
        document_id = local_id(item.identifier)
        local = self.catalog.get_document(document_id)
        if local is not None and harvested_from(local) != source:
            if item.deleted:
                return  # a deletion elsewhere never touches a document of ours
            origin = harvested_from(local)
            where = f"harvested from {origin}" if origin else "made here"
            raise InputError(f"the id '{document_id}' is taken by a document {where}; it was not overwritten")
        actor = f"harvest {source}"
        if item.deleted:
            if local is not None and local.active:
                self.writer.remove(document_id, actor=actor, reason=f"deleted at {source} ({item.identifier})")
                report.withdrawn.append(document_id)
            elif local is not None:
                report.unchanged.append(document_id)
            return
        if local is not None and local.active and self._same(local, item):
            report.unchanged.append(document_id)
            return
        data, filename, raw = self._content(item, document_id)
        raw.update(
            harvested_from=source,
            source_identifier=item.identifier,
            source_version=(item.exchange or {}).get("version"),
            source_datestamp=item.datestamp,
            harvested_at=harvested_at,
        )
        record, outcome = self.writer.ingest_upload(
            data, filename=filename, raw_meta=raw, actor=actor, document_id=document_id
        )
        if outcome == "unchanged":
            report.unchanged.append(record.id)
        else:
            (report.added if local is None else report.updated).append(record.id)

    @staticmethod
    def _same(local: DocumentRecord, item: Record) -> bool:
        """Whether the copy was made from this very record (its version, else its datestamp)."""
        meta = local.metadata
        if item.exchange is not None and item.exchange.get("version") is not None:
            return bool(meta.get("source_version") == item.exchange["version"])
        return bool(meta.get("source_datestamp") == item.datestamp)

    def _content(self, item: Record, document_id: str) -> tuple[bytes, str, dict[str, Any]]:
        """The original file, its name and the metadata to ingest it with."""
        if item.exchange is not None:
            body = item.exchange
            meta = {k: v for k, v in dict(body.get("metadata") or {}).items() if v not in (None, "", [])}
            for name in ("id", *PROVENANCE):
                meta.pop(name, None)
            file = body.get("file") or {}
            if not file.get("url"):
                raise InputError(f"{item.identifier}: the record links no original file")
            data = self._download(str(file["url"]), item.identifier)
            expected = file.get("sha256")
            if expected and hashlib.sha256(data).hexdigest() != expected:
                raise InputError(f"{item.identifier}: the downloaded file does not match its sha256; try again later")
            return data, str(file.get("filename") or _name_of(str(file["url"]), document_id)), meta
        meta = dublin_core_metadata(item)
        link = next((v for v in item.dc.get("identifier", []) if _FILE_LINK.search(v)), None)
        if link is not None:
            return self._download(link, item.identifier), _name_of(link, document_id), meta
        title = meta.get("title") or document_id
        text = f"# {title}\n\n" + "\n\n".join(item.dc.get("description", [])) + "\n"
        return text.encode("utf-8"), f"{document_id}.md", meta

    def _download(self, url: str, identifier: str) -> bytes:
        try:
            return self.client.get(url).content
        except KBError as exc:
            raise InputError(f"{identifier}: the original file could not be fetched: {exc.message}") from None


def _name_of(url: str, document_id: str) -> str:
    name = PurePath(unquote(urlsplit(url).path)).name
    return name if "." in name else f"{document_id}.md"


def dublin_core_metadata(item: Record) -> dict[str, Any]:
    """Our metadata from oai_dc and the header's sets (which use our vocabularies when the source is an
    exchange); whatever does not fit a vocabulary is left to the defaults (``other``)."""
    dc = item.dc
    sets = {spec.partition(":")[0]: spec.partition(":")[2] for spec in item.set_specs if ":" in spec}
    states: list[str] = []
    for value in [s.partition(":")[2].replace("_", " ") for s in item.set_specs if s.startswith("state:")] + dc.get(
        "coverage", []
    ):
        try:
            state = canonical_state(value)
        except (KBError, ValueError):
            continue
        if state not in states:
            states.append(state)
    types = [t for t in [sets.get("type", ""), *dc.get("type", [])] if t in {d.value for d in DocType}]
    sector = sets.get("sector", "")
    meta: dict[str, Any] = {
        "title": (dc.get("title") or [local_id(item.identifier)])[0],
        "states": states,
        "level": "state" if states else "national",
        "sector": sector if sector in {s.value for s in Sector} else "other",
        "type": types[0] if types else "other",
        "tags": [s for s in dc.get("subject", []) if s != sector.replace("_", " ")],
    }
    if dc.get("description"):
        meta["summary"] = dc["description"][0]
    language = (dc.get("language") or [""])[0]
    if re.fullmatch(r"[a-z]{2}", language):
        meta["language"] = language
    year = re.match(r"\d{4}", (dc.get("date") or [""])[0])
    if year:
        meta["year"] = int(year.group())
    if dc.get("source"):
        meta["source_url"] = dc["source"][0]
    return meta
