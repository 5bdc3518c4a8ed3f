"""OAI-PMH 2.0 provider at ``/oai``: other repositories harvest this one's documents as Dublin Core.

A front door like the API and the web UI: it reads the catalog (through its public methods) and the
shared description of a document (:mod:`search.services.describe`), and imports no other front door.
Sets by state, sector and type; deletions are persistent; lists page with stateless resumption
tokens (``KB_OAI_PAGE_SIZE`` records each). See ``docs/federation.md``.
"""

from __future__ import annotations

from search.oai.routes import router

__all__ = ["router"]
