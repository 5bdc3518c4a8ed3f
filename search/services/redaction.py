"""Officials' contacts are for callers with a key: the one rule every front door applies.

A practice record names whom to ask (``contact``: name, role, email, phone). Officials of other
states need that; a crawler harvesting government emails and phone numbers from the public site
must not get it. So every reader of a document's metadata (``GET /v1/documents/{id}``, the MCP
``get_document`` tool, the web document page) passes it through :func:`redact_metadata` with the
caller, and shows :func:`contact_available` beside it, so an anonymous reader learns that asking
with a key (``kb keys create --role reader``) would show the contact. OAI-PMH records and feeds
carry no contact at all: they go to other machines, never to a known caller.

Besides ``contact``, extra fields that a contributor added and whose name says they hold contact
details (``contact_email``, ``phone``, ``mobile``, ``email``...) are held back the same way:
unknown fields are kept and returned, and the rule should not depend on everyone spelling the
field the way the schema does.

The caller is a key (:class:`~kb.catalog.KeyRecord`), anything with a ``has_key`` property (the read
rule's viewer, :class:`search.services.access.Viewer`), or None for an anonymous reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from kb.catalog import KeyRecord

CONTACT_FIELD = "contact"
_CONTACT_NAMES = re.compile(r"(^|_)(contact|email|e_mail|phone|mobile|telephone|tel)(_|$)", re.IGNORECASE)


class HasKey(Protocol):
    """A caller description that knows whether a key came with the request."""

    @property
    def has_key(self) -> bool: ...


Caller = KeyRecord | HasKey | None


def shows_contacts(caller: Caller) -> bool:
    """Whether this caller may see officials' contacts: any valid key, never an anonymous reader."""
    if caller is None:
        return False
    if isinstance(caller, KeyRecord):
        return True
    return bool(caller.has_key)


def is_contact_field(name: str) -> bool:
    """``contact`` and extra fields named like contact details (``contact_phone``, ``email``)."""
    return name == CONTACT_FIELD or bool(_CONTACT_NAMES.search(name.replace("-", "_")))


def _present(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_present(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_present(v) for v in value)
    return value is not None and str(value).strip() != ""


def contact_available(metadata: Mapping[str, Any]) -> bool:
    """Whether the document names a contact (a keyed caller would see it); safe to show anyone."""
    return any(_present(value) for name, value in metadata.items() if is_contact_field(name))


def redact_metadata(metadata: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
    """A copy of ``metadata`` as ``caller`` may see it: for anonymous callers ``contact`` is None and
    extra contact-like fields are left out; callers with a key get everything unchanged."""
    shown = dict(metadata)
    if shows_contacts(caller):
        return shown
    for name in [n for n in shown if is_contact_field(n) and n != CONTACT_FIELD]:
        del shown[name]
    if CONTACT_FIELD in shown:
        shown[CONTACT_FIELD] = None
    return shown


def contact_line(contact: Any) -> str:
    """A contact as one line for pages and text views: ``Name, Role · email · phone`` ('' if none).

    Accepts the structured contact (a mapping) and the plain string older documents stored.
    """
    if not _present(contact):
        return ""
    if not isinstance(contact, Mapping):
        return str(contact).strip()
    who = ", ".join(str(contact[k]).strip() for k in ("name", "role") if contact.get(k))
    parts = [who, *(str(contact[k]).strip() for k in ("email", "phone") if contact.get(k))]
    return " · ".join(part for part in parts if part)
