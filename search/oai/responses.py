"""OAI-PMH response documents built with lxml, shaped by the OAI-PMH.xsd and oai_dc.xsd schemas.

Each builder returns the verb's element; :func:`envelope` wraps it (or an error) with
``responseDate`` and ``request``. Element order follows the schemas' sequences exactly, because
validating harvesters check it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from search.oai import exchange_format
from search.oai.protocol import GRANULARITY, METADATA_PREFIX, OAIError, now_datestamp
from search.oai.repository import Item, oai_identifier, set_specs
from search.services.describe import Description

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI_LOCATION = f"{{{XSI_NS}}}schemaLocation"


def _oai(tag: str) -> str:
    return f"{{{OAI_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _oai(tag), attributes)
    if text is not None:
        element.text = text
    return element


def envelope(base_url: str, arguments: dict[str, str], body: etree._Element | OAIError) -> bytes:
    """The whole response: ``OAI-PMH`` root, ``responseDate``, ``request``, then the body or error."""
    root = etree.Element(_oai("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(XSI_LOCATION, f"{OAI_NS} {OAI_SCHEMA}")
    _sub(root, "responseDate", now_datestamp())
    echo = arguments if not isinstance(body, OAIError) or body.echoes_arguments else {}
    _sub(root, "request", base_url, **echo)
    if isinstance(body, OAIError):
        _sub(root, "error", body.message, code=body.code)
    else:
        root.append(body)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def identify(*, name: str, base_url: str, admin_email: str, earliest: str) -> etree._Element:
    element = etree.Element(_oai("Identify"))
    _sub(element, "repositoryName", name)
    _sub(element, "baseURL", base_url)
    _sub(element, "protocolVersion", "2.0")
    _sub(element, "adminEmail", admin_email)
    _sub(element, "earliestDatestamp", earliest)
    _sub(element, "deletedRecord", "persistent")
    _sub(element, "granularity", GRANULARITY)
    return element


def metadata_formats(base: str) -> etree._Element:
    """oai_dc for every harvester, and exchange_json (our full metadata) for exchanges."""
    element = etree.Element(_oai("ListMetadataFormats"))
    for prefix, schema, namespace in (
        (METADATA_PREFIX, OAI_DC_SCHEMA, OAI_DC_NS),
        (exchange_format.PREFIX, f"{base}{exchange_format.SCHEMA_PATH}", exchange_format.NAMESPACE),
    ):
        entry = _sub(element, "metadataFormat")
        _sub(entry, "metadataPrefix", prefix)
        _sub(entry, "schema", schema)
        _sub(entry, "metadataNamespace", namespace)
    return element


def sets(entries: list[tuple[str, str]]) -> etree._Element:
    element = etree.Element(_oai("ListSets"))
    for spec, name in entries:
        entry = _sub(element, "set")
        _sub(entry, "setSpec", spec)
        _sub(entry, "setName", name)
    return element


def header(parent: etree._Element, item: Item, ns: str) -> etree._Element:
    element = _sub(parent, "header", status="deleted") if item.deleted else _sub(parent, "header")
    _sub(element, "identifier", oai_identifier(ns, item.record.id))
    _sub(element, "datestamp", item.datestamp)
    for spec in set_specs(item.record):
        _sub(element, "setSpec", spec)
    return element


def record(
    parent: etree._Element, item: Item, ns: str, description: Description | dict[str, Any] | None
) -> etree._Element:
    """A record: header, and for a live item its metadata (a deleted one has none): oai_dc from a
    description, exchange_json from its JSON object."""
    element = _sub(parent, "record")
    header(element, item, ns)
    if description is not None and not item.deleted:
        if isinstance(description, dict):
            exchange_format.element(_sub(element, "metadata"), description)
        else:
            dublin_core(_sub(element, "metadata"), description)
    return element


def dublin_core(parent: etree._Element, d: Description) -> etree._Element:
    """``oai_dc:dc`` in the element order of DCMES, which oai_dc.xsd allows in any order."""
    dc = etree.SubElement(parent, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    dc.set(XSI_LOCATION, f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    values: list[tuple[str, str]] = [("title", d.title)]
    values += [("creator", c) for c in d.creators]
    values += [("subject", s) for s in d.subjects]
    if d.summary:
        values.append(("description", d.summary))
    values.append(("date", d.issued))
    values += [("type", "Text"), ("type", d.type)]
    if d.media_type:
        values.append(("format", d.media_type))
    values.append(("identifier", d.url))
    if d.file_url:
        values.append(("identifier", d.file_url))
    if d.source_url:
        values.append(("source", d.source_url))
    values.append(("language", d.language))
    values += [("relation", r) for r in d.related_urls]
    values += [("coverage", s) for s in d.states]
    for tag, text in values:
        etree.SubElement(dc, f"{{{DC_NS}}}{tag}").text = text
    return dc


def resumption_token(parent: etree._Element, token: str | None, *, total: int, cursor: int) -> etree._Element:
    """The token for the next page; the last page of a resumed list gets an empty one (spec 3.5)."""
    return _sub(parent, "resumptionToken", token or "", completeListSize=str(total), cursor=str(cursor))


def list_element(verb: str) -> etree._Element:
    return etree.Element(_oai(verb))
