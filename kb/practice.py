"""The practice record's structured fields: who to contact, and which building blocks a practice uses.

A case study is only useful to another state if an official can reach the people who run it, so
``contact`` is a small structure (name, role, email, phone) rather than free text. It used to be a
plain string, and documents and clients written then must keep working: a string is read as
``"Name, Role, email, phone"`` in any order the parts can be told apart (an ``@`` makes an email,
mostly digits make a phone; the first other part is the name, the rest the role).

Contacts are personal data of officials: they are stored here as given, and each front door shows
them only to callers with a key (``search.services.redaction``).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb.vocab import BuildingBlock, parse_building_block

# Loose on purpose: one @, something before it, a dot in the domain. Real validation is a mail that
# arrives; this only catches a phone number or a name typed into the email box.
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_PHONE_CHARACTERS = re.compile(r"^[\d\s()+./-]+(?:\s*(?:ext\.?|x)\s*\d+)?$", re.IGNORECASE)
MIN_PHONE_DIGITS = 5  # "1100" (a toll-free short code) is not a phone; "0172-2711" is
CONTACT_FIELDS = ("name", "role", "email", "phone")


class Contact(BaseModel):
    """Whom to ask about a practice; every part optional (an office may share only an email)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200, examples=["Sunita Sharma"])
    role: str | None = Field(default=None, max_length=300, examples=["Joint Director, CM Window cell"])
    email: str | None = Field(default=None, max_length=254, examples=["cmwindow-hry@nic.in"])
    phone: str | None = Field(default=None, max_length=60, description="Free text, e.g. '+91 172 2700 000'.")

    @field_validator("name", "role", "email", "phone", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("must be text")
        return str(value).strip()

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_PATTERN.match(value):
            raise ValueError(f"email '{value}' is not an email address; write it like name@department.gov.in")
        return value

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in CONTACT_FIELDS)


def looks_like_phone(text: str) -> bool:
    """Digits with the usual separators (``+91 172 270 0000``, ``0172-2711 ext 12``)."""
    return bool(_PHONE_CHARACTERS.match(text)) and sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS


def contact_from_text(text: str) -> dict[str, str]:
    """A contact written as one line, ``"Name, Role, email, phone"``, as its fields.

    Parts with an ``@`` are the email, parts that look like a phone number the phone; of the rest the
    first is the name and the others, joined again, the role ("Joint Director, CM Window cell" stays
    one role). A single plain part is the name, which is what the old string field held.
    """
    fields: dict[str, str] = {}
    words: list[str] = []
    for part in (p.strip() for p in re.split(r"[,;\n]", text)):
        if not part:
            continue
        if "@" in part and "email" not in fields:
            fields["email"] = part.removeprefix("mailto:").strip("<>() ")
        elif looks_like_phone(part) and "phone" not in fields:
            fields["phone"] = part
        else:
            words.append(part)
    if words:
        fields["name"] = words[0]
    if len(words) > 1:
        fields["role"] = ", ".join(words[1:])
    return fields


def contact_input(value: Any) -> dict[str, Any] | Contact | None:
    """``contact`` as written (a mapping of the four fields, or one line of text), ready to validate.

    Empty values are no contact. Raises ValueError naming the valid fields for anything else, so the
    metadata error says what to write; the fields themselves are checked by :class:`Contact`.
    """
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, Contact):
        return None if value.is_empty() else value
    if isinstance(value, str):
        return contact_from_text(value) or None
    if isinstance(value, dict):
        unknown = [str(k) for k in value if k not in CONTACT_FIELDS]
        if unknown:
            raise ValueError(f"unknown contact field '{unknown[0]}'; a contact has {', '.join(CONTACT_FIELDS)}")
        return value if any(v is not None and str(v).strip() for v in value.values()) else None
    raise ValueError("must be a mapping of name, role, email, phone (or one line: 'Name, Role, email, phone')")


def parse_contact(value: Any) -> Contact | None:
    """:func:`contact_input` validated: a :class:`Contact`, or None when empty; ValueError when invalid."""
    data = contact_input(value)
    if data is None:
        return None
    try:
        contact = Contact.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"{where}: {str(error['msg']).removeprefix('Value error, ')}") from None
    return None if contact.is_empty() else contact


def parse_building_blocks(value: Any) -> list[BuildingBlock]:
    """A list (or a comma-separated string) of building blocks, each once, in the order given."""
    if value is None or value == "":
        return []
    items = [p.strip() for p in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("must be a list of building blocks, e.g. [identity, payments]")
    blocks: list[BuildingBlock] = []
    for item in items:
        if item is None or not str(item).strip():
            continue
        block = parse_building_block(str(item))
        if block not in blocks:
            blocks.append(block)
    return blocks
