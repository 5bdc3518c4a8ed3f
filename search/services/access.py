"""Who may read what: the one rule every read path applies (search, facets, listings, documents,
files, similar practices, retrieve, MCP, web pages, feeds, OAI-PMH).

A document is *published* once it is in the catalog's ``documents`` table: submissions waiting for a
curator live in ``submissions`` and are never indexed, so no search path can return them (their
owner and the curators of their states read them through the review service instead).

A published document is ``public`` or ``restricted`` (metadata ``visibility``). A restricted one (an
MoU under negotiation) is readable only by keys of one of its states and by admins; a restricted
document without states is for admins only. Everyone else is told it does not exist (404, the same
words as for an unknown id), so the id of a restricted document reveals nothing.

:class:`Viewer` turns one caller (a key, or nobody) into the three forms the stores need: a test on a
record, a condition for the vector store (Haystack filter syntax) and the states for the catalog's
SQL listings and counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.catalog import DocumentRecord, KeyRecord

PUBLIC_ONLY: dict[str, Any] = {"field": "meta.visibility", "operator": "!=", "value": "restricted"}


@dataclass(frozen=True)
class Viewer:
    """One caller of a read path: ``key`` is None for an anonymous reader (the public web)."""

    key: KeyRecord | None = None
    everything: bool = False  # trusted local tools (``kb`` on the operator's own machine)

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()

    @classmethod
    def of(cls, key: KeyRecord | None) -> Viewer:
        return cls(key=key)

    @classmethod
    def operator(cls) -> Viewer:
        """The operator's own command line: it can read the catalog file anyway."""
        return cls(everything=True)

    @property
    def sees_all(self) -> bool:
        return self.everything or (self.key is not None and self.key.is_admin)

    @property
    def has_key(self) -> bool:
        """Callers with a key see officials' contacts (the public web does not)."""
        return self.sees_all or self.key is not None

    def may_read(self, record: DocumentRecord) -> bool:
        """Whether this caller may see ``record`` at all (withdrawal is decided separately)."""
        if not record.restricted or self.sees_all:
            return True
        return self.key is not None and bool(record.states) and self.key.is_of(record.states)

    def store_condition(self) -> dict[str, Any] | None:
        """The vector-store condition that keeps out what this caller may not read (None: nothing to
        keep out). Chunks indexed before visibility existed have no ``visibility`` and are public."""
        if self.sees_all:
            return None
        if self.key is None or not self.key.states:
            return PUBLIC_ONLY
        own = {"field": "meta.states", "operator": "in", "value": list(self.key.states)}
        return {"operator": "OR", "conditions": [PUBLIC_ONLY, own]}

    def catalog_states(self) -> list[str] | None:
        """``visible_to`` for the catalog's listings and counts: None for everything, else the
        states whose restricted documents this caller may see (empty: public ones only)."""
        if self.sees_all:
            return None
        return list(self.key.states) if self.key is not None else []
