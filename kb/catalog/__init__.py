"""The catalog: the source of truth for documents, versions, sections, keys, jobs, the exchange
(adoptions, requests) and audit.

SQLite under ``KB_DIR`` by default, or any database ``KB_CATALOG_URL`` names (PostgreSQL for a
shared deployment), through one SQLAlchemy Core implementation. Only this package talks to the
database. The vector index is derived from what is here plus the original files in the blob store,
so ``kb reindex`` can always rebuild it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa

from kb.catalog.deliveries import DeliveryCatalog
from kb.catalog.documents import DocumentCatalog
from kb.catalog.exchange import AdoptionCatalog
from kb.catalog.harvest import HarvestCatalog
from kb.catalog.insights import UsageCatalog
from kb.catalog.jobs import JobCatalog
from kb.catalog.keys import KeyCatalog
from kb.catalog.records import (
    AdoptionEvent,
    AdoptionRecord,
    AuditEntry,
    DocumentRecord,
    JobRecord,
    KeyRecord,
    KnowledgeRequestRecord,
    RequestMessage,
    SubmissionRecord,
    SubmissionSummary,
    VersionRecord,
)
from kb.catalog.requests import RequestCatalog
from kb.catalog.reviews import SubmissionCatalog
from kb.catalog.schema import open_database
from kb.catalog.tables import properties
from kb.errors import ConfigError
from kb.settings import DENSE_MODELS, Settings

__all__ = [
    "AdoptionEvent",
    "AdoptionRecord",
    "AuditEntry",
    "Catalog",
    "DocumentRecord",
    "JobRecord",
    "KeyRecord",
    "KnowledgeRequestRecord",
    "RequestMessage",
    "SubmissionRecord",
    "SubmissionSummary",
    "VersionRecord",
]

_log = logging.getLogger(__name__)


class Catalog(
    DocumentCatalog,
    KeyCatalog,
    JobCatalog,
    SubmissionCatalog,
    AdoptionCatalog,
    RequestCatalog,
    DeliveryCatalog,
    UsageCatalog,
    HarvestCatalog,
):
    """All catalog operations over one database.

    ``target`` is a SQLAlchemy URL (``postgresql+psycopg://...``, ``sqlite:///...``) or the path of
    a SQLite file (what round 1 passed, so ``Catalog(path)`` keeps working). Opening migrates an
    empty database and refuses one whose schema is newer than this code (:mod:`kb.catalog.schema`).
    """

    def __init__(self, target: Path | str) -> None:
        self.db = open_database(target)

    def index_model(self) -> str | None:
        """The dense model the current index was built with (None before the first document)."""
        value = self.db.scalar(sa.select(properties.c.value).where(properties.c.name == "index_model"))
        return None if value is None else str(value)

    def set_index_model(self, model: str) -> None:
        with self.db.transaction() as conn:
            self.db.upsert(conn, properties, {"name": "index_model", "value": model}, keys=("name",))

    def settle_index_model(self, settings: Settings, *, index_empty: bool, vectors: tuple[str, ...] = ()) -> None:
        """:meth:`check_index_model` for ``settings``, except that when KB_DENSE_MODEL is not set an
        index built under an earlier default keeps its model: ``settings`` is changed in place (the
        process's one configuration), with a warning, so an upgrade never stops a running exchange.
        ``kb reindex`` (which does not come here) then rebuilds it with the default. ``vectors``: the
        dense vectors the index holds; one without e5 and no recorded model predates the record and was
        built with MiniLM, the only model then."""
        recorded = self.index_model()
        earlier = next((key for key, name in DENSE_MODELS.items() if name == recorded), None)
        if recorded is None and vectors and "e5" not in vectors and settings.e5_vector:
            earlier = "minilm"
        explicit = "dense_model" in settings.model_fields_set  # KB_DENSE_MODEL or a keyword
        if earlier and earlier != settings.dense_model and not index_empty and not explicit:
            _log.warning(
                "this index was built with %s; KB_DENSE_MODEL is not set, so it keeps that model. Run `kb reindex` "
                "to rebuild it with the default (%s: Hindi and the other Indian languages)",
                DENSE_MODELS[earlier],
                settings.dense_model_name,
            )
            settings.dense_model = earlier  # type: ignore[assignment]
        self.check_index_model(settings.dense_model_name, index_empty=index_empty)

    def check_index_model(self, model: str, *, index_empty: bool) -> None:
        """Refuse to mix models: vectors of two models in one index would rank as noise.

        Same dimension (MiniLM and e5-small are both 384-d) means the store cannot tell; the catalog
        remembers. An empty index adopts the configured model.
        """
        recorded = self.index_model()
        if recorded == model:
            return
        if recorded is None or index_empty:
            self.set_index_model(model)
            return
        raise ConfigError(
            f"the index was built with {recorded} but KB_DENSE_MODEL selects {model}; "
            "run `kb reindex` to rebuild it with the new model (or set KB_DENSE_MODEL back)"
        )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
