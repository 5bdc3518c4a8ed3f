"""``exchange_json``: the full public metadata of a document, for harvesters that are exchanges too.

Dublin Core loses what another state's exchange needs to hold a faithful copy: the sector, type and
states in our vocabularies, the practice record (owner, status, scale, building blocks), tags,
related ids, and which version of which original file this is. This second metadata format carries
all of it as one JSON object inside an XML element (OAI-PMH requires XML under ``<metadata>``; a
JSON text keeps the structure without an element per field):

```json
{"id": "haryana-cm-window", "version": 2, "url": ".../documents/haryana-cm-window",
 "file": {"url": ".../v1/documents/haryana-cm-window/file?version=2", "filename": "cm-window.md",
          "media_type": "text/markdown", "sha256": "...", "size_bytes": 1234},
 "metadata": {"title": "...", "type": "case_study", "states": ["Haryana"], "sector": "...", ...}}
```

The metadata is what an anonymous reader may see (:func:`search.services.redaction.redact_metadata`
drops contacts): records go to other machines, never to a known caller. Its XML Schema is served
at ``/oai/exchange_json.xsd``.
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from kb.catalog import Catalog, DocumentRecord
from kb.errors import NotFoundError
from search.oai.protocol import EXCHANGE_PREFIX
from search.services.redaction import redact_metadata

PREFIX = EXCHANGE_PREFIX
NAMESPACE = "urn:egov-practice-exchange:oai:exchange_json:1"
SCHEMA_PATH = "/oai/exchange_json.xsd"
SCHEMA = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NAMESPACE}"
           elementFormDefault="qualified">
  <xs:annotation><xs:documentation>One document of an e-governance practice exchange: a JSON object
  with id, version, url, file (url, filename, media_type, sha256, size_bytes) and metadata (the
  exchange's public metadata schema).</xs:documentation></xs:annotation>
  <xs:element name="document" type="xs:string"/>
</xs:schema>
"""


def document_json(record: DocumentRecord, catalog: Catalog, root: str) -> dict[str, Any]:
    """The JSON object of ``record``'s current version, with absolute links under ``root``."""
    body: dict[str, Any] = {
        "id": record.id,
        "version": record.current_version,
        "url": f"{root}/documents/{record.id}",
        "file": None,
        "metadata": {k: v for k, v in redact_metadata(record.metadata, None).items() if v is not None},
    }
    try:
        stored = catalog.version(record.id)
    except NotFoundError:
        return body
    body["file"] = {
        "url": f"{root}/v1/documents/{record.id}/file?version={stored.version}",
        "filename": stored.filename,
        "media_type": stored.media_type,
        "sha256": stored.blob_sha256,
        "size_bytes": stored.size_bytes,
    }
    return body


def element(parent: etree._Element, body: dict[str, Any]) -> etree._Element:
    """``<document xmlns="urn:...exchange_json:1">{json}</document>`` under ``parent``."""
    node = etree.SubElement(parent, f"{{{NAMESPACE}}}document", nsmap={None: NAMESPACE})
    node.text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    return node
