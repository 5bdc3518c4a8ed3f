"""A small OAI-PMH 2.0 harvesting client over httpx + lxml, with one-line errors.

Why not ``sickle``: it is built on ``requests`` (a second HTTP stack beside our httpx), raises its own
exceptions for protocol errors and leaves transport errors, HTML pages and non-OAI XML to the caller
anyway. What a harvester needs is small: Identify, ListMetadataFormats, ListSets and ListRecords
with resumption tokens, ``noRecordsMatch`` read as an empty list, and every other failure turned
into an :class:`~kb.errors.InputError` that names the URL and says what to do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from lxml import etree

from kb.errors import AuthError, InputError

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
DC = "{http://purl.org/dc/elements/1.1/}"
EXCHANGE = "{urn:egov-practice-exchange:oai:exchange_json:1}document"
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Identity:
    base_url: str  # the repository's own baseURL: its provenance name here
    granularity: str
    response_date: str


@dataclass(frozen=True)
class Record:
    """One record of ListRecords: the header and, for a live record, the metadata it carried."""

    identifier: str
    datestamp: str
    deleted: bool
    set_specs: list[str]
    exchange: dict[str, Any] | None = None  # our exchange_json object
    dc: dict[str, list[str]] = field(default_factory=dict)  # oai_dc element name -> values


class OAIClient:
    """Requests to one OAI-PMH endpoint; ``key`` goes only to that endpoint's host."""

    def __init__(self, url: str, *, key: str | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.http = httpx.Client(timeout=TIMEOUT_S, follow_redirects=True, transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OAIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self, url: str) -> dict[str, str]:
        same_host = urlsplit(url).netloc == urlsplit(self.url).netloc
        return {"Authorization": f"Bearer {self.key}"} if self.key and same_host else {}

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        """A GET with transport failures and HTTP errors as one-line errors."""
        try:
            response = self.http.get(url, params=params, headers=self._headers(url))
        except httpx.HTTPError as exc:
            raise InputError(f"cannot reach {url}: {exc or type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise AuthError(f"{url} answered {response.status_code}: it needs a reader key (--key KEY)")
        if response.status_code != 200:
            raise InputError(f"{url} answered HTTP {response.status_code}; is it an OAI-PMH endpoint?")
        return response

    def request(self, **params: str) -> etree._Element:
        """One verb; the OAI-PMH root, or an InputError (protocol errors other than noRecordsMatch)."""
        response = self.get(self.url, params)
        try:
            root = etree.fromstring(response.content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            raise InputError(f"{self.url} is not an OAI-PMH endpoint (its answer is not XML)") from None
        if root.tag != f"{OAI}OAI-PMH":
            raise InputError(f"{self.url} is not an OAI-PMH endpoint (its answer is <{etree.QName(root).localname}>)")
        error = root.find(f"{OAI}error")
        if error is not None and error.get("code") != "noRecordsMatch":
            raise InputError(
                f"{self.url} refused {params.get('verb')}: {error.get('code')}: {error.text or ''}".strip()
            )
        return root

    def identify(self) -> Identity:
        """Identify, trying ``URL/oai`` when the URL given is the site rather than the endpoint."""
        try:
            root = self.request(verb="Identify")
        except InputError as error:
            if urlsplit(self.url).path.endswith("/oai"):
                raise
            first = self.url
            self.url = f"{first}/oai"
            try:
                root = self.request(verb="Identify")
            except InputError:
                self.url = first
                raise error from None
        body = root.find(f"{OAI}Identify")
        if body is None:
            raise InputError(f"{self.url} answered Identify without an <Identify> element")
        return Identity(
            base_url=(body.findtext(f"{OAI}baseURL") or self.url).strip(),
            granularity=(body.findtext(f"{OAI}granularity") or "YYYY-MM-DD").strip(),
            response_date=root.findtext(f"{OAI}responseDate") or "",
        )

    def metadata_prefixes(self) -> list[str]:
        root = self.request(verb="ListMetadataFormats")
        return [(e.text or "").strip() for e in root.iter(f"{OAI}metadataPrefix")]

    def set_specs(self) -> set[str]:
        """Every set of the repository (following tokens); a repository without sets has none."""
        specs: set[str] = set()
        params = {"verb": "ListSets"}
        while True:
            try:
                root = self.request(**params)
            except InputError as exc:
                if "noSetHierarchy" in exc.message:
                    return specs
                raise
            specs |= {(e.text or "").strip() for e in root.iter(f"{OAI}setSpec")}
            token = root.findtext(f"{OAI}ListSets/{OAI}resumptionToken")
            if not token:
                return specs
            params = {"verb": "ListSets", "resumptionToken": token}

    def records(self, prefix: str, *, set_spec: str | None, since: str | None) -> Iterator[Record | str]:
        """ListRecords to the end: first the ``responseDate`` of the first answer, then the records."""
        params = {"verb": "ListRecords", "metadataPrefix": prefix}
        if set_spec:
            params["set"] = set_spec
        if since:
            params["from"] = since
        first = True
        while True:
            root = self.request(**params)
            if first:
                yield root.findtext(f"{OAI}responseDate") or ""
                first = False
            body = root.find(f"{OAI}ListRecords")
            if body is None:  # noRecordsMatch
                return
            for element in body.findall(f"{OAI}record"):
                yield self._record(element)
            token = body.findtext(f"{OAI}resumptionToken")
            if not token:
                return
            params = {"verb": "ListRecords", "resumptionToken": token.strip()}

    def _record(self, element: etree._Element) -> Record:
        header = element.find(f"{OAI}header")
        if header is None:
            raise InputError(f"{self.url} sent a record without a header")
        identifier = (header.findtext(f"{OAI}identifier") or "").strip()
        common = {
            "identifier": identifier,
            "datestamp": (header.findtext(f"{OAI}datestamp") or "").strip(),
            "deleted": header.get("status") == "deleted",
            "set_specs": [(e.text or "").strip() for e in header.findall(f"{OAI}setSpec")],
        }
        metadata = element.find(f"{OAI}metadata")
        if metadata is None:
            return Record(**common)
        exchange = metadata.find(EXCHANGE)
        if exchange is not None:
            try:
                body = json.loads(exchange.text or "")
            except json.JSONDecodeError:
                raise InputError(f"{identifier}: its exchange_json metadata is not JSON") from None
            return Record(**common, exchange=body if isinstance(body, dict) else None)
        dc: dict[str, list[str]] = {}
        for child in metadata.iterfind(f"{OAI_DC}/*"):
            if isinstance(child.tag, str) and child.tag.startswith(DC) and (child.text or "").strip():
                dc.setdefault(child.tag[len(DC) :], []).append((child.text or "").strip())
        return Record(**common, dc=dc)
