"""What the public pages show of the exchange between states: who took a practice up (on its
document page, never with contacts: the web is anonymous), and each state's ledger of practices it
gave (its documents that other states took up) and took (its own adoptions).

Read anonymously through :class:`~search.services.exchange.Exchange` and
:class:`~search.services.documents.Documents`, so a restricted practice and adoptions of it stay out
for everyone. Kept apart from :mod:`search.web.exchange` (the keyed forms) because ``pages.py`` calls
these for the document and browse pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.catalog import AdoptionRecord, DocumentRecord
from kb.vocab import STATES, UNION_TERRITORIES
from search.services.documents import Documents
from search.services.exchange import Exchange
from search.web.i18n import N_

STATUS_WORDS = {  # translated where shown
    "exploring": N_("Exploring"),
    "piloting": N_("Piloting"),
    "adopted": N_("Adopted"),
    "dropped": N_("Dropped"),
}
LEDGER_SIZE = 2000  # adoptions read for the state pages; far more than the exchange holds today


@dataclass(frozen=True)
class Taken:
    """One adoption with the practice it took up (read by the page's caller)."""

    adoption: AdoptionRecord
    practice: DocumentRecord


def document_context(state: Any, record: DocumentRecord) -> dict[str, Any]:
    """What the document page shows of the exchange: who took it up (no contacts: the page is
    anonymous) and the choices of the adoption form (every state but the practice's own)."""
    adoptions = Exchange.of(state).adoptions_for(record, None)
    documents = Documents.of(state)
    write_ups = {
        a.adopter_document_id: documents.readable(a.adopter_document_id) for a in adoptions if a.adopter_document_id
    }
    return {
        "adoptions": adoptions,
        "write_ups": {k: v for k, v in write_ups.items() if v is not None},
        "adopter_states": [s for s in STATES + UNION_TERRITORIES if s not in record.states],
        "adoption_statuses": STATUS_WORDS,
    }


def ledger(state: Any) -> list[Taken]:
    """Every adoption the public may see, with its practice (one read per practice)."""
    documents = Documents.of(state)
    adoptions, _total = Exchange.of(state).list_adoptions(None, limit=LEDGER_SIZE)
    practices: dict[str, DocumentRecord | None] = {}
    taken = []
    for adoption in adoptions:
        if adoption.document_id not in practices:
            practices[adoption.document_id] = documents.readable(adoption.document_id)
        practice = practices[adoption.document_id]
        if practice is not None:
            taken.append(Taken(adoption, practice))
    return taken


def browse_context(state: Any) -> dict[str, Any]:
    """For ``/browse``: each state that gave or took a practice, with how many (dropped ones aside)."""
    gave: dict[str, set[str]] = {}
    took: dict[str, set[str]] = {}
    for item in ledger(state):
        if not item.adoption.active:
            continue
        took.setdefault(item.adoption.state, set()).add(item.practice.id)
        for owner in item.practice.states:
            gave.setdefault(owner, set()).add(item.practice.id)
    names = sorted(set(gave) | set(took))
    return {"exchange_states": [(n, len(gave.get(n, ())), len(took.get(n, ()))) for n in names]}
